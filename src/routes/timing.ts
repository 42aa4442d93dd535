import type { LaneClass } from './compile-table.ts';
import { goBool } from './go-bool.ts';
import type { RequestTarget } from './target.ts';

/**
 * Which upstream capacity a request uses and how long dockscope waits for the upstream's response
 * headers. Three lanes, so that no kind of request can take what another needs:
 * - `short`: ordinary calls, answered at once by the daemon; bounded by UPSTREAM_TIMEOUT.
 * - `stream`: long-lived streams (events, `logs -f`, streaming stats, attach, exec start, wait). The
 *   daemon sends their headers at once (the body then lasts as long as it lasts, never cut by a
 *   timer), so the header wait is UPSTREAM_TIMEOUT too. They count toward the per-client stream cap.
 * - `slow`: calls the daemon answers only when the work is done (commit, pull/push/load/build, prune,
 *   `system df`, copies, removals), bounded by SLOW_FACTOR × UPSTREAM_TIMEOUT (an hour by default);
 *   `stop`/`restart` wait for `t` seconds more than UPSTREAM_TIMEOUT (`t=-1`, wait forever: slow).
 * Each route's class is in its row of routes/table.ts; this resolves the classes that read the query.
 */
export type Lane = 'short' | 'slow' | 'stream';

export interface Timing {
  readonly lane: Lane;
  readonly headerTimeoutMs: number;
}

export const SLOW_FACTOR = 60;

/** Node's timers hold at most 2^31 - 1 ms (a longer one fires at once): about 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647;

/** The three fixed timings of the last UPSTREAM_TIMEOUT seen, made once (this runs on every request). */
let fixed: { base: number; short: Timing; stream: Timing; slow: Timing } | null = null;

function timingsFor(baseMs: number) {
  if (fixed?.base !== baseMs) {
    fixed = {
      base: baseMs,
      short: { lane: 'short', headerTimeoutMs: Math.min(baseMs, MAX_TIMER_MS) },
      stream: { lane: 'stream', headerTimeoutMs: Math.min(baseMs, MAX_TIMER_MS) },
      slow: { lane: 'slow', headerTimeoutMs: Math.min(baseMs * SLOW_FACTOR, MAX_TIMER_MS) },
    };
  }
  return fixed;
}

/**
 * The timing of a request of a lane class. The query is read only by the classes that need it: it is
 * parsed on first use (RequestTarget.query), and an inspect, the most frequent call, never needs it.
 */
export function timingOf(lane: LaneClass, target: RequestTarget, baseMs: number): Timing {
  const { short, stream, slow } = timingsFor(baseMs);
  switch (lane) {
    case 'short':
      return short;
    case 'slow':
      return slow;
    case 'stream':
      return stream;
    // `docker logs -f`, and `docker service logs -f` as it.
    case 'follow':
      return goBool(target.query.get('follow')) ? stream : short;
    // BoolValueOrDefault(r, "stream", true): absent means streaming.
    case 'stats': {
      const q = target.query.get('stream');
      return q === null || goBool(q) ? stream : short;
    }
    case 'stop': {
      const q = target.query;
      const t = q.get('t') ?? q.get('timeout');
      const seconds = t === null || t === '' ? 10 : Number(t);
      if (!Number.isFinite(seconds) || seconds < 0) return slow;
      const ms = baseMs + Math.min(seconds * 1000, baseMs * SLOW_FACTOR);
      return { lane: 'short', headerTimeoutMs: Math.min(ms, MAX_TIMER_MS) };
    }
  }
}
