import type { Caller, Clients } from '../policy/clients.ts';
import type { Observer } from './observe.ts';

/** A long-lived stream or hijack as a reload sees it: who opened it, and how to end it. */
export interface Session {
  /** The caller as it was identified (its token included: identification is done again with it). */
  readonly caller: Caller;
  end(): void;
}

/**
 * The streams and hijacks open now, so that a reload can end those it no longer allows (#27): a
 * `logs -f` or an exec opened with a token that was revoked must not outlive the revocation.
 */
export class OpenSessions {
  readonly #open = new Map<Session, string>();

  /** The observer, with every stream and hijack that names its session kept here while it is open. */
  observe(observer: Observer): Observer {
    return {
      complete: (record) => observer.complete(record),
      streamOpened: (client, kind, session) => {
        const closed = observer.streamOpened(client, kind, session);
        if (!session) return closed;
        this.#open.set(session, client);
        return () => {
          this.#open.delete(session);
          closed();
        };
      },
    };
  }

  /**
   * Identifies every open session's caller again under `clients`, and ends those it now refuses, or
   * gives to another client, or whose client `changed` (its scope, lists or rules may be narrower).
   * Returns how many were ended. (Identifying may wait for a `from:` host name's look-up.)
   */
  async revoke(clients: Clients, changed: (client: string) => boolean): Promise<number> {
    let ended = 0;
    for (const [session, client] of [...this.#open]) {
      let keep: boolean;
      try {
        keep = (await clients.identify(session.caller)).name === client && !changed(client);
      } catch {
        keep = false;
      }
      // Closed while its caller was identified again: nothing to end.
      if (keep || !this.#open.has(session)) continue;
      this.#open.delete(session);
      session.end();
      ended++;
    }
    return ended;
  }
}
