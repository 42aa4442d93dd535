import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { NdjsonFilter } from '../../../src/transforms/ndjson-filter.ts';

type Keep = (value: unknown) => boolean | Promise<boolean>;

async function run(chunks: readonly (string | Buffer)[], keep: Keep, max?: number) {
  const filter = max === undefined ? new NdjsonFilter(keep) : new NdjsonFilter(keep, max);
  const parts: Buffer[] = [];
  let error: Error | null = null;
  try {
    await pipeline(
      Readable.from(chunks.map((c) => Buffer.from(c))),
      filter,
      async (source: AsyncIterable<Buffer | string>) => {
        for await (const part of source) parts.push(Buffer.from(part));
      },
    );
  } catch (e) {
    error = e as Error;
  }
  return { out: Buffer.concat(parts).toString('utf8'), error };
}

function everySplit(input: string): Buffer[][] {
  const bytes = Buffer.from(input, 'utf8');
  const out: Buffer[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Buffer.from([b])));
  return out;
}

const keepIds =
  (...ids: number[]): Keep =>
  (v) =>
    ids.includes((v as { id: number }).id);

const lines = ['{"id":1,"s":"a\\nb"}', '{"id":2,"s":"ü😀"}', '{"id":3,"s":"}{"}', '{"id":4}'];

describe('NdjsonFilter: line handling', () => {
  it.each<[string, string[], Keep, string]>([
    ['keep all', [`${lines.join('\n')}\n`], () => true, `${lines.join('\n')}\n`],
    ['keep none', [`${lines.join('\n')}\n`], () => false, ''],
    ['keep some', [`${lines.join('\n')}\n`], keepIds(2, 4), `${lines[1]}\n${lines[3]}\n`],
    [
      'lines split across chunks',
      ['{"id":1,', '"s":"x"}\n{"i', 'd":2}\n', '{"id":3}', '\n'],
      keepIds(1, 3),
      '{"id":1,"s":"x"}\n{"id":3}\n',
    ],
    ['blank lines ignored', ['\n\n{"id":1}\n   \n\t\n{"id":2}\n\n'], () => true, '{"id":1}\n{"id":2}\n'],
    ['CRLF line endings', ['{"id":1}\r\n{"id":2}\r\n'], () => true, '{"id":1}\n{"id":2}\n'],
    ['last line without newline', ['{"id":1}\n{"id":2}'], () => true, '{"id":1}\n{"id":2}\n'],
    ['last line without newline, split', ['{"id":1}\n{"i', 'd":2}'], keepIds(2), '{"id":2}\n'],
    ['last line without newline, dropped', ['{"id":1}\n{"id":2}'], keepIds(1), '{"id":1}\n'],
    ['trailing whitespace without newline', ['{"id":1}\n   '], () => true, '{"id":1}\n'],
    ['empty stream', [], () => true, ''],
    ['non-object JSON values are passed to keep', ['1\n"x"\nnull\n[]\n'], () => true, '1\n"x"\nnull\n[]\n'],
  ])('%s', async (_label, chunks, keep, expected) => {
    expect(await run(chunks, keep)).toEqual({ out: expected, error: null });
  });

  it.each([1, 2, 3])('a multi-byte character split after its byte %i is passed on intact', async (cut) => {
    const bytes = Buffer.from('{"s":"😀"}\n');
    const at = bytes.indexOf(0xf0) + cut;
    const result = await run([bytes.subarray(0, at), bytes.subarray(at)], () => true);
    expect(result).toEqual({ out: '{"s":"😀"}\n', error: null });
  });

  it('filters identically at every chunk boundary', async () => {
    const input = `${lines.join('\n')}\n\n`;
    for (const chunks of everySplit(input)) {
      const result = await run(chunks, keepIds(1, 3));
      expect(result, `chunks ${JSON.stringify(chunks.map((c) => c.toString()))}`).toEqual({
        out: `${lines[0]}\n${lines[2]}\n`,
        error: null,
      });
    }
  });

  it('an async keep keeps the upstream order even when later decisions finish first', async () => {
    const keep: Keep = async (v) => {
      const id = (v as { id: number }).id;
      await sleep((8 - id) * 3);
      return id % 2 === 0;
    };
    const chunks = ['{"id":0}\n{"id":1}\n{"id":2}\n{"i', 'd":3}\n{"id":4}\n', '{"id":5}\n{"id":6}\n{"id":7}'];
    const result = await run(chunks, keep);
    expect(result).toEqual({ out: '{"id":0}\n{"id":2}\n{"id":4}\n{"id":6}\n', error: null });
  });

  it('hands the parsed value to keep', async () => {
    const seen: unknown[] = [];
    await run(['{"a":{"b":[1,"2"]}}\n'], (v) => {
      seen.push(v);
      return false;
    });
    expect(seen).toEqual([{ a: { b: [1, '2'] } }]);
  });
});

describe('NdjsonFilter: errors', () => {
  it.each<[string, string[]]>([
    ['malformed line', ['{"id":1}\n{"id":\n']],
    ['malformed line split across chunks', ['{"id":1}\n{"i', 'd"}\n']],
    ['malformed last line without newline', ['{"id":1}\n{"id"']],
    ['two values on one line', ['{"id":1}{"id":2}\n']],
  ])('%s => SyntaxError, the bad line is never passed on', async (_label, chunks) => {
    const result = await run(chunks, () => true);
    expect(result.error).toBeInstanceOf(SyntaxError);
    // Only the good line before it may have reached the reader before the stream failed.
    expect(['', '{"id":1}\n']).toContain(result.out);
  });

  it('a rejected keep fails the stream', async () => {
    const result = await run(['{"id":1}\n'], async () => {
      throw new Error('lookup failed');
    });
    expect(result.error?.message).toBe('lookup failed');
  });

  it.each<[string, string[]]>([
    ['unterminated line over the cap in one chunk', [`{"s":"${'x'.repeat(40)}"}`]],
    ['line over the cap split into chunks', [`{"s":"${'x'.repeat(20)}`, 'x'.repeat(20), '"}\n']],
    ['line over the cap held across many chunks', [...'x'.repeat(40)]],
  ])('%s => error naming the cap', async (_label, chunks) => {
    const result = await run(chunks, () => true, 32);
    expect(result.error?.message).toBe('upstream line is longer than 32 bytes');
    expect(result.out).toBe('');
  });

  it.each<[string, string[]]>([
    ['exactly the cap, newline in a later chunk', [`{"s":"${'x'.repeat(24)}"}`, '\n']],
    ['exactly the cap without trailing newline', [`{"s":"${'x'.repeat(24)}"}`]],
  ])('%s is accepted', async (_label, chunks) => {
    const line = `{"s":"${'x'.repeat(24)}"}`;
    expect(Buffer.byteLength(line)).toBe(32);
    expect(await run(chunks, () => true, 32)).toEqual({ out: `${line}\n`, error: null });
  });

  // Regression: the cap used to be checked only on the unterminated remainder of a chunk.
  it.each<[string, string[]]>([
    ['complete line over the cap in one chunk', [`{"s":"${'x'.repeat(40)}"}\n`]],
    [
      'line over the cap completed by the chunk holding its newline',
      [`{"s":"${'x'.repeat(20)}`, `${'x'.repeat(20)}"}\n`],
    ],
  ])('%s => error naming the cap', async (_label, chunks) => {
    const result = await run(chunks, () => true, 32);
    expect(result.error?.message).toBe('upstream line is longer than 32 bytes');
    expect(result.out).toBe('');
  });
});
