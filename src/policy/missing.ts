import { createHash, randomBytes } from 'node:crypto';

/**
 * A hidden container must answer exactly as a missing one, and the only faithful source of a missing
 * container's answer is the daemon. So a request that names a hidden (or missing) container is sent on
 * with that reference replaced by a sentinel no container can have (`~` is in no container name or
 * id), and in the daemon's answer the sentinel is replaced by what the client typed. Status, headers
 * and bytes are then the daemon's own, for every route and every place a reference can stand.
 */
export interface MissingRef {
  readonly sentinel: string;
  /** The reference as the client wrote it. */
  readonly typed: string;
}

const TOKEN = randomBytes(6).toString('hex');
/** The first 56 hex digits of this process's image id sentinels (policy/image-refs.ts). */
const ID_BASE = createHash('sha256').update(`dockscope-image-id~${TOKEN}`).digest('hex').slice(0, 56);

/** The token of this process's sentinels (image sentinels are made from it too). */
export function sentinelToken(): string {
  return TOKEN;
}

/**
 * The i-th image id sentinel: 64 hex digits (an image id is hex, so `~` cannot stand in one), of an
 * image no daemon has.
 */
export function idSentinel(i = 0): string {
  return `${ID_BASE}${i.toString(16).padStart(8, '0')}`;
}

/** The i-th sentinel of a request; distinct ones let several references in one body be put back. */
export function sentinel(i = 0): string {
  return `dockscope~missing~${TOKEN}~${i}`;
}

/** Whether a hex run found in an answer is the token of this process's sentinels (not a container id). */
export function isSentinelToken(hex: string): boolean {
  return hex === TOKEN || (hex.length === 64 && hex.startsWith(ID_BASE));
}

export function missingRef(typed: string, i = 0): MissingRef {
  // A lone surrogate cannot reach the daemon: Go reads it as U+FFFD, and so is it shown.
  return { sentinel: sentinel(i), typed: typed.toWellFormed() };
}

/**
 * A string as the daemon writes it inside quotes in an error answer (httputils.WriteJSON: Go's
 * encoder with SetEscapeHTML(false)): `"` and `\\` escaped, `\\n`, `\\r`, `\\t` short, other control
 * characters as `\\u00XX`, and U+2028/U+2029 escaped (Go always escapes those); `<`, `>`, `&` as they are.
 */
export function goJsonInner(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || ch === '\u2028' || ch === '\u2029') out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Puts the typed references back into a daemon answer (JSON bodies get them JSON-escaped as Go does). */
export function restoreRefs(body: string, refs: readonly MissingRef[], json: boolean): string {
  let out = body;
  // Longest sentinel first, so `~1` never eats the start of `~10`.
  const ordered = [...refs].sort((a, b) => b.sentinel.length - a.sentinel.length);
  for (const ref of ordered) {
    const typed = json ? goJsonInner(ref.typed) : ref.typed;
    // A function, not a string: `$&` and `$'` in what the client typed are text, not patterns.
    out = out.replaceAll(ref.sentinel, () => typed);
  }
  return out;
}

/**
 * Links of a network endpoint are stored by the daemon as they are sent and echoed in every later
 * inspect (`NetworkSettings.Networks.*.Links`), long after the request whose sentinels could be put
 * back. So a link to a hidden or missing container is sent with a sentinel that carries the typed
 * name itself: `dockscope~link~` and each UTF-8 byte as two letters from g to v (no hex digit, so no
 * id scrubber takes it for a container id; `~` is in no container name, so it never resolves).
 */
const LINK_PREFIX = 'dockscope~link~';
const LINK_LETTERS = 'ghijklmnopqrstuv';

export function linkSentinel(name: string): string {
  let out = LINK_PREFIX;
  for (const byte of Buffer.from(name.toWellFormed(), 'utf8')) {
    out += `${LINK_LETTERS[byte >> 4]}${LINK_LETTERS[byte & 15]}`;
  }
  return out;
}

const LINK_SENTINEL = /dockscope~link~((?:[g-v][g-v])*)/g;

/** A stored link with every link sentinel replaced by the name it carries. */
export function restoreLinkSentinels(link: string): string {
  return link.replace(LINK_SENTINEL, (_all, letters: string) => {
    const bytes = Buffer.alloc(letters.length / 2);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] =
        (LINK_LETTERS.indexOf(letters[2 * i] ?? '') << 4) | LINK_LETTERS.indexOf(letters[2 * i + 1] ?? '');
    }
    return bytes.toString('utf8');
  });
}
