/**
 * A strict JSON parser (RFC 8259) that keeps what JSON.parse throws away and Go's encoding/json still
 * sees: every key of an object in order, duplicates included, and numbers as their source text (an
 * int64 such as a memory limit must not pass through a double). Bodies the daemon decodes are parsed
 * with it, so dockscope judges the same members the daemon will read.
 */
export type JsonNode =
  | { readonly type: 'object'; readonly entries: readonly JsonEntry[] }
  | { readonly type: 'array'; readonly items: readonly JsonNode[] }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly raw: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'null' };

export interface JsonEntry {
  readonly key: string;
  readonly value: JsonNode;
}

export class JsonSyntaxError extends Error {
  override readonly name: string = 'JsonSyntaxError';
}

/** Deeper bodies are refused: no Engine API body nests anywhere near this. */
export const MAX_DEPTH = 128;

/**
 * Bodies with more values are refused (issue #27): each value is a node of some 100 bytes, so a 4 MiB
 * body of `[],[],…` (1.4 million values) would take about 250 MiB before any rule could refuse it. A
 * real create body has a few hundred values; ten thousand environment entries or labels still fit.
 */
export const MAX_VALUES = 100_000;

/** The body has more values than dockscope parses (a limit, not a syntax error). */
export class JsonLimitError extends JsonSyntaxError {
  override readonly name = 'JsonLimitError';
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 8259 forbids raw control characters in strings
const PLAIN_CHARS = /[^"\\\u0000-\u001f]*/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses one JSON value; only white space may follow it. */
export function parseJsonAst(text: string): JsonNode {
  let pos = 0;
  let values = 0;

  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at offset ${pos}`);
  };
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else return;
    }
  };

  const parseString = (): string => {
    // pos is at the opening quote
    pos++;
    let out = '';
    for (;;) {
      PLAIN_CHARS.lastIndex = pos;
      PLAIN_CHARS.exec(text);
      out += text.slice(pos, PLAIN_CHARS.lastIndex);
      pos = PLAIN_CHARS.lastIndex;
      const c = text[pos];
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === undefined) fail('unterminated string');
      if (c !== '\\') fail('control character in string');
      const e = text[pos + 1];
      if (e === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos += 6;
      } else {
        const plain = e === undefined ? undefined : ESCAPES[e];
        if (plain === undefined) fail('invalid escape');
        out += plain;
        pos += 2;
      }
    }
  };

  const parseValue = (depth: number): JsonNode => {
    if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    if (++values > MAX_VALUES) throw new JsonLimitError(`more than ${MAX_VALUES} values`);
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const entries: JsonEntry[] = [];
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return { type: 'object', entries };
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail('expected a string key');
        const key = wellFormed(parseString());
        skipSpace();
        if (text[pos] !== ':') fail('expected ":"');
        pos++;
        entries.push({ key, value: parseValue(depth + 1) });
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === '}') {
          pos++;
          return { type: 'object', entries };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      pos++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return { type: 'array', items };
      }
      for (;;) {
        items.push(parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] === ']') {
          pos++;
          return { type: 'array', items };
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return { type: 'string', value: wellFormed(parseString()) };
    if (text.startsWith('true', pos)) {
      pos += 4;
      return { type: 'boolean', value: true };
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return { type: 'boolean', value: false };
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return { type: 'null' };
    }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (!m) return fail('unexpected character');
    pos = NUMBER.lastIndex;
    return { type: 'number', raw: m[0] };
  };

  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail('unexpected content after the JSON value');
  return value;
}

/** Go's decoder turns a lone surrogate escape into U+FFFD; so does dockscope, to judge the same string. */
function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Serialises a node as it is (keys in order, numbers as their source text). */
export function serializeAst(node: JsonNode): string {
  switch (node.type) {
    case 'object':
      return `{${node.entries.map((e) => `${JSON.stringify(e.key)}:${serializeAst(e.value)}`).join(',')}}`;
    case 'array':
      return `[${node.items.map(serializeAst).join(',')}]`;
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      return node.raw;
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
  }
}
