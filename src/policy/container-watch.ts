import type { Logger } from 'pino';
import { NdjsonFilter } from '../transforms/ndjson-filter.ts';
import type { Upstream } from '../upstream/client.ts';
import { isObject } from './container-facts.ts';
import type { ContainerDirectory } from './directory.ts';

const WATCH_PATH = `/events?filters=${encodeURIComponent(JSON.stringify({ type: ['container'], event: ['rename', 'destroy'] }))}`;

/**
 * Follows the daemon's rename and destroy events to drop cached decisions the moment they go stale.
 * While the watch is up, full-id decisions are trusted longer; when the upstream refuses /events or
 * the stream breaks, the cache falls back to CACHE_TTL and the watch retries with back-off.
 */
export class ContainerWatch {
  readonly #abort = new AbortController();
  #retryMs = 1000;
  #connects = 0;
  #timer: NodeJS.Timeout | undefined;
  /** For readiness: watching, refused by the upstream (a socket proxy without EVENTS), or down. */
  state: 'starting' | 'watching' | 'refused' | 'down' = 'starting';

  private readonly upstream: Upstream;
  private readonly resolver: ContainerDirectory;
  private readonly log: Logger;

  constructor(upstream: Upstream, resolver: ContainerDirectory, log: Logger) {
    this.upstream = upstream;
    this.resolver = resolver;
    this.log = log;
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
    try {
      const res = await this.upstream.open('GET', WATCH_PATH, {
        signal: this.#abort.signal,
        agent: this.upstream.controlAgent,
      });
      if (res.statusCode !== 200) {
        res.resume();
        // A socket proxy that refuses /events answers 403 (or 401); anything else is a fault.
        this.state = res.statusCode === 403 || res.statusCode === 401 ? 'refused' : 'down';
        this.log.warn(
          { status: res.statusCode },
          'upstream refused /events: container decisions fall back to CACHE_TTL',
        );
        this.#retryMs = 60_000;
      } else {
        // A (re)connected upstream may be another daemon version: body rules follow its answer.
        if (this.#connects++ > 0) void this.resolver.apiVersion.refresh();
        this.resolver.setWatching(true);
        this.state = 'watching';
        this.#retryMs = 1000;
        this.log.debug('watching container renames and removals');
        const sink = new NdjsonFilter((event) => {
          if (isObject(event) && isObject(event.Actor) && typeof event.Actor.ID === 'string') {
            this.resolver.invalidate(event.Actor.ID);
          }
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
        this.resolver.setWatching(false);
        this.state = 'down';
        if (!this.#abort.signal.aborted) this.log.warn('event watch ended; retrying');
      }
    } catch (error) {
      this.resolver.setWatching(false);
      this.state = 'down';
      if (this.#abort.signal.aborted) return;
      this.log.warn({ err: (error as Error).message }, 'event watch failed; retrying');
    }
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => void this.#run(), this.#retryMs);
    this.#timer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, 60_000);
  }
}
