import { asLabels, isObject } from '../policy/container-facts.ts';
import type { ContainerIdentity, Visibility } from '../policy/matcher.ts';
import { ownName } from '../policy/matcher.ts';
import { JsonArrayFilter } from './json-array-filter.ts';
import { visibleNames } from './references.ts';

/** The only fields of a list entry that visibility looks at; the rest is never parsed. */
export const SUMMARY_FIELDS = ['Names', 'Labels'] as const;

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
export function containerListFilter(visibility: Visibility, limit?: number): JsonArrayFilter {
  return new JsonArrayFilter((summary) => isVisibleSummary(visibility, summary), {
    fields: SUMMARY_FIELDS,
    ...(limit === undefined ? {} : { maxKept: limit }),
    rewrite: (picked) => {
      const names = scopedNames(picked, visibility);
      return names ? { Names: names } : null;
    },
  });
}
