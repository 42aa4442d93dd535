import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { BuildClaims } from '../policy/decide-build.ts';
import type { Route } from '../routes/route.ts';
import { errors } from './errors.ts';

/** Sessions and build ids held at once, in all: one entry each, a few hundred bytes. */
const MAX_BUILD_SESSIONS = 4096;
const MAX_BUILD_IDS = 4096;
/**
 * How long a build waits for the session it names to open: the CLI opens the session and sends the
 * build at the same time, and the daemon itself gives up on a session after about as long.
 */
const SESSION_WAIT_MS = 5000;

/** A session id as the CLI makes them (25 base-36 letters); a repeated header joins with ", ". */
const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

const NOTHING = () => {};

/** One open session's connection, as the upgrade handler tells its course. */
export interface SessionHandle {
  upgraded(): void;
  close(): void;
}

interface Held {
  readonly client: string;
  /** Ends its connection (the one open now). */
  end: () => void;
  /** Its `/session` connection is open (only one may be). */
  connected: boolean;
  /** The daemon's 101 went out to the client: the CLI is serving the session. */
  upgraded: boolean;
  /** The connection, and each build request that named the session while it runs. */
  refs: number;
}

/**
 * Which client holds each BuildKit session and build id (issue #25). The daemon lets any build use
 * any open session by its id, and cancel or feed (`upload-request:`) any build by its id, whoever
 * opened it: dockscope binds both to the client that opened them. An id stays bound while
 * its session's connection or a build that named it lasts, so no other client can take it over
 * between the two.
 */
export class BuildSessions {
  readonly #sessions = new Map<string, Held>();
  readonly #builds = new Map<string, { readonly client: string; refs: number }>();
  /** Open sessions per client, at most `perClient` (MAX_STREAMS_PER_CLIENT). */
  readonly #perClient = new Map<string, number>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly perClient: number;
  readonly waitMs: number;

  constructor(perClient: number, waitMs = SESSION_WAIT_MS) {
    this.perClient = perClient;
    this.waitMs = waitMs;
  }

  /**
   * Binds a `/session` upgrade's id to its client before it is forwarded; `upgraded` when the
   * daemon's 101 went out to the client, `close` when the connection closes. A second open of an id
   * held by anyone is refused.
   */
  open(id: string, client: string, end: () => void): SessionHandle {
    const held = this.#sessions.get(id);
    if (held && (held.connected || held.client !== client))
      throw errors.refused('a BuildKit session with this id is already open');
    const count = this.#perClient.get(client) ?? 0;
    if (count >= this.perClient) {
      throw errors.overCapacity(
        `this client has ${this.perClient} BuildKit sessions open (MAX_STREAMS_PER_CLIENT); close one first`,
      );
    }
    if (!held && this.#sessions.size >= MAX_BUILD_SESSIONS)
      throw errors.busy('dockscope holds too many BuildKit sessions; try again shortly');
    const entry = held ?? { client, end, connected: false, upgraded: false, refs: 0 };
    entry.connected = true;
    entry.upgraded = false;
    entry.end = end;
    entry.refs++;
    this.#sessions.set(id, entry);
    this.#perClient.set(client, count + 1);
    let done = false;
    return {
      upgraded: () => {
        if (done) return;
        entry.upgraded = true;
        this.#wake(id);
      },
      close: () => {
        if (done) return;
        done = true;
        entry.connected = false;
        entry.upgraded = false;
        entry.end = NOTHING;
        const left = (this.#perClient.get(client) ?? 1) - 1;
        if (left <= 0) this.#perClient.delete(client);
        else this.#perClient.set(client, left);
        this.#unref(id, entry);
        this.#wake(id);
      },
    };
  }

  /** The claims of one request of `client`, and what gives them back when the request ends. */
  claimsFor(client: string): BuildClaims & { release(): void } {
    const releases: (() => void)[] = [];
    const ends: string[] = [];
    return {
      claimSession: async (id) => {
        let held = this.#sessions.get(id);
        if (held && held.client !== client) return 'other';
        // Decided once the CLI holds its session (the daemon's 101 went out): the CLI 20.10 hangs if
        // its build is refused while it is still dialling the session.
        if (!held?.upgraded) {
          await this.#opened(id);
          held = this.#sessions.get(id);
        }
        if (!held) return 'none';
        if (held.client !== client) return 'other';
        const entry = held;
        entry.refs++;
        releases.push(() => this.#unref(id, entry));
        return 'claimed';
      },
      claimBuild: (id) => {
        const held = this.#builds.get(id);
        if (held && held.client !== client) return 'other';
        if (!held && this.#builds.size >= MAX_BUILD_IDS) return 'full';
        const entry = held ?? { client, refs: 0 };
        entry.refs++;
        this.#builds.set(id, entry);
        releases.push(() => {
          entry.refs--;
          if (entry.refs <= 0 && this.#builds.get(id) === entry) this.#builds.delete(id);
        });
        return 'claimed';
      },
      // Once the refusal went out: ended before it, the CLI would report the session's EOF instead.
      endSession: (id) => void ends.push(id),
      ownsBuild: (id) => this.#builds.get(id)?.client === client,
      release: () => {
        for (const id of ends.splice(0)) {
          const held = this.#sessions.get(id);
          if (held?.client === client) held.end();
        }
        for (const release of releases.splice(0)) release();
      },
    };
  }

  /** How many sessions are held (for tests and metrics). */
  get size(): number {
    return this.#sessions.size;
  }

  #unref(id: string, entry: Held): void {
    entry.refs--;
    if (entry.refs <= 0 && this.#sessions.get(id) === entry) this.#sessions.delete(id);
  }

  #wake(id: string): void {
    for (const wake of this.#waiters.get(id) ?? []) wake();
  }

  /** Resolves when a session of this id is upgraded or closed, or after waitMs. */
  #opened(id: string): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(id);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(id, waiters);
      }
      const set = waiters;
      const wake = () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(id) === set) this.#waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, this.waitMs);
      set.add(wake);
    });
  }
}

/**
 * The session id of a `/session` upgrade, as the daemon reads it (`X-Docker-Expose-Session-Uuid`);
 * a missing, repeated or odd one is refused, so that the id bound is the one the daemon uses.
 */
export function sessionIdOf(headers: IncomingHttpHeaders): string {
  const id = headers['x-docker-expose-session-uuid'];
  if (typeof id !== 'string' || !SESSION_ID.test(id))
    throw errors.badRequest(
      'a BuildKit session needs one X-Docker-Expose-Session-Uuid header of letters and digits',
    );
  if (String(headers.upgrade ?? '').toLowerCase() !== 'h2c')
    throw errors.badRequest('a BuildKit session is an h2c upgrade (Upgrade: h2c)');
  return id;
}

/**
 * The daemon reads each `X-Docker-Expose-Session-Grpc-Method` line as one method the session serves
 * (file sync, auth, secrets, ssh); Node joined them with ", ", so they go on as the lines they were.
 */
export function withSessionMethods(
  headers: OutgoingHttpHeaders,
  distinct: Readonly<Record<string, string[] | undefined>>,
): void {
  const methods = distinct['x-docker-expose-session-grpc-method'];
  if (methods) headers['x-docker-expose-session-grpc-method'] = methods;
}

/** Claims for a request on a build route (released when its response closes); none for others. */
export function buildClaimsFor(
  sessions: BuildSessions,
  route: Route,
  client: string,
  onClose: (release: () => void) => void,
): BuildClaims | undefined {
  if (route.kind !== 'build' && route.kind !== 'buildCancel') return undefined;
  const claims = sessions.claimsFor(client);
  onClose(claims.release);
  return claims;
}
