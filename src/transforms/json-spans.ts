/**
 * A validating scan of JSON text that records where chosen members sit, without building the value
 * (issue #26: an inspect answer rewritten in a few places need not be parsed and serialised whole).
 *
 * The scan accepts exactly what JSON.parse accepts, or less: anything else (a control character
 * anywhere but trailing white space, a bad escape, a number JSON.parse would turn into something it
 * serialises differently, a chosen member given twice) throws `NotUnderstood`, and the caller takes
 * the full JSON path instead. A member is found by its decoded key at its own depth only: text inside
 * a string value, or a key of the same name at another depth, is never taken for it.
 */
export class NotUnderstood extends Error {
  override readonly name = 'NotUnderstood';
}

export type SpanType = 'object' | 'array' | 'string' | 'number' | 'literal';

/** A value's place in the text, `[start, end)`; for a chosen object, its chosen members by key. */
export interface Span {
  readonly type: SpanType;
  readonly start: number;
  readonly end: number;
  /** Set when the value is an object the want asked into: its chosen members (decoded keys). */
  readonly members?: ReadonlyMap<string, Span>;
}

/**
 * Which members to record: a key maps to a nested want (look inside that member if it is an object)
 * or to `true` (record its span only). `ANY` stands for every key of that object.
 */
export interface Want {
  readonly keys: readonly string[];
  readonly subs: readonly (Want | true)[];
  /** Set for "every key": the want of each member. */
  readonly any?: Want | true;
}
export const ANY = '\u0000any';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;

// A control character inside a string is invalid JSON; between tokens only trailing white space (the
// daemon's encoder ends each answer with a newline) is accepted here, so none may come before the end.
// biome-ignore lint/suspicious/noControlCharactersInRegex: RFC 8259 forbids raw control characters in strings
const CONTROL = /[\u0000-\u001f]/;
// Longer than this, or with a fraction or an exponent, a number is checked to stay what it says.
const PLAIN_DIGITS = 15;

/** Scans `text` whole: the top-level value's span, with the wanted members recorded. */
export function scanJson(text: string, want: Want): Span {
  let end = text.length;
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  const control = text.search(CONTROL);
  if (control !== -1 && control < end) throw new NotUnderstood('a control character before the end');
  const scanner = new Scanner(text, end);
  const top = scanner.value(0, want);
  if (top.end !== end) throw new NotUnderstood('text after the value');
  return top;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

class Scanner {
  private readonly s: string;
  private readonly end: number;
  /** The next backslash at or after `bsFrom` (Infinity: none), so each string does not search anew. */
  private bs = -1;
  private bsFrom = 0;
  /** Whether the last string scanned held an escape. */
  private escaped = false;

  constructor(text: string, end: number) {
    this.s = text;
    this.end = end;
  }

  private ws(i: number): number {
    // No control character comes before `end` (checked), so only spaces can stand between tokens.
    while (i < this.end && this.s.charCodeAt(i) === 0x20) i++;
    return i;
  }

  private nextBackslash(from: number): number {
    if (this.bs !== -1 && this.bs >= from && this.bsFrom <= from) return this.bs;
    const at = this.s.indexOf('\\', from);
    this.bs = at === -1 ? Number.POSITIVE_INFINITY : at;
    this.bsFrom = from;
    return this.bs;
  }

  /** The index after the string that starts (with its quote) at `i`; `escaped` says if it had a `\\`. */
  string(i: number): number {
    let j = i + 1;
    this.escaped = false;
    // Searched again only once an escape has taken it (`\"`): a long string of escapes stays linear.
    let quote = -1;
    for (;;) {
      if (quote < j) quote = this.s.indexOf('"', j);
      if (quote === -1 || quote >= this.end) throw new NotUnderstood('an unterminated string');
      const bs = this.nextBackslash(j);
      if (bs > quote) return quote + 1;
      this.escaped = true;
      const e = this.s.charCodeAt(bs + 1);
      if (e === 0x75 /* u */) {
        if (
          !(
            isHex(this.s.charCodeAt(bs + 2)) &&
            isHex(this.s.charCodeAt(bs + 3)) &&
            isHex(this.s.charCodeAt(bs + 4)) &&
            isHex(this.s.charCodeAt(bs + 5))
          )
        )
          throw new NotUnderstood('a bad \\u escape');
        j = bs + 6;
      } else if (
        e === QUOTE ||
        e === BACKSLASH ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        j = bs + 2;
      } else {
        throw new NotUnderstood('a bad escape');
      }
    }
  }

  /** The index after the number, string or literal at `i`. */
  private scalarEnd(i: number): number {
    const c = this.s.charCodeAt(i);
    if (c === QUOTE) return this.string(i);
    if (c === MINUS || isDigit(c)) return this.number(i);
    const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : c === 0x6e ? 'null' : '';
    if (word !== '' && this.s.startsWith(word, i)) return i + word.length;
    throw new NotUnderstood('an unexpected character');
  }

  private scalar(i: number): { type: SpanType; end: number } {
    const c = this.s.charCodeAt(i);
    const end = this.scalarEnd(i);
    return { type: c === QUOTE ? 'string' : c === MINUS || isDigit(c) ? 'number' : 'literal', end };
  }

  /** RFC 8259's number grammar, by hand (a regex would allocate its match for each number). */
  private number(i: number): number {
    const s = this.s;
    const start = i;
    let plain = true;
    if (s.charCodeAt(i) === MINUS) i++;
    const first = s.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(s.charCodeAt(++i)));
    else throw new NotUnderstood('a bad number');
    if (s.charCodeAt(i) === 0x2e) {
      plain = false;
      if (!isDigit(s.charCodeAt(++i))) throw new NotUnderstood('a bad fraction');
      while (isDigit(s.charCodeAt(++i)));
    }
    const e = s.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      plain = false;
      const sign = s.charCodeAt(++i);
      if (sign === 0x2b || sign === MINUS) i++;
      if (!isDigit(s.charCodeAt(i))) throw new NotUnderstood('a bad exponent');
      while (isDigit(s.charCodeAt(++i)));
    }
    // JSON.stringify would write these otherwise (Infinity as null, -0 as 0): the full path decides.
    if (!plain || i - start > PLAIN_DIGITS || s.charCodeAt(start) === MINUS) {
      const value = Number(s.slice(start, i));
      if (!Number.isFinite(value) || Object.is(value, -0)) throw new NotUnderstood('an unusual number');
    }
    return i;
  }

  /** A value at `i` (white space before it allowed); inside an object when `want` asks into it. */
  value(i: number, want: Want | true): Span {
    const start = this.ws(i);
    const c = this.s.charCodeAt(start);
    if (c === LBRACE && want !== true) return this.object(start, want);
    if (c === LBRACE || c === LBRACKET) {
      return { type: c === LBRACE ? 'object' : 'array', start, end: this.skip(start) };
    }
    const { type, end } = this.scalar(start);
    return { type, start, end };
  }

  private object(start: number, want: Want): Span {
    const members = new Map<string, Span>();
    let i = this.ws(start + 1);
    if (this.s.charCodeAt(i) === RBRACE) return { type: 'object', start, end: i + 1, members };
    for (;;) {
      if (this.s.charCodeAt(i) !== QUOTE) throw new NotUnderstood('a key that is not a string');
      const keyEnd = this.string(i);
      const escaped = this.escaped;
      let key: string | undefined;
      let sub = want.any;
      if (sub !== undefined) key = this.key(i, keyEnd, escaped);
      else if (escaped) {
        key = this.key(i, keyEnd, escaped);
        const at = want.keys.indexOf(key);
        sub = at === -1 ? undefined : want.subs[at];
      } else {
        // Without escapes the key is its text: compared in place, no string made for keys not wanted.
        const length = keyEnd - i - 2;
        for (let k = 0; k < want.keys.length; k++) {
          const candidate = want.keys[k] as string;
          if (candidate.length === length && this.s.startsWith(candidate, i + 1)) {
            key = candidate;
            sub = want.subs[k];
            break;
          }
        }
      }
      i = this.ws(keyEnd);
      if (this.s.charCodeAt(i) !== COLON) throw new NotUnderstood('a key without a colon');
      if (sub === undefined || key === undefined) {
        i = this.skip(this.ws(i + 1));
      } else {
        // The same member twice: JSON.parse keeps the last, a client may read the first. Not here.
        if (members.has(key)) throw new NotUnderstood(`a member given twice: ${key}`);
        const span = this.value(i + 1, sub);
        members.set(key, span);
        i = span.end;
      }
      i = this.ws(i);
      const c = this.s.charCodeAt(i);
      if (c === RBRACE) return { type: 'object', start, end: i + 1, members };
      if (c !== COMMA) throw new NotUnderstood('a member not followed by , or }');
      i = this.ws(i + 1);
    }
  }

  /** The key just scanned (`[start, end)`) as JSON.parse reads it (escapes decoded). */
  private key(start: number, end: number, escaped: boolean): string {
    if (escaped) return JSON.parse(this.s.slice(start, end)) as string;
    return this.s.slice(start + 1, end - 1);
  }

  /** The index after the value that starts at `i` (validated, not recorded), without recursion. */
  skip(i: number): number {
    // 1: in an object, 0: in an array.
    const stack: number[] = [];
    for (;;) {
      i = this.ws(i);
      const c = this.s.charCodeAt(i);
      if (c === LBRACE || c === LBRACKET) {
        i = this.ws(i + 1);
        const d = this.s.charCodeAt(i);
        if (d === (c === LBRACE ? RBRACE : RBRACKET)) {
          i++;
        } else {
          stack.push(c === LBRACE ? 1 : 0);
          if (c === LBRACE) i = this.member(i);
          continue;
        }
      } else {
        i = this.scalarEnd(i);
      }
      // After a value: close what ends here, or go on after a comma.
      for (;;) {
        if (stack.length === 0) return i;
        i = this.ws(i);
        const d = this.s.charCodeAt(i);
        const inObject = stack[stack.length - 1] === 1;
        if (d === COMMA) {
          i = this.ws(i + 1);
          if (inObject) i = this.member(i);
          break;
        }
        if (d !== (inObject ? RBRACE : RBRACKET))
          throw new NotUnderstood('a value not followed by , or a close');
        stack.pop();
        i++;
      }
    }
  }

  /** A key and its colon at `i`: the index of its value. */
  private member(i: number): number {
    if (this.s.charCodeAt(i) !== QUOTE) throw new NotUnderstood('a key that is not a string');
    i = this.ws(this.string(i));
    if (this.s.charCodeAt(i) !== COLON) throw new NotUnderstood('a key without a colon');
    return i + 1;
  }
}

/** The string a string span holds, as JSON.parse reads it. */
export function stringAt(text: string, span: Span): string {
  const raw = text.slice(span.start + 1, span.end - 1);
  return raw.includes('\\') ? (JSON.parse(text.slice(span.start, span.end)) as string) : raw;
}

/** Builds a want from a plain nested object (`true`: record only); `ANY` for every key. */
export function want(shape: { readonly [key: string]: object | true }): Want {
  const build = (sub: object | true): Want | true =>
    sub === true ? true : want(sub as { readonly [key: string]: object | true });
  const any = Object.hasOwn(shape, ANY) ? shape[ANY] : undefined;
  if (any !== undefined) return { keys: [], subs: [], any: build(any) };
  const entries = Object.entries(shape);
  return { keys: entries.map(([key]) => key), subs: entries.map(([, sub]) => build(sub)) };
}

/** Text with spans replaced: `edits` are `[start, end, replacement]`, none overlapping. */
export function splice(text: string, edits: [number, number, string][]): string {
  if (edits.length === 0) return text;
  edits.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end, replacement] of edits) {
    if (start < at) throw new Error('overlapping edits');
    out += text.slice(at, start) + replacement;
    at = end;
  }
  return out + text.slice(at);
}
