import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors } from '../errors.ts';
import type { Visibility } from '../policy/matcher.ts';
import { isVisibleSummary, SUMMARY_FIELDS } from '../transforms/container-list.ts';
import type { ContainerCounts } from '../transforms/info.ts';
import { tally } from '../transforms/info.ts';
import { JsonArrayFilter } from '../transforms/json-array-filter.ts';
import type { Upstream } from './client.ts';

/**
 * Streams the full container list once and tallies the visible entries by state (for /info): on the
 * look-up pool, as every question dockscope asks for itself, bounded by UPSTREAM_TIMEOUT.
 */
export async function countVisibleContainers(
  upstream: Upstream,
  visibility: Visibility,
): Promise<ContainerCounts> {
  const res = await upstream.open('GET', '/containers/json?all=1', { agent: upstream.controlAgent });
  if (res.statusCode !== 200) {
    res.resume();
    throw errors.upstreamStatus(upstream.display, res.statusCode ?? 0, 'counting containers for /info');
  }
  const states: unknown[] = [];
  const counter = new JsonArrayFilter(
    (summary) => {
      if (isVisibleSummary(visibility, summary)) states.push((summary as { State?: unknown }).State);
      return false;
    },
    { fields: [...SUMMARY_FIELDS, 'State'] },
  );
  await pipeline(res, counter, new Writable({ write: (_chunk, _encoding, done) => done() }));
  return tally(states);
}
