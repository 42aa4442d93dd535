/** Byte-level helpers of JsonArrayFilter over one element's bytes: whitespace, key match, field splice. */

/** JSON's four whitespace bytes. */
export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Which of `fields` the key bytes `buf[from, to)` are, compared in place (no string per key); -1 for
 * none. The caller decodes a key that spans chunks or has escapes instead.
 */
export function fieldAt(fields: readonly Buffer[], buf: Buffer, from: number, to: number): number {
  const length = to - from;
  for (let f = 0; f < fields.length; f++) {
    const field = fields[f] as Buffer;
    if (field.length !== length) continue;
    let same = true;
    for (let k = 0; k < length && same; k++) same = field[k] === buf[from + k];
    if (same) return f;
  }
  return -1;
}

/**
 * The element with the given fields' values replaced: `spans` are the byte offsets of each field's
 * value in `raw`; every other byte stays as the upstream sent it.
 */
export function spliceFields(
  raw: Buffer,
  spans: ReadonlyMap<string, readonly [number, number]>,
  replaced: Record<string, unknown>,
): Buffer {
  const edits = [...spans]
    .filter(([field]) => Object.hasOwn(replaced, field))
    .sort((a, b) => a[1][0] - b[1][0]);
  if (edits.length === 0) return raw;
  const parts: Buffer[] = [];
  let at = 0;
  for (const [field, [from, to]] of edits) {
    parts.push(raw.subarray(at, from), Buffer.from(JSON.stringify(replaced[field])));
    at = to;
  }
  parts.push(raw.subarray(at));
  return Buffer.concat(parts);
}
