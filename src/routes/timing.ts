import { remembered } from '../memo.ts';
import { goBool } from './classify.ts';
import type { Route } from './route.ts';
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
 */
export type Lane = 'short' | 'slow' | 'stream';

export interface Timing {
  readonly lane: Lane;
  readonly headerTimeoutMs: number;
}

export const SLOW_FACTOR = 60;

const STREAM_ACTIONS = new Set(['attach', 'attach/ws', 'wait']);
const SLOW_CONTAINER_ACTIONS = new Set(['export', 'archive', 'commit', 'update', 'checkpoints']);
const SLOW_PATHS = [
  /^\/images\/(create|load|prune|get)$/,
  /^\/images\/.+\/(push|get)$/,
  /^\/build(\/prune)?$/,
  /^\/(volumes|networks)\/prune$/,
  /^\/plugins\/(pull|create)$/,
  /^\/plugins\/.+\/(upgrade|push)$/,
  /^\/swarm\/(init|join|leave)$/,
];

/** Whether a path is one of SLOW_PATHS, remembered per path: laneOf runs on every request. */
const isSlowPath = remembered((path: string) => SLOW_PATHS.some((p) => p.test(path)), 1024);

/** Node's timers hold at most 2^31 - 1 ms (a longer one fires at once): about 24.8 days. */
const MAX_TIMER_MS = 2_147_483_647;

export function timingOf(method: string, route: Route, target: RequestTarget, baseMs: number): Timing {
  const t = laneOf(method, route, target, baseMs);
  return t.headerTimeoutMs > MAX_TIMER_MS ? { lane: t.lane, headerTimeoutMs: MAX_TIMER_MS } : t;
}

/** The three fixed timings of one UPSTREAM_TIMEOUT, made once (laneOf runs on every request). */
const timingsFor = remembered(
  (baseMs: number): { short: Timing; stream: Timing; slow: Timing } => ({
    short: { lane: 'short', headerTimeoutMs: baseMs },
    stream: { lane: 'stream', headerTimeoutMs: baseMs },
    slow: { lane: 'slow', headerTimeoutMs: baseMs * SLOW_FACTOR },
  }),
  16,
);

function laneOf(method: string, route: Route, target: RequestTarget, baseMs: number): Timing {
  const { short, stream, slow } = timingsFor(baseMs);
  switch (route.kind) {
    case 'events':
      return stream;
    case 'exec':
      return route.action === 'start' ? stream : short;
    case 'systemDf':
    case 'prune':
    case 'imageCreate':
    case 'commit':
    case 'build':
    case 'imageExport':
    case 'imagePush':
    case 'imageLoad':
    case 'imageDelete':
      return slow;
    case 'container': {
      const action = route.rest[0] ?? '';
      if (STREAM_ACTIONS.has(action)) return stream;
      // The query is read only by the actions below: it is parsed on first use (RequestTarget.query),
      // and an inspect, the most frequent container call, never needs it.
      if (action === 'logs') return goBool(target.query.get('follow')) ? stream : short;
      // BoolValueOrDefault(r, "stream", true): absent means streaming.
      if (action === 'stats') {
        const q = target.query;
        return q.get('stream') === null || goBool(q.get('stream')) ? stream : short;
      }
      if (action === 'stop' || action === 'restart') {
        const q = target.query;
        const t = q.get('t') ?? q.get('timeout');
        const seconds = t === null || t === '' ? 10 : Number(t);
        if (!Number.isFinite(seconds) || seconds < 0) return slow;
        return { lane: 'short', headerTimeoutMs: baseMs + Math.min(seconds * 1000, baseMs * SLOW_FACTOR) };
      }
      if (SLOW_CONTAINER_ACTIONS.has(action) || (method === 'DELETE' && route.rest.length === 0)) return slow;
      return short;
    }
    // `docker service logs -f` streams as `docker logs -f` does.
    case 'swarmObject':
    case 'task':
      return route.action === 'logs' && goBool(target.query.get('follow')) ? stream : short;
    case 'plain':
    case 'hostAccess':
      return isSlowPath(target.path) ? slow : short;
    default:
      return short;
  }
}
