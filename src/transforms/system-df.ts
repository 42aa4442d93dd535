import { isObject } from '../policy/container-facts.ts';

/**
 * Keeps only visible containers in `GET /system/df`'s `Containers` list, with `Names` scoped as in the
 * container list.
 */
export function filterSystemDf(
  df: unknown,
  isVisible: (summary: unknown) => boolean,
  names: (summary: unknown) => unknown[] | null = () => null,
): unknown {
  if (!isObject(df) || !Array.isArray(df.Containers)) return df;
  const kept = df.Containers.filter(isVisible);
  df.Containers = kept;
  for (const summary of kept) {
    const scoped = names(summary);
    if (scoped && isObject(summary)) summary.Names = scoped;
  }
  return df;
}
