import { describe, expect, it } from 'vitest';
import {
  limitsSchema,
  registriesSchema,
  registryLists,
  resourceLimits,
} from '../../../src/config/file-limits.ts';

const at = (...keys: PropertyKey[]) => ['clients', 'ci', 'limits', ...keys];
const fail = (path: readonly PropertyKey[], message: string): never => {
  throw new Error(`${path.map(String).join('.')}: ${message}`);
};

function limits(input: unknown) {
  const parsed = limitsSchema.safeParse(input);
  if (!parsed.success) return { invalid: true };
  try {
    return { value: resourceLimits(parsed.data, at, fail) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const none = { memory: null, nanoCpus: null, pids: null };

describe('limits: of a client in the configuration file', () => {
  it.each([
    [{}, { ...none, defaults: none }],
    [{ memory: '512m' }, { ...none, memory: 512n * 1024n * 1024n, defaults: none }],
    [
      { memory: '2g', cpus: 1.5, pids: 100 },
      { memory: 2n * 1024n ** 3n, nanoCpus: 1_500_000_000n, pids: 100n, defaults: none },
    ],
    [{ memory: 1048576 }, { ...none, memory: 1048576n, defaults: none }],
    [{ memory: '1.5k' }, { ...none, memory: 1536n, defaults: none }],
    [{ memory: '64MiB' }, { ...none, memory: 64n * 1024n * 1024n, defaults: none }],
    [
      { memory: '1g', cpus: 2, pids: 200, defaults: { memory: '256m', cpus: 0.5, pids: 50 } },
      {
        memory: 1024n ** 3n,
        nanoCpus: 2_000_000_000n,
        pids: 200n,
        defaults: { memory: 256n * 1024n * 1024n, nanoCpus: 500_000_000n, pids: 50n },
      },
    ],
    // A default with no maximum beside it is not bounded by one.
    [{ defaults: { memory: '8g' } }, { ...none, defaults: { ...none, memory: 8n * 1024n ** 3n } }],
    // A default equal to its maximum is within it.
    [
      { pids: 10, defaults: { pids: 10 } },
      { ...none, pids: 10n, defaults: { ...none, pids: 10n } },
    ],
  ])('%j compiles to its sizes, CPUs and pids', (input, expected) => {
    expect(limits(input)).toEqual({ value: expected });
  });

  it.each([
    [{ memory: 'lots' }, 'clients.ci.limits.memory: "lots" is not a memory size such as 512m or 2g'],
    [{ memory: '0' }, 'clients.ci.limits.memory: "0" is not a memory size such as 512m or 2g'],
    [
      { defaults: { memory: '1x' } },
      'clients.ci.limits.defaults.memory: "1x" is not a memory size such as 512m or 2g',
    ],
    [
      { memory: '256m', defaults: { memory: '512m' } },
      'clients.ci.limits.defaults.memory: is more than the maximum beside it',
    ],
    [
      { cpus: 1, defaults: { cpus: 1.5 } },
      'clients.ci.limits.defaults.cpus: is more than the maximum beside it',
    ],
    [
      { pids: 10, defaults: { pids: 11 } },
      'clients.ci.limits.defaults.pids: is more than the maximum beside it',
    ],
  ])('%j fails the start: %s', (input, error) => {
    expect(limits(input)).toEqual({ error });
  });

  it.each([
    [{ cpus: 0 }],
    [{ cpus: -1 }],
    [{ pids: 1.5 }],
    [{ pids: 0 }],
    [{ memory: -5 }],
    [{ memory: '' }],
    [{ swap: '1g' }],
    [{ defaults: { swap: '1g' } }],
  ])('%j is refused by the schema', (input) => {
    expect(limits(input)).toEqual({ invalid: true });
  });
});

describe('registries: of a client in the configuration file', () => {
  const lists = (input: unknown) => {
    const parsed = registriesSchema.safeParse(input);
    if (!parsed.success) return { invalid: true };
    try {
      const out = registryLists(parsed.data, (...k) => ['clients', 'ci', 'registries', ...k], fail);
      return { pull: out.pull?.map((p) => p.text) ?? null, push: out.push?.map((p) => p.text) ?? null };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };

  it.each([
    [{}, { pull: null, push: null }],
    [{ pull: ['ghcr.io', '*.example'] }, { pull: ['ghcr.io', '*.example'], push: null }],
    [
      { pull: [], push: ['registry.example:5000'] },
      { pull: [], push: ['registry.example:5000'] },
    ],
  ])('%j compiles to %j', (input, expected) => {
    expect(lists(input)).toEqual(expected);
  });

  it('a compiled pattern matches as registry-lists reads it', () => {
    const parsed = registriesSchema.parse({ pull: ['*.example'] });
    const out = registryLists(parsed, (...k) => k, fail);
    expect(out.pull?.[0]?.matches('a.example')).toBe(true);
    expect(out.pull?.[0]?.matches('example')).toBe(false);
  });

  it.each([
    [
      { pull: ['ghcr.io', 'https://ghcr.io'] },
      'clients.ci.registries.pull.1: "https://ghcr.io" is not a registry such as ghcr.io, registry.example:5000 or *.example',
    ],
    [
      { push: ['ghcr.io/org'] },
      'clients.ci.registries.push.0: "ghcr.io/org" is not a registry such as ghcr.io, registry.example:5000 or *.example',
    ],
  ])('%j fails the start: %s', (input, error) => {
    expect(lists(input)).toEqual({ error });
  });

  it.each([[{ pull: 'ghcr.io' }], [{ pull: [''] }], [{ fetch: ['x'] }]])(
    '%j is refused by the schema',
    (input) => {
      expect(lists(input)).toEqual({ invalid: true });
    },
  );
});
