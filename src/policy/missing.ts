import { randomBytes } from 'node:crypto';

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

/** The i-th sentinel of a request; distinct ones let several references in one body be put back. */
export function sentinel(i = 0): string {
  return `dockscope~missing~${TOKEN}~${i}`;
}

export function missingRef(typed: string, i = 0): MissingRef {
  return { sentinel: sentinel(i), typed };
}

/**
 * A string as Go's encoding/json writes it inside quotes: JSON escapes, and also `<`, `>`, `&`,
 * U+2028 and U+2029, which Go escapes by default.
 */
export function goJsonInner(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Puts the typed references back into a daemon answer (JSON bodies get them JSON-escaped as Go does). */
export function restoreRefs(body: string, refs: readonly MissingRef[], json: boolean): string {
  let out = body;
  // Longest sentinel first, so `~1` never eats the start of `~10`.
  const ordered = [...refs].sort((a, b) => b.sentinel.length - a.sentinel.length);
  for (const ref of ordered) out = out.replaceAll(ref.sentinel, json ? goJsonInner(ref.typed) : ref.typed);
  return out;
}
