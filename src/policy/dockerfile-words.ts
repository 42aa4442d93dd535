import { isGoSpace } from '../body/go-strings.ts';
import type { EscapeToken } from './dockerfile-lines.ts';
import { ChangesError, splitOnce } from './dockerfile-lines.ts';

/**
 * What the daemon makes of a LABEL's arguments (moby v20.10, vendored buildkit): the parser splits
 * them into words keeping quotes (`parser/line_parsers.go` parseWords, parseNameVal: `key=value ...`,
 * or the legacy `LABEL key value` when the first word has no `=`), `instructions/parse.go` pairs them
 * (parseKvps refuses an empty key), and the builder expands each key and value with the shell lexer
 * (`shell/lex.go` ProcessWord, run from `builder/dockerfile/evaluator.go` dispatch) before
 * dispatchLabel stores them. Quotes and escapes are resolved only there: `dockscope\.owner` is
 * `dockscope.owner`. Pure functions.
 */

/** A key or value after the lexer: its text, or `null` when it expands a variable (env-dependent). */
type LexedWord = string | null;

interface LabelPair {
  readonly key: LexedWord;
  readonly value: LexedWord;
}

/** parseWords: words split at Unicode spaces outside quotes, quotes and escapes kept. */
export function parseWords(rest: string, esc: EscapeToken): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= chars.length; pos++) {
    const end = pos === chars.length;
    let ch = chars[pos] ?? '';
    if (phase === 'spaces') {
      if (end) break;
      if (isGoSpace(ch)) continue;
      phase = 'word';
    }
    if (end) {
      if (blankOK || word !== '') words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isGoSpace(ch)) {
        phase = 'spaces';
        if (blankOK || word !== '') words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === esc) {
        if (pos + 1 === chars.length) continue; // an escape token at the end is dropped
        word += ch;
        pos++;
        ch = chars[pos] ?? '';
      }
      word += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === esc && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      pos++;
      word += ch;
      ch = chars[pos] ?? '';
    }
    word += ch;
  }
  return words;
}

/**
 * The raw key/value pairs of a LABEL (parseNameVal, then parseKvps), or null when the daemon refuses
 * the instruction itself (no arguments, a word without `=`, an empty key, one legacy argument).
 */
export function labelArguments(rest: string, esc: EscapeToken): [string, string][] | null {
  const words = parseWords(rest, esc);
  const [first] = words;
  if (first === undefined) return null;
  let pairs: [string, string][];
  if (!first.includes('=')) {
    // The legacy form splits the raw text at the first ASCII blank run, not the words.
    const [key, value] = splitOnce(rest);
    if (value === undefined) return null;
    pairs = [[key, value]];
  } else {
    pairs = [];
    for (const w of words) {
      const at = w.indexOf('=');
      if (at === -1) return null;
      pairs.push([w.slice(0, at), w.slice(at + 1)]);
    }
  }
  return pairs.some(([key]) => key === '') ? null : pairs;
}

const EOF = '';
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);
const isDigit = (ch: string) => /^\p{Nd}$/u.test(ch);
const isLetter = (ch: string) => /^\p{L}$/u.test(ch);

/**
 * ProcessWord: quotes removed, escapes resolved, `$name` and `${...}` expanded. An expansion depends
 * on the environment (the commit body's Env, earlier ENV changes): the word is then `null`. A
 * lexing error the daemon would report (an unterminated quote, a bad substitution) throws.
 */
export function lexWord(word: string, esc: EscapeToken): LexedWord {
  const chars = Array.from(word);
  // Go's text/scanner, which the lexer reads through, skips a byte-order mark as the first character.
  let i = chars[0] === '\uFEFF' ? 1 : 0;
  let expanded = false;
  const peek = () => chars[i] ?? EOF;
  const next = () => chars[i++] ?? EOF;

  const name = (): string => {
    let out = '';
    while (peek() !== EOF) {
      const ch = peek();
      if (out === '' && isDigit(ch)) {
        while (peek() !== EOF && isDigit(peek())) out += next();
        return out;
      }
      if (out === '' && SPECIAL_PARAMS.has(ch)) return next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      out += next();
    }
    return out;
  };
  const dollar = (): string => {
    next();
    if (peek() !== '{') {
      if (name() === '') return '$';
      expanded = true;
      return '';
    }
    next();
    if (peek() === EOF) throw new ChangesError("syntax error: missing '}'");
    if (peek() === '{' || peek() === '}' || peek() === ':')
      throw new ChangesError('syntax error: bad substitution');
    name();
    const ch = next();
    if (ch === '?') stopOn('}');
    else if (ch === ':') {
      const modifier = next();
      stopOn('}');
      if (modifier !== '+' && modifier !== '-' && modifier !== '?')
        throw new ChangesError(`unsupported modifier (${modifier}) in substitution`);
    } else if (ch !== '}') throw new ChangesError("missing ':' in substitution");
    expanded = true;
    return '';
  };
  const single = (): string => {
    next();
    let out = '';
    for (;;) {
      const ch = next();
      if (ch === EOF)
        throw new ChangesError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  };
  const double = (): string => {
    next();
    let out = '';
    for (;;) {
      const ch = peek();
      if (ch === EOF)
        throw new ChangesError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        next();
        return out;
      }
      if (ch === '$') {
        out += dollar();
        continue;
      }
      let c = next();
      if (c === esc) {
        const after = peek();
        if (after === EOF) continue;
        // Only `"`, `$` and the escape token itself can be escaped; other escapes stay as written.
        if (after === '"' || after === '$' || after === esc) c = next();
      }
      out += c;
    }
  };
  function stopOn(stop: string): string {
    let out = '';
    while (peek() !== EOF) {
      const ch = peek();
      if (stop !== EOF && ch === stop) {
        next();
        return out;
      }
      if (ch === "'") out += single();
      else if (ch === '"') out += double();
      else if (ch === '$') out += dollar();
      else {
        let c = next();
        if (c === esc) {
          c = next();
          if (c === EOF) break;
        }
        out += c;
      }
    }
    if (stop !== EOF)
      throw new ChangesError(`unexpected end of statement while looking for matching ${stop}`);
    return out;
  }

  const text = stopOn(EOF);
  return expanded ? null : text;
}

/** A LABEL's pairs as dispatchLabel stores them, or null when the daemon refuses the instruction. */
export function labelPairs(rest: string, esc: EscapeToken): LabelPair[] | null {
  const raw = labelArguments(rest, esc);
  return raw ? raw.map(([k, v]) => ({ key: lexWord(k, esc), value: lexWord(v, esc) })) : null;
}
