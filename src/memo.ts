/**
 * A pure function's answers remembered per key, for work on the hot path whose keys repeat (paths,
 * API versions, peer addresses, the upstream timeout). At most `limit` keys: past that the table
 * starts again empty, so keys a client chooses cannot make it grow. `compute` never returns undefined.
 */
export function remembered<K, V>(compute: (key: K) => V, limit: number): (key: K) => V {
  const seen = new Map<K, V>();
  return (key) => {
    let value = seen.get(key);
    if (value === undefined) {
      value = compute(key);
      if (seen.size >= limit) seen.clear();
      seen.set(key, value);
    }
    return value;
  };
}
