import { asLabels, isObject } from '../policy/container-facts.ts';
import type { ContainerIdentity, Visibility } from '../policy/matcher.ts';
import { ownName } from '../policy/matcher.ts';
import { JsonArrayFilter } from './json-array-filter.ts';
import { HIDDEN_REF, visibleNames } from './references.ts';

/**
 * The only fields of a list entry that are parsed: the two visibility looks at, and `HostConfig` (it
 * holds `NetworkMode`, which may name another container). The rest is scanned, never parsed.
 */
export const SUMMARY_FIELDS = ['Names', 'Labels', 'HostConfig'] as const;

/**
 * A list entry's `HostConfig` with a `container:<id>` network mode naming a container the client may not
 * see replaced by `container:<hidden>`; null when nothing changes.
 */
export function scopedHostConfig(summary: unknown, isVisibleId: (id: string) => boolean): unknown | null {
  if (!isObject(summary) || !isObject(summary.HostConfig)) return null;
  const mode = summary.HostConfig.NetworkMode;
  if (typeof mode !== 'string' || !mode.startsWith('container:')) return null;
  if (isVisibleId(mode.slice('container:'.length))) return null;
  return { ...summary.HostConfig, NetworkMode: `container:${HIDDEN_REF}` };
}

/** The identity of a container list entry (`GET /containers/json`, `/system/df` Containers). */
export function summaryIdentity(summary: unknown): ContainerIdentity | null {
  if (!isObject(summary)) return null;
  const names = Array.isArray(summary.Names)
    ? summary.Names.filter((n): n is string => typeof n === 'string')
    : [];
  return { name: ownName(names), labels: asLabels(summary.Labels) };
}

export function isVisibleSummary(visibility: Visibility, summary: unknown): boolean {
  const identity = summaryIdentity(summary);
  return identity !== null && visibility(identity);
}

/**
 * `Names` without the link entries of parents the client may not see (see transforms/references.ts);
 * null when nothing changes.
 */
export function scopedNames(summary: unknown, visibility: Visibility): unknown[] | null {
  if (!isObject(summary) || !Array.isArray(summary.Names)) return null;
  const kept = visibleNames(summary.Names, (name) => visibility({ name, labels: null }));
  return kept.length === summary.Names.length ? null : kept;
}

/**
 * Streams `GET /containers/json`, keeping only the visible containers (at most `limit` of them, since
 * the daemon's own `limit` is taken off the forwarded query: it would count hidden containers).
 */
export function containerListFilter(
  visibility: Visibility,
  limit?: number,
  isVisibleId: (id: string) => boolean = () => false,
): JsonArrayFilter {
  return new JsonArrayFilter((summary) => isVisibleSummary(visibility, summary), {
    fields: SUMMARY_FIELDS,
    ...(limit === undefined ? {} : { maxKept: limit }),
    rewrite: (picked) => {
      const names = scopedNames(picked, visibility);
      const host = scopedHostConfig(picked, isVisibleId);
      if (!names && !host) return null;
      return { ...(names ? { Names: names } : {}), ...(host ? { HostConfig: host } : {}) };
    },
  });
}
