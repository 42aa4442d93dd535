import type * as http from 'node:http';
import type { Observer } from './observe.ts';

/**
 * The short requests in progress, for a shutdown that lets them finish (#27): every request a server
 * took counts until its answer closes, except long-lived streams (events, `logs -f`), which would hold
 * a shutdown for as long as they last; they and hijacks are cut when the wait ends.
 */
export class InFlight {
  #requests = 0;
  #streams = 0;
  readonly #waiters = new Set<() => void>();

  /** Counts the requests of a server. */
  track(server: http.Server): void {
    server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
      this.#requests++;
      res.once('close', () => {
        this.#requests--;
        this.#wake();
      });
    });
  }

  /** The observer, with its streams counted (a stream's request is not waited for). */
  observe(observer: Observer): Observer {
    return {
      complete: (record) => observer.complete(record),
      streamOpened: (client, kind, session) => {
        const closed = observer.streamOpened(client, kind, session);
        if (kind !== 'stream') return closed;
        this.#streams++;
        let done = false;
        return () => {
          if (done) return;
          done = true;
          this.#streams--;
          closed();
          this.#wake();
        };
      },
    };
  }

  get short(): number {
    return this.#requests - this.#streams;
  }

  /** Resolves once no short request is in progress, or after `timeoutMs`. */
  settled(timeoutMs: number): Promise<void> {
    if (this.short <= 0 || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const check = () => {
        if (this.short <= 0) done();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #wake(): void {
    for (const check of this.#waiters) check();
  }
}
