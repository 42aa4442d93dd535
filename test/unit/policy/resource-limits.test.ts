import { describe, expect, it } from 'vitest';
import type { DecodedObject } from '../../../src/body/go-decode.ts';
import { newObject, RawJson, serializeDecoded } from '../../../src/body/go-decode.ts';
import { parseJsonAst } from '../../../src/body/json-ast.ts';
import type { ResourceLimits } from '../../../src/policy/resource-limits.ts';
import {
  applyCreateLimits,
  checkUpdateLimits,
  nanoCpusOf,
  parseMemorySize,
} from '../../../src/policy/resource-limits.ts';

const MiB = 1024n * 1024n;
const limits: ResourceLimits = {
  memory: 512n * MiB,
  nanoCpus: nanoCpusOf(1.5),
  pids: 256n,
  defaults: { memory: 128n * MiB, nanoCpus: null, pids: null },
};

/** A host config with these integer fields, as the decoder leaves them (RawJson numbers). */
function host(fields: Record<string, number | string>): DecodedObject {
  const out = newObject();
  for (const [k, v] of Object.entries(fields)) out[k] = new RawJson(parseJsonAst(String(v)));
  return out;
}

describe('resource limits of a create', () => {
  it('a create that asks for none gets the defaults (the maximum where no default is given)', () => {
    const out = applyCreateLimits(limits, null);
    expect(JSON.parse(serializeDecoded(out))).toEqual({
      Memory: 128 * 1024 * 1024,
      NanoCpus: 1_500_000_000,
      PidsLimit: 256,
    });
  });

  it.each<[string, Record<string, number | string>, string]>([
    [
      'memory over the maximum',
      { Memory: 1024 * 1024 * 1024 },
      'HostConfig.Memory: 1073741824 bytes is more than',
    ],
    [
      'unlimited swap',
      { Memory: 64 * 1024 * 1024, MemorySwap: -1 },
      'HostConfig.MemorySwap: -1 is unlimited swap',
    ],
    ['CPUs over the maximum', { NanoCpus: 2_000_000_000 }, "2 CPUs is more than this client's 1.5"],
    ['a quota over the maximum', { CpuQuota: 200_000, CpuPeriod: 100_000 }, '2 CPUs is more than'],
    ['more processes', { PidsLimit: 10_000 }, 'HostConfig.PidsLimit: 10000 processes'],
  ])('%s is refused (403, naming the field)', (_label, fields, message) => {
    expect(() => applyCreateLimits(limits, host(fields))).toThrow(message);
  });

  it('values within the maxima stay as asked; a period keeps the default in quota form', () => {
    const out = applyCreateLimits(
      limits,
      host({ Memory: 256 * 1024 * 1024, PidsLimit: 10, CpuPeriod: 50_000 }),
    );
    expect(JSON.parse(serializeDecoded(out))).toEqual({
      Memory: 256 * 1024 * 1024,
      PidsLimit: 10,
      CpuPeriod: 50_000,
      CpuQuota: 75_000,
    });
  });

  it('a value that is not a whole number is the daemon’s 400, not a limit', () => {
    expect(() => applyCreateLimits(limits, host({ Memory: '1.5' }))).toThrow('Memory must be a whole number');
  });
});

describe('resource limits of an update', () => {
  it.each<[string, Record<string, number>, string | null]>([
    ['memory within', { Memory: 64 * 1024 * 1024 }, null],
    ['memory over', { Memory: 1024 * 1024 * 1024 }, 'Memory: 1073741824 bytes'],
    ['unlimited processes', { PidsLimit: -1 }, 'PidsLimit: -1 removes the limit'],
    ['a negative quota', { CpuQuota: -1 }, 'CpuQuota: a negative quota'],
    ['nothing about resources', {}, null],
  ])('%s', (_label, fields, refusal) => {
    const check = () => checkUpdateLimits(limits, host(fields));
    if (refusal === null) expect(check).not.toThrow();
    else expect(check).toThrow(refusal);
  });
});

describe('parseMemorySize reads sizes as the Docker CLI does', () => {
  it.each<[string, bigint | null]>([
    ['512m', 512n * MiB],
    ['2g', 2048n * MiB],
    ['1.5g', 1536n * MiB],
    ['100', 100n],
    ['64MiB', 64n * MiB],
    ['lots', null],
    ['-1m', null],
  ])('%s', (text, expected) => {
    expect(parseMemorySize(text)).toBe(expected);
  });
});
