import type { Logger } from 'pino';
import { NdjsonFilter } from '../transforms/ndjson-filter.ts';
import type { Upstream } from '../upstream/client.ts';
import { ANY_STALE_EVENTS } from '../upstream/dialect.ts';
import type { CallerAddresses } from './caller-addresses.ts';
import { isObject } from './container-facts.ts';
import type { ContainerDirectory } from './directory.ts';

/**
 * Renames and removals make cached identities stale; a container's die and its network connects and
 * disconnects make caller addresses stale (an address a gone container held may be given to another:
 * issue #23).
 */
const WATCH_PATH = `/events?filters=${encodeURIComponent(
  JSON.stringify({
    type: ['container', 'network'],
    // Every dialect's names (upstream/dialect.ts): an upstream ignores the names it does not use.
    event: ANY_STALE_EVENTS.filter,
  }),
)}`;

/** What one event makes stale: the identity of a container, its addresses, or every address. */
export function staleBy(event: unknown): { identity?: string; addresses?: string | 'all' } {
  if (!isObject(event) || !isObject(event.Actor)) return {};
  const { Type: type, Action: action } = event;
  const actor = event.Actor;
  if (type === 'network') {
    const container = isObject(actor.Attributes) ? actor.Attributes.container : undefined;
    if (typeof container !== 'string') return {};
    // A joined container may hold an address that another held a moment ago: every address is read again.
    return action === 'connect'
      ? { addresses: 'all' }
      : action === 'disconnect'
        ? { addresses: container }
        : {};
  }
  if (typeof actor.ID !== 'string') return {};
  if (typeof action !== 'string') return {};
  if (ANY_STALE_EVENTS.died.has(action)) return { addresses: actor.ID };
  if (ANY_STALE_EVENTS.removed.has(action)) return { identity: actor.ID, addresses: actor.ID };
  return action === 'rename' ? { identity: actor.ID } : {};
}

/** A refusal by the upstream (a socket proxy without EVENTS) is not retried more often than this. */
export const REFUSED_RETRY_MS = 60_000;
/** A fault (a 5xx, a network error, a stream that ended) is retried after 1 s, doubling up to this. */
export const FAULT_RETRY_MAX_MS = 10_000;

/**
 * How long the watch waits before its next attempt, and the fault back-off after it. A refusal (401,
 * 403) will not change soon; a fault usually ends within seconds (a daemon restarting, one 503), and
 * while the watch is down cached decisions already fall back to CACHE_TTL and /ready says so (#27).
 */
export function nextAttempt(
  outcome: 'refused' | 'fault',
  faultMs: number,
): { readonly waitMs: number; readonly faultMs: number } {
  if (outcome === 'refused') return { waitMs: REFUSED_RETRY_MS, faultMs: 1000 };
  return { waitMs: faultMs, faultMs: Math.min(faultMs * 2, FAULT_RETRY_MAX_MS) };
}

/**
 * Follows the daemon's rename and destroy events to drop cached decisions the moment they go stale.
 * Decisions are trusted for CACHE_TTL whether it is up or not (a silent stream may be a stalled one);
 * when the upstream refuses /events or the stream breaks, the watch retries (see `nextAttempt`).
 */
export class ContainerWatch {
  readonly #abort = new AbortController();
  /** The next wait after a fault. */
  #faultMs = 1000;
  #connects = 0;
  #timer: NodeJS.Timeout | undefined;
  /** For readiness: watching, refused by the upstream (a socket proxy without EVENTS), or down. */
  state: 'starting' | 'watching' | 'refused' | 'down' = 'starting';

  private readonly upstream: Upstream;
  private readonly resolver: ContainerDirectory;
  private readonly log: Logger;
  private readonly addresses: CallerAddresses | undefined;

  constructor(upstream: Upstream, resolver: ContainerDirectory, log: Logger, addresses?: CallerAddresses) {
    this.upstream = upstream;
    this.resolver = resolver;
    this.log = log;
    this.addresses = addresses;
  }

  /** The watch went up or down: events may have been missed around it. */
  #setWatching(watching: boolean): void {
    this.resolver.setWatching(watching);
    this.addresses?.setWatching(watching);
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
    clearTimeout(this.#timer);
  }

  async #run(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    let outcome: 'refused' | 'fault' = 'fault';
    try {
      const res = await this.upstream.open('GET', WATCH_PATH, {
        signal: this.#abort.signal,
        agent: this.upstream.controlAgent,
      });
      if (res.statusCode !== 200) {
        res.resume();
        // A socket proxy that refuses /events answers 403 (or 401); anything else is a fault.
        const refused = res.statusCode === 403 || res.statusCode === 401;
        this.state = refused ? 'refused' : 'down';
        if (refused) outcome = 'refused';
        this.log.warn(
          { status: res.statusCode },
          refused
            ? 'upstream refused /events: container decisions fall back to CACHE_TTL'
            : 'upstream failed /events: container decisions fall back to CACHE_TTL; retrying',
        );
      } else {
        // A (re)connected upstream may be another daemon version: body rules follow its answer.
        if (this.#connects++ > 0) void this.resolver.daemon.apiVersion.refresh();
        this.#setWatching(true);
        this.state = 'watching';
        this.#faultMs = 1000;
        this.log.debug('watching container renames and removals');
        const sink = new NdjsonFilter((event) => {
          const stale = staleBy(event);
          if (stale.identity !== undefined) this.resolver.invalidate(stale.identity);
          if (stale.addresses === 'all') this.addresses?.forgetAll();
          else if (stale.addresses !== undefined) this.addresses?.forget(stale.addresses);
          return false;
        });
        await new Promise<void>((resolve) => {
          res
            .pipe(sink)
            .on('error', () => resolve())
            .resume();
          res.on('close', resolve);
          res.on('error', () => resolve());
        });
        this.#setWatching(false);
        this.state = 'down';
        if (!this.#abort.signal.aborted) this.log.warn('event watch ended; retrying');
      }
    } catch (error) {
      this.#setWatching(false);
      this.state = 'down';
      if (this.#abort.signal.aborted) return;
      this.log.warn({ err: (error as Error).message }, 'event watch failed; retrying');
    }
    if (this.#abort.signal.aborted) return;
    const next = nextAttempt(outcome, this.#faultMs);
    this.#faultMs = next.faultMs;
    this.#timer = setTimeout(() => void this.#run(), next.waitMs);
    this.#timer.unref();
  }
}
