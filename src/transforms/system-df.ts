import { isObject } from '../policy/container-facts.ts';

/** Keeps only visible containers in `GET /system/df`'s `Containers` list. */
export function filterSystemDf(df: unknown, isVisible: (summary: unknown) => boolean): unknown {
  if (!isObject(df) || !Array.isArray(df.Containers)) return df;
  df.Containers = df.Containers.filter(isVisible);
  return df;
}
