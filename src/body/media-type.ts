/**
 * A request's Content-Type as the daemon reads it (issue #19). Go lower-cases it with `strings.ToLower`
 * (per rune, Unicode's simple mapping), and `mime.ParseMediaType` takes what comes before the first
 * `;`, trimmed. JavaScript's `toLowerCase` uses the full mapping, so `İ` (U+0130) becomes `i̇` (two
 * code points) where Go makes it an ASCII `i`: `applİcation/x-www-form-urlencoded` is a form body to
 * the daemon, whose ParseForm then lets body values replace the query that dockscope judged.
 */
import { goToLower, goTrimSpace } from './go-strings.ts';

// mime's isTokenChar: visible ASCII (0x21-0x7e) except the tspecials of RFC 2045, `()<>@,;:\"/[]?=`.
const TOKEN = /^[!#-'*+\-.0-9A-Z^-~]+$/;

type MediaType =
  /** What `mime.ParseMediaType` returns as the media type (lower case, no parameters). */
  | { readonly type: string }
  /** `mime.ParseMediaType` fails on the type itself ("mime: no media type", "expected token after slash"). */
  | { readonly malformed: true };

/**
 * The media type the daemon reads from a Content-Type header value, as Node hands it over (each byte a
 * latin1 character): the bytes are read as UTF-8, lower-cased and cut as Go does. A type followed by
 * parameters Go cannot parse still counts as that type (Go returns it with ErrInvalidMediaParameter,
 * and ParseForm goes on with it).
 */
export function goMediaType(headerValue: string): MediaType {
  const text = Buffer.from(headerValue, 'latin1').toString('utf8');
  const semicolon = text.indexOf(';');
  const base = goTrimSpace(goToLower(semicolon === -1 ? text : text.slice(0, semicolon)));
  const slash = base.indexOf('/');
  const major = slash === -1 ? base : base.slice(0, slash);
  const minor = slash === -1 ? null : base.slice(slash + 1);
  // checkMediaTypeDisposition: a token, optionally `/` and a second token, nothing else.
  if (!TOKEN.test(major) || (minor !== null && !TOKEN.test(minor))) return { malformed: true };
  return { type: base };
}

/** Media types whose body Go's ParseForm or ParseMultipartForm reads as form values. */
export function isFormType(type: string): boolean {
  return type === 'application/x-www-form-urlencoded' || type.startsWith('multipart/');
}
