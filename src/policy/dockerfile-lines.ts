/**
 * The `changes` of `POST /commit` and of an import (`POST /images/create?fromSrc=`) read as the daemon
 * reads them (issue #19): Docker 20.10's `dockerfile.BuildFromConfig` joins every `changes` value with
 * "\n" and hands the text to buildkit's Dockerfile parser (`frontend/dockerfile/parser/parser.go`,
 * vendored in moby v20.10). That parser reads a `# escape=` directive on the first lines (so the
 * escape token of the changes is the client's to choose), joins continuation lines, and drops comment
 * and empty continuation lines. This module is that reading, line for line; `dockerfile-words.ts` is
 * what happens to a LABEL's arguments after it. Pure functions.
 */
import { goToLower, goTrimLeft, goTrimSpace } from '../body/go-strings.ts';

/** A change dockscope cannot read as the daemon would: refused before anything is sent. */
export class ChangesError extends Error {
  override readonly name = 'ChangesError';
}

export type EscapeToken = '\\' | '`';

/** One instruction as the parser hands it on: the joined logical line, and its split. */
export interface Instruction {
  /** The logical line: continuations joined, comment lines dropped (`Node.Original`). */
  readonly text: string;
  /** The instruction name lower-cased as Go's strings.ToLower does (`label`, `env`, ...). */
  readonly command: string;
  /** What follows the name, builder flags included, trimmed (`cmdline[1]` of splitCommand). */
  readonly rest: string;
}

export interface ParsedChanges {
  readonly escape: EscapeToken;
  readonly instructions: readonly Instruction[];
}

/** The parser's `reWhitespace` (`[\t\v\f\r ]+`): ASCII only, unlike unicode.IsSpace. */
const RE_WHITESPACE = /[\t\v\f\r ]+/;

/** `reWhitespace.Split(s, 2)` for an s that does not start with whitespace. */
export function splitOnce(s: string): [string] | [string, string] {
  const m = RE_WHITESPACE.exec(s);
  if (!m || m.index === 0) return [s];
  return [s.slice(0, m.index), s.slice(m.index + m[0].length)];
}

// `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` with Go's \s, which is [\t\n\f\r ] (no \v).
const RE_DIRECTIVE = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/u;

class Directives {
  escape: EscapeToken = '\\';
  continuation = continuationRegex('\\');
  done = false;
  readonly seen = new Set<string>();

  /** possibleParserDirective: only before the first line that is not a directive. */
  check(line: string): void {
    if (this.done) return;
    const m = RE_DIRECTIVE.exec(line);
    const key = m?.[1]?.toLowerCase();
    if (!m || (key !== 'escape' && key !== 'syntax')) {
      this.done = true;
      return;
    }
    if (this.seen.has(key)) throw new ChangesError(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    if (key !== 'escape') return;
    const token = m[2];
    if (token !== '`' && token !== '\\')
      throw new ChangesError(`invalid escape token '${token}' does not match \` or \\`);
    this.escape = token;
    this.continuation = continuationRegex(token);
  }
}

/**
 * setEscapeToken's line-continuation regex: the escape token as the last character but blanks, not
 * preceded by another escape token, or alone on its line.
 */
function continuationRegex(token: EscapeToken): RegExp {
  const t = token === '\\' ? '\\\\' : '`';
  return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`, 'u');
}

/** trimContinuationCharacter: the line without its continuation, and whether it ends the instruction. */
function trimContinuation(line: string, d: Directives): [string, boolean] {
  if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
  return [line, true];
}

/** processLine: directives are looked for, and a line that starts with `#` is emptied (trimComments). */
function processLine(d: Directives, line: string, stripLeft: boolean): string {
  const token = stripLeft ? goTrimLeft(line) : line;
  d.check(token);
  return token.startsWith('#') ? '' : token;
}

const isComment = (line: string) => goTrimLeft(line).startsWith('#');

/** bufio.ScanLines: split at "\n", a "\r" before it dropped, no line after a final "\n". */
function scanLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** splitCommand without the builder flags: the lower-cased name and the rest. */
function splitCommand(text: string): { command: string; rest: string } {
  const [name, rest = ''] = splitOnce(goTrimSpace(text));
  return { command: goToLower(name), rest: goTrimSpace(rest) };
}

/** parser.Parse of `strings.Join(changes, "\n")`. Throws ChangesError where the parser fails. */
export function parseChanges(values: readonly string[]): ParsedChanges {
  const d = new Directives();
  const lines = scanLines(values.join('\n'));
  const instructions: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    // The first line of the text loses a UTF-8 byte-order mark.
    const first = i === 0 ? (lines[0] ?? '').replace(/^\uFEFF/, '') : (lines[i] ?? '');
    i++;
    let [line, ended] = trimContinuation(processLine(d, first, true), d);
    if (ended && line === '') continue;
    while (!ended && i < lines.length) {
      const raw = lines[i] ?? '';
      const next = processLine(d, raw, false);
      i++;
      if (isComment(raw) || goTrimLeft(next) === '') continue;
      const [part, end] = trimContinuation(next, d);
      line += part;
      ended = end;
    }
    instructions.push({ text: line, ...splitCommand(line) });
  }
  return { escape: d.escape, instructions };
}
