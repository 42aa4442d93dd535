import { LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { errors } from '../errors.ts';
import { isObject } from './container-facts.ts';
import type { DecideInput, Forwarding } from './forward.ts';
import { asMissing, prefix } from './forward.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { filterValues, isLegacyForm } from './ownership.ts';
import type { ContainerResolver } from './resolver.ts';

/**
 * The container list: `before` and `since` filters name a container, and a hidden one must fail as a
 * missing one does (the daemon answers 500 for those), so it is sent on as a sentinel.
 */
export async function decideList(input: DecideInput, resolver: ContainerResolver): Promise<Forwarding> {
  const rawFilters = input.target.query.get('filters');
  const names = resolver.daemonNames;
  const labels = resolver.daemonLabels;
  if (!rawFilters) {
    if (names) return listForward(input, JSON.stringify({ name: filterValues(names, false) }));
    if (labels) return listForward(input, JSON.stringify({ label: filterValues(labels, false) }));
    return listForward(input);
  }
  // Refuses duplicate keys, so that JSON.parse below reads what the daemon's decoder reads.
  decodeBody(rawFilters, LIST_FILTERS);
  const filters = JSON.parse(rawFilters) as Record<string, unknown>;
  // The client's own name filter stays as it is (the daemon ORs the values of one key).
  let pushed = names !== undefined && filters.name === undefined;
  if (names && pushed) filters.name = filterValues(names, isLegacyForm(filters));
  // Label values must all hold for the daemon: the client's own and the visibility rule's narrow alike.
  if (labels) {
    filters.label = withLabelValues(filters.label, labels, isLegacyForm(filters));
    pushed = true;
  }
  const missing: MissingRef[] = [];
  for (const key of ['before', 'since']) {
    const value = filters[key];
    // Two forms exist: {"before":{"ref":true}} (current) and {"before":["ref"]} (legacy).
    const legacy = Array.isArray(value);
    const refs: unknown[] = legacy ? value : isObject(value) ? Object.keys(value) : [];
    const out: string[] = [];
    for (const ref of refs) {
      if (typeof ref !== 'string') throw errors.badRequest(`filter ${key} must name containers`);
      const facts = await resolver.resolve(ref);
      if (facts?.visible) out.push(ref);
      else {
        const m = missingRef(ref, missing.length);
        missing.push(m);
        out.push(m.sentinel);
      }
    }
    if (refs.length > 0) filters[key] = filterValues(out, legacy);
  }
  if (missing.length === 0) return listForward(input, pushed ? JSON.stringify(filters) : undefined);
  const query = new URLSearchParams(input.target.query);
  query.set('filters', JSON.stringify(filters));
  return asMissing(`${prefix(input.target)}/containers/json?${query}`, missing);
}

/** A list filter's `label` values with more added, in the form it has (or the rest has, when absent). */
function withLabelValues(label: unknown, more: readonly string[], legacy: boolean): unknown {
  if (Array.isArray(label)) return [...label, ...more];
  if (label === undefined) return filterValues(more, legacy);
  if (typeof label !== 'object' || label === null)
    throw errors.badRequest('the label filter must be an object or a list');
  return { ...(label as Record<string, unknown>), ...filterValues(more, false) };
}

/**
 * The daemon applies `limit` before dockscope filters, so it would count hidden containers (and the
 * client would learn where they stand). A positive limit is taken off the forwarded query and applied
 * to the filtered list; since a limit implies `all` for the daemon, `all=1` is sent instead. Any other
 * value goes on unchanged, for the daemon to answer as it does. `filters`, when given, replaces the
 * client's (a name filter added for the daemon: see Visibility.daemonNames).
 */
function listForward(input: DecideInput, filters?: string): Forwarding {
  const raw = input.target.query.get('limit');
  const limit = raw !== null && /^[+-]?\d{1,15}$/.test(raw) ? Number(raw) : 0;
  if (limit <= 0 && filters === undefined) return { path: input.raw, treatment: 'filterContainerList' };
  const query = new URLSearchParams(input.target.query);
  if (filters !== undefined) query.set('filters', filters);
  if (limit > 0) {
    query.delete('limit');
    query.set('all', '1');
  }
  const path = `${prefix(input.target)}/containers/json?${query}`;
  return limit > 0
    ? { path, treatment: 'filterContainerList', limit }
    : { path, treatment: 'filterContainerList' };
}
