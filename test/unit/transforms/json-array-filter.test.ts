import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import type { JsonArrayFilterOptions } from '../../../src/transforms/json-array-filter.ts';
import { JsonArrayFilter } from '../../../src/transforms/json-array-filter.ts';

interface Outcome {
  readonly out: string;
  readonly error: Error | null;
  readonly kept: number;
  readonly dropped: number;
}

async function run(
  chunks: readonly Buffer[],
  keep: (e: unknown) => boolean,
  options?: number | JsonArrayFilterOptions,
): Promise<Outcome> {
  const filter = options === undefined ? new JsonArrayFilter(keep) : new JsonArrayFilter(keep, options);
  const parts: Buffer[] = [];
  let error: Error | null = null;
  try {
    await pipeline(Readable.from(chunks), filter, async (source: AsyncIterable<Buffer | string>) => {
      for await (const part of source) parts.push(Buffer.from(part));
    });
  } catch (e) {
    error = e as Error;
  }
  return { out: Buffer.concat(parts).toString('utf8'), error, kept: filter.kept, dropped: filter.dropped };
}

/** Every way to cut the input in two (including not at all), plus one byte per chunk. */
function splits(input: string): { label: string; chunks: Buffer[] }[] {
  const bytes = Buffer.from(input, 'utf8');
  const out: { label: string; chunks: Buffer[] }[] = [];
  for (let i = 0; i <= bytes.length; i++) {
    out.push({ label: `split at byte ${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] });
  }
  out.push({ label: 'one byte per chunk', chunks: [...bytes].map((b) => Buffer.from([b])) });
  return out;
}

const hasKeepName = (e: unknown): boolean => {
  const names = (e as { Names?: unknown }).Names;
  return Array.isArray(names) && names.some((n) => typeof n === 'string' && n.includes('keep'));
};

// Raw JSON texts of elements, each chosen to trip a naive scanner.
const E = {
  plain: '{"Id":"a","Names":["/keep-1"]}',
  bracesInString: '{"Id":"b","Names":["/drop-1"],"Labels":{"x":"}{][,"}}',
  escapedQuote: String.raw`{"Id":"c","Names":["/keep-\"quoted}\""],"Nested":{"a":[1,{"b":[]},[[{}]]]}}`,
  trailingBackslash: String.raw`{"Id":"d","Names":["/keep-ü😀"],"Path":"C:\\dir\\","Q":"\"}]"}`,
  unicodeEscape: String.raw`{"Id":"e","Names":["/drop-\u0041\u00e9"],"S":"\\\""}`,
  whitespaceInside: '{ "Id" : "f" ,\n  "Names" : [ "/keep-ws" ] }',
  dropNested: '{"Id":"g","Names":["/drop-2"],"Deep":{"a":{"b":{"c":["keep","}"]}}}}',
};

describe('JsonArrayFilter: filtering at every chunk boundary', () => {
  const all = Object.values(E);
  const kept = all.filter((raw) => hasKeepName(JSON.parse(raw)));

  it.each<[string, string, string]>([
    ['empty list', '[]', '[]'],
    ['empty list with whitespace', ' \r\n\t[ \n ]\n ', '[]'],
    ['one kept element', `[${E.plain}]`, `[${E.plain}]`],
    ['one dropped element', `[${E.bracesInString}]`, '[]'],
    ['all dropped', `[${E.bracesInString},${E.unicodeEscape},${E.dropNested}]`, '[]'],
    ['mixed, compact', `[${all.join(',')}]`, `[${kept.join(',')}]`],
    ['mixed, spaced', `\n[\n  ${all.join(' ,\n  ')}\t\r\n]\n`, `[${kept.join(',')}]`],
    ['dropped first, kept last', `[${E.dropNested},${E.trailingBackslash}]`, `[${E.trailingBackslash}]`],
  ])('%s', async (_label, input, expected) => {
    const expectedValue = JSON.parse(expected) as unknown;
    for (const { label, chunks } of splits(input)) {
      const result = await run(chunks, hasKeepName);
      expect(result.error, label).toBeNull();
      expect(result.out, label).toBe(expected);
      expect(JSON.parse(result.out), label).toEqual(expectedValue);
    }
  });

  it('counts kept and dropped elements', async () => {
    const result = await run([Buffer.from(`[${all.join(',')}]`)], hasKeepName);
    expect(result).toMatchObject({ kept: kept.length, dropped: all.length - kept.length });
    expect(kept.length).toBe(4);
  });

  it('hands the parsed element to keep', async () => {
    const seen: unknown[] = [];
    await run([Buffer.from(`[${E.trailingBackslash},${E.unicodeEscape}]`)], (e) => {
      seen.push(e);
      return true;
    });
    expect(seen).toEqual([
      { Id: 'd', Names: ['/keep-ü😀'], Path: 'C:\\dir\\', Q: '"}]' },
      { Id: 'e', Names: ['/drop-Aé'], S: '\\"' },
    ]);
  });
});

describe('JsonArrayFilter: malformed lists fail the stream at every chunk boundary', () => {
  it.each<[string, string, string]>([
    ['not an array (object)', '{"a":1}', 'upstream list is not a JSON array'],
    ['not an array (string)', '"[]"', 'upstream list is not a JSON array'],
    ['not an array (null)', 'null', 'upstream list is not a JSON array'],
    ['trailing garbage', `[${E.plain}]x`, 'upstream list has data after the closing "]"'],
    ['second array', '[][]', 'upstream list has data after the closing "]"'],
    ['truncated before "]"', `[${E.plain}`, 'upstream list ended before the closing "]"'],
    ['truncated inside an element', `[${E.plain.slice(0, 10)}`, 'upstream list ended before the closing "]"'],
    ['truncated after a comma', `[${E.plain},`, 'upstream list ended before the closing "]"'],
    ['empty body', '', 'upstream list ended before the closing "]"'],
    ['whitespace only', ' \n', 'upstream list ended before the closing "]"'],
    ['number element', '[1]', 'upstream list element is not a JSON object'],
    ['string element', '["x"]', 'upstream list element is not a JSON object'],
    ['array element', '[[]]', 'upstream list element is not a JSON object'],
    ['null element', `[${E.plain},null]`, 'upstream list element is not a JSON object'],
    ['missing comma', `[${E.plain}${E.plain}]`, 'upstream list has no "," between elements'],
    ['missing comma with space', `[${E.plain} ${E.plain}]`, 'upstream list has no "," between elements'],
    ['trailing comma', `[${E.plain},]`, 'upstream list has a trailing ","'],
    ['leading comma', `[,${E.plain}]`, 'upstream list has an empty element'],
    ['double comma', `[${E.plain},,${E.plain}]`, 'upstream list has an empty element'],
  ])('%s', async (_label, input, message) => {
    for (const { label, chunks } of splits(input)) {
      const result = await run(chunks, () => true);
      expect(result.error, label).toBeInstanceOf(Error);
      expect(result.error?.message, label).toBe(message);
    }
  });

  it.each<[string, string]>([
    ['mismatched brackets', '[{"a":[1}]'],
    ['bare word', '[{"a":nope}]'],
    ['unquoted key', '[{a:1}]'],
    ['closing bracket for an object', '[{"a":1]]'],
    ['missing value', '[{"a":}]'],
  ])('an element that is not JSON is a SyntaxError (%s)', async (_label, input) => {
    for (const { label, chunks } of splits(input)) {
      const result = await run(chunks, () => true);
      expect(result.error, label).toBeInstanceOf(SyntaxError);
      expect(result.out, label).not.toContain(']');
    }
  });

  it('an error thrown by keep fails the stream', async () => {
    const result = await run([Buffer.from(`[${E.plain}]`)], () => {
      throw new Error('boom');
    });
    expect(result.error?.message).toBe('boom');
  });
});

describe('JsonArrayFilter: maxElementBytes', () => {
  const element = (size: number): string => {
    const base = '{"Names":["/keep"],"P":""}';
    return `{"Names":["/keep"],"P":"${'x'.repeat(size - base.length)}"}`;
  };

  it.each<[string, number, number, boolean]>([
    ['smaller than the limit', 40, 64, true],
    ['exactly the limit', 64, 64, true],
    ['one byte over the limit', 65, 64, false],
    ['far over the limit', 300, 64, false],
  ])('%s (%i bytes, limit %i)', async (_label, size, max, ok) => {
    const el = element(size);
    expect(Buffer.byteLength(el)).toBe(size);
    const input = `[${el},${element(30)}]`;
    for (const { label, chunks } of splits(input)) {
      const result = await run(chunks, hasKeepName, max);
      if (ok) {
        expect(result.error, label).toBeNull();
        expect(result.out, label).toBe(`[${el},${element(30)}]`);
      } else {
        expect(result.error?.message, label).toBe(`upstream list element is larger than ${max} bytes`);
        expect(result.out, label).not.toContain('xxxxxxxx');
      }
    }
  });

  it('the limit is per element, not for the whole list', async () => {
    const els = Array.from({ length: 50 }, () => element(60));
    const input = `[${els.join(',')}]`;
    const result = await run(splits(input).at(-1)?.chunks ?? [], hasKeepName, 64);
    expect(result.error).toBeNull();
    expect(result.out).toBe(input);
    expect(result.kept).toBe(50);
  });
});

describe('JsonArrayFilter with fields: only the named top-level keys are parsed', () => {
  async function pick(chunks: readonly Buffer[], fields: readonly string[]) {
    const seen: unknown[] = [];
    const keep = (e: unknown) => {
      seen.push(e);
      return hasKeepName(e);
    };
    return { seen, ...(await run(chunks, keep, { fields })) };
  }

  const tricky = [
    // Same-named keys below the top level must not be taken for the element's own.
    `{"Labels":{"Names":["/keep-fake"],"k":"v"},"Names":["/drop-real"],"X":{"Names":["/keep-deeper"]}}`,
    // Keys and values with escapes, braces and quotes in strings, values of every JSON type.
    String.raw`{"A\"b":"Names","Names":["/keep-\"x\"}"],"N":1.5e3,"T":true,"Z":null,"Labels":{"a\\":"}{"}}`,
    // A repeated key: the last one wins, as in JSON.parse.
    '{"Names":["/keep-first"],"Names":["/drop-last"]}',
    // Whitespace everywhere.
    ' { "Names" :\n [ "/keep-ws" ] , "Labels" : { } } ',
    // Missing fields.
    '{"Id":"x"}',
  ];
  const list = `[${tricky.join(',')}]`;
  const expected = tricky.map((raw) => {
    const full = JSON.parse(raw) as Record<string, unknown>;
    const picked: Record<string, unknown> = {};
    for (const f of ['Names', 'Labels']) if (f in full) picked[f] = full[f];
    return picked;
  });

  it.each(splits(list))('picks exactly what JSON.parse sees, $label', async ({ chunks }) => {
    const { seen, out, error } = await pick(chunks, ['Names', 'Labels']);
    expect(error).toBeNull();
    expect(seen).toEqual(expected);
    expect(JSON.parse(out)).toEqual(
      tricky
        .map((raw) => JSON.parse(raw))
        .filter((e) => hasKeepName({ Names: (e as { Names?: unknown }).Names })),
    );
  });

  it('a key spelled with escapes is not taken for a plain one (fails closed: no name, not kept)', async () => {
    const { seen, out } = await pick(
      [Buffer.from(String.raw`[{"N\u0061mes":["/keep-escaped"]}]`)],
      ['Names'],
    );
    expect(seen).toEqual([{}]);
    expect(out).toBe('[]');
  });

  it('a malformed picked value fails the stream', async () => {
    const { error } = await pick([Buffer.from('[{"Names":[,]}]')], ['Names']);
    expect(error).toBeInstanceOf(SyntaxError);
  });
});

describe('JsonArrayFilter: rewriting parsed fields and a limit after filtering', () => {
  const list = JSON.stringify([
    { Id: 'a', Names: ['/web', '/secret/alias'], Labels: {}, State: 'running' },
    { Id: 'b', Names: ['/db'], Labels: { keep: 'no' } },
    { Id: 'c', Names: ['/api'], Labels: {}, Ports: [{ PrivatePort: 80 }] },
    { Id: 'd', Names: ['/x'], Labels: {} },
  ]);
  const keep = (e: unknown) => !(e as { Labels: Record<string, string> }).Labels.keep;
  const rewrite = (picked: Record<string, unknown>) => {
    const names = (picked.Names as string[]).filter((n) => !n.startsWith('/secret/'));
    return names.length === (picked.Names as string[]).length ? null : { Names: names };
  };

  it.each(splits(list))(
    'only the rewritten field changes, at every chunk boundary ($label)',
    async ({ chunks }) => {
      const r = await run(chunks, keep, { fields: ['Names', 'Labels'], rewrite });
      expect(r.error).toBeNull();
      expect(JSON.parse(r.out)).toEqual([
        { Id: 'a', Names: ['/web'], Labels: {}, State: 'running' },
        { Id: 'c', Names: ['/api'], Labels: {}, Ports: [{ PrivatePort: 80 }] },
        { Id: 'd', Names: ['/x'], Labels: {} },
      ]);
    },
  );

  it.each([
    [1, ['a']],
    [2, ['a', 'c']],
    [3, ['a', 'c', 'd']],
    [10, ['a', 'c', 'd']],
  ])('maxKept %i counts only kept elements', async (maxKept, ids) => {
    const r = await run([Buffer.from(list)], keep, { fields: ['Names', 'Labels'], maxKept });
    expect(r.error).toBeNull();
    expect((JSON.parse(r.out) as { Id: string }[]).map((e) => e.Id)).toEqual(ids);
    expect(r.kept).toBe(ids.length);
  });

  it('past the limit the rest is still checked for well-formedness', async () => {
    const r = await run([Buffer.from('[{"Names":["/a"]},{"Names":["/b"]},{"Names":')], () => true, {
      fields: ['Names'],
      maxKept: 1,
    });
    expect(r.error).not.toBeNull();
  });
});
