import { asLabels, isObject } from '../policy/container-facts.ts';
import type { ContainerIdentity, Visibility } from '../policy/matcher.ts';
import { ownName } from '../policy/matcher.ts';
import { JsonArrayFilter } from './json-array-filter.ts';

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

/** Streams `GET /containers/json`, keeping only the visible containers. */
export function containerListFilter(visibility: Visibility): JsonArrayFilter {
  return new JsonArrayFilter((summary) => isVisibleSummary(visibility, summary), { fields: SUMMARY_FIELDS });
}
