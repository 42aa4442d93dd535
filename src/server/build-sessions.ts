import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { BuildClaims } from '../policy/decide-build.ts';
import type { Route } from '../routes/route.ts';
import { errors } from './errors.ts';

/** Sessions and build ids held at once, in all: one entry each, a few hundred bytes. */
export const MAX_BUILD_SESSIONS = 4096;
export const MAX_BUILD_IDS = 4096;
/**
 * How long a build waits for the session it names to open: the CLI opens the session and sends the
 * build at the same time, and the daemon itself gives up on a session after about as long.
 */
export const SESSION_WAIT_MS = 5000;

/** A session id as the CLI makes them (25 base-36 letters); a repeated header joins with ", ". */
const SESSION_ID = /^[A-Za-z0-9_.-]{1,128}$/;

interface Held {
  readonly client: string;
  /** Its `/session` connection is open (only one may be). */
  connected: boolean;
  /** The connection, and each build request that named the session while it runs. */
  refs: number;
}

/**
 * Which client holds each BuildKit session and build id (issue #25). The daemon lets any build use
 * any open session by its id, and cancel or feed (`upload-request:`) any build by its id, whoever
 * opened it: dockscope binds both to the client whose profile opened them. An id stays bound while
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
   * Binds a `/session` upgrade's id to its client before it is forwarded; returns what unbinds it
   * (when the connection closes). A second open of an id held by anyone is refused.
   */
  open(id: string, client: string): () => void {
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
    const entry = held ?? { client, connected: false, refs: 0 };
    entry.connected = true;
    entry.refs++;
    this.#sessions.set(id, entry);
    this.#perClient.set(client, count + 1);
    for (const wake of this.#waiters.get(id) ?? []) wake();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      entry.connected = false;
      const left = (this.#perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.#perClient.delete(client);
      else this.#perClient.set(client, left);
      this.#unref(id, entry);
    };
  }

  /** The claims of one request of `client`, and what gives them back when the request ends. */
  claimsFor(client: string): BuildClaims & { release(): void } {
    const releases: (() => void)[] = [];
    return {
      claimSession: async (id) => {
        let held = this.#sessions.get(id);
        if (!held) {
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
      ownsBuild: (id) => this.#builds.get(id)?.client === client,
      release: () => {
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

  /** Resolves when a session of this id opens, or after waitMs. */
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
