/**
 * Turns a raw HTTP request target into the path the Docker daemon would route, or refuses it.
 *
 * The daemon (gorilla/mux) routes on the percent-decoded path, answers 301 for paths that are not
 * clean (`//`, `.` and `..` segments, also when they are spelled `%2E%2E` or `%2F`), and matches
 * case-sensitively. A proxy that decides on one spelling while the daemon routes another is the
 * classic path-confusion bypass (compare GHSA-2q7r-29rg-6m5h, encoded dot segments), so every
 * spelling that is not already the daemon's canonical form is refused here, before any decision.
 */
export interface RequestTarget {
  /** API version prefix without the `v` (`1.41`), or null when the request had none. */
  readonly version: string | null;
  /** Decoded path after the version prefix, always starting with `/`. */
  readonly path: string;
  /** Decoded path segments of `path`. */
  readonly segments: readonly string[];
  /** The raw query string without `?` (may be empty). */
  readonly rawQuery: string;
  readonly query: URLSearchParams;
}

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

// RFC 3986 pchar plus "/" and "%"; anything else (space, quotes, backslash, non-ASCII, "#") is refused.
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,=:@/?%[\]{}"|\\^` ]*$/;
const VERSION_PREFIX = /^\/v([0-9.]+)(\/.*)$/;

export function parseTarget(raw: string): RequestTarget {
  if (!raw.startsWith('/')) throw new TargetError('request target must be an absolute path');
  if (raw.includes('#')) throw new TargetError('request target must not contain "#"');
  const q = raw.indexOf('?');
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const rawQuery = q === -1 ? '' : raw.slice(q + 1);
  if (!PATH_CHARS.test(rawPath))
    throw new TargetError('path contains characters that must be percent-encoded');
  // Go's url.ParseQuery rejects ";" (since Go 1.17) and the daemon would see a different query than us.
  if (rawQuery.includes(';')) throw new TargetError('query must not contain ";"');
  if (!QUERY_CHARS.test(rawQuery))
    throw new TargetError('query contains characters that must be percent-encoded');
  const decoded = decodePath(rawPath);
  if (!isCleanPath(decoded)) {
    throw new TargetError('path is not in canonical form (empty, "." or ".." segments, or a trailing slash)');
  }
  if (rawQuery !== '') {
    try {
      // Validates the escapes as Go does; URLSearchParams itself would keep a broken "%zz" silently.
      decodeURIComponent(rawQuery.replace(/\+/g, ' '));
    } catch {
      throw new TargetError('query has an invalid percent-encoding');
    }
  }
  const m = VERSION_PREFIX.exec(decoded);
  const version = m ? (m[1] ?? null) : null;
  const path = m ? (m[2] ?? '/') : decoded;
  return new Target(version, path, rawQuery);
}

/** The parsed query is made when first asked for: most requests never read it (issue #13). */
class Target implements RequestTarget {
  readonly version: string | null;
  readonly path: string;
  readonly segments: readonly string[];
  readonly rawQuery: string;
  #query: URLSearchParams | undefined;
  constructor(version: string | null, path: string, rawQuery: string) {
    this.version = version;
    this.path = path;
    this.segments = path.split('/').slice(1);
    this.rawQuery = rawQuery;
  }
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.rawQuery);
    return this.#query;
  }
}

/** Decodes %XX escapes; an encoded "/" or a control character is refused since it changes routing. */
function decodePath(rawPath: string): string {
  if (!rawPath.includes('%')) return rawPath;
  let out: string;
  try {
    out = decodeURIComponent(rawPath);
  } catch {
    throw new TargetError('path has an invalid percent-encoding');
  }
  if (/%2f/i.test(rawPath) || /%5c/i.test(rawPath))
    throw new TargetError('path must not contain an encoded slash');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(out)) throw new TargetError('path must not contain control characters');
  return out;
}

/** True when gorilla/mux's cleanPath would leave the path unchanged (and it has no trailing slash). */
function isCleanPath(path: string): boolean {
  if (path === '/') return true;
  // One pass over the segments after the leading `/`, no arrays (this runs on every request).
  let start = 1;
  for (let i = 1; i <= path.length; i++) {
    if (i < path.length && path.charCodeAt(i) !== 0x2f) continue;
    const length = i - start;
    if (length === 0) return false;
    if (
      path.charCodeAt(start) === 0x2e &&
      (length === 1 || (length === 2 && path.charCodeAt(start + 1) === 0x2e))
    )
      return false;
    start = i + 1;
  }
  return true;
}
