/**
 * Go's string functions that the daemon applies to what a client sends, where JavaScript's differ
 * (issue #19): the daemon lower-cases a Content-Type, a query flag and a Dockerfile instruction with
 * `strings.ToLower`, and trims them with `strings.TrimSpace`.
 */

/** `unicode.IsSpace`: ASCII space, \t \n \v \f \r, U+0085, U+00A0 and Unicode White_Space. */
const GO_SPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const ONE_SPACE = new RegExp(`^${GO_SPACE}$`, 'u');
const LEADING_SPACE = new RegExp(`^${GO_SPACE}+`, 'u');
const TRAILING_SPACE = new RegExp(`${GO_SPACE}+$`, 'u');

/** `unicode.IsSpace` of one character. JavaScript's `\s` also takes U+FEFF, and its trim() keeps U+0085. */
export function isGoSpace(ch: string): boolean {
  return ONE_SPACE.test(ch);
}

/** `strings.TrimLeftFunc(s, unicode.IsSpace)`. */
export function goTrimLeft(text: string): string {
  return text.replace(LEADING_SPACE, '');
}

/** `strings.TrimSpace`. */
export function goTrimSpace(text: string): string {
  return goTrimLeft(text).replace(TRAILING_SPACE, '');
}

/** Go's `unicode.ToLower` of one code point (the simple mapping; only U+0130 differs from JS's full one). */
function goLowerRune(cp: number): string {
  if (cp === 0x130) return 'i';
  const lower = String.fromCodePoint(cp).toLowerCase();
  return [...lower].length === 1 ? lower : String.fromCodePoint(cp);
}

/**
 * `strings.ToLower` (bytes that are not UTF-8 have become U+FFFD, as Go's do). JavaScript's
 * `toLowerCase` uses the full mapping, so `İ` (U+0130) becomes `i̇`, two code points, where Go makes it
 * an ASCII `i`; and it applies context rules (a final sigma) that Go, rune by rune, does not.
 */
export function goToLower(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    out += cp < 0x80 ? (cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : ch) : goLowerRune(cp);
  }
  return out;
}
