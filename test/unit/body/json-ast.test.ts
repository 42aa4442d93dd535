import { describe, expect, it } from 'vitest';
import {
  JsonLimitError,
  JsonSyntaxError,
  MAX_DEPTH,
  MAX_VALUES,
  parseJsonAst,
  serializeAst,
} from '../../../src/body/json-ast.ts';

describe('parseJsonAst keeps what JSON.parse drops', () => {
  it('every key in order, duplicates included', () => {
    expect(parseJsonAst('{"a":1,"A":2,"a":{"b":true}}')).toEqual({
      type: 'object',
      entries: [
        { key: 'a', value: { type: 'number', raw: '1' } },
        { key: 'A', value: { type: 'number', raw: '2' } },
        {
          key: 'a',
          value: { type: 'object', entries: [{ key: 'b', value: { type: 'boolean', value: true } }] },
        },
      ],
    });
  });

  it('numbers as their source text: an int64 survives', () => {
    const text = '{"Memory":9223372036854775807,"f":-1.5e+300}';
    expect(serializeAst(parseJsonAst(text))).toBe(text);
  });

  it('escapes are decoded in keys and values', () => {
    expect(parseJsonAst('{"\\u0050id\\/Mode":"a\\"b\\\\c\\n\\u00e9"}')).toEqual({
      type: 'object',
      entries: [{ key: 'Pid/Mode', value: { type: 'string', value: 'a"b\\c\né' } }],
    });
  });

  it('a lone surrogate escape becomes U+FFFD, as Go decodes it', () => {
    expect(parseJsonAst('"a\\ud800b"')).toEqual({ type: 'string', value: 'a\ufffdb' });
  });

  it.each([
    ['white space around', ' \n\t{ "a" : [ 1 , 2 ] }\r\n'],
    ['empty containers', '{"a":{},"b":[]}'],
    ['literals', '[true,false,null]'],
  ])('%s', (_label, text) => {
    expect(JSON.parse(serializeAst(parseJsonAst(text)))).toEqual(JSON.parse(text));
  });
});

describe('parseJsonAst refuses what is not one strict JSON value', () => {
  it.each([
    ['trailing content (the daemon since 23.0 refuses it, 20.10 ignores it)', '{"a":1} {"b":2}'],
    ['trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
    ['raw control character', '{"a":"x\ty"}'],
    ['bad escape', '{"a":"\\x41"}'],
    ['short \\u escape', '{"a":"\\u12"}'],
    ['leading zero', '{"a":01}'],
    ['bare word', '{"a":undefined}'],
    ['unterminated string', '{"a":"b'],
    ['missing colon', '{"a" 1}'],
    ['empty', ''],
    ['byte order mark', '\ufeff{}'],
    ['NaN', '[NaN]'],
  ])('%s', (_label, text) => {
    expect(() => parseJsonAst(text)).toThrow(JsonSyntaxError);
  });

  it(`nesting deeper than ${MAX_DEPTH}`, () => {
    const deep = `${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`;
    expect(() => parseJsonAst(deep)).toThrow(/nesting/);
    const ok = `${'['.repeat(MAX_DEPTH)}${']'.repeat(MAX_DEPTH)}`;
    expect(serializeAst(parseJsonAst(ok))).toBe(ok);
  });

  it(`more than ${MAX_VALUES} values: stopped as they are counted, before the rest is built`, () => {
    // 1.4 million empty arrays in 4 MiB would be some 250 MiB of nodes.
    const many = `[${'[],'.repeat(MAX_VALUES)}[]]`;
    expect(() => parseJsonAst(many)).toThrow(JsonLimitError);
    const fits = `[${'0,'.repeat(MAX_VALUES - 2)}0]`;
    expect(parseJsonAst(fits)).toMatchObject({ type: 'array' });
  });
});
