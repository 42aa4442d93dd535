import type { IncomingHttpHeaders } from 'node:http';
import type { Client } from '../policy/clients.ts';
import type { Forwarding } from '../policy/decide.ts';
import { decide } from '../policy/decide.ts';
import type { BuildClaims } from '../policy/decide-build.ts';
import type { Route } from '../routes/route.ts';
import type { Timing } from '../routes/timing.ts';
import { timingOf } from '../routes/timing.ts';
import type { DockerApiError } from './errors.ts';
import { asApiError, errors } from './errors.ts';
import type { Classified } from './prepare.ts';
import { checkLists, classifyRequest } from './prepare.ts';

/**
 * How a request reached dockscope: a plain request, an upgrade (a hijack), or `dockscope explain`,
 * which judges a plain request without asking the daemon anything.
 */
export type Transport = 'plain' | 'upgrade' | 'explain';

/** What a transport knows of a request, and the ports through which the steps reach the rest. */
export interface RequestFacts {
  readonly transport: Transport;
  readonly method: string;
  /** The request target as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Who sends it (the caller's address, token, certificate; for explain, the client named). */
  readonly identify: () => Client | Promise<Client>;
  /** Reads the judged body (plain requests; an upgrade's body is never judged). */
  readonly readBody?: () => Promise<string>;
  /** The build sessions and build ids a build route of this client may name (plain requests). */
  readonly buildClaims?: (route: Route, client: string) => BuildClaims | undefined;
  /** UPSTREAM_TIMEOUT, from which a route's header wait is made. */
  readonly upstreamTimeoutMs: number;
}

/** What the steps found, in their order; the transport acts on it and the completion record shows it. */
export interface Judgement {
  client?: Client;
  classified?: Classified;
  /** The client's lists: the entry that let it pass, or (a learning client) would have refused it. */
  lists?: { readonly allowed: boolean; readonly by: string };
  forwarding?: Forwarding;
  timing?: Timing;
  /** Set when a step refused the request: the step's name, its Docker-style error and its cause. */
  refusal?: { readonly step: string; readonly error: DockerApiError; readonly cause: unknown };
}

/** Bodies of hijack requests are tiny JSON options (`{"Detach":false,"Tty":true}`). */
const MAX_UPGRADE_BODY = 64 * 1024;

/**
 * Routes the daemon hijacks: exec start, attach and BuildKit's session. Everything else may not ask
 * for an upgrade.
 */
export function isHijackRoute(route: Route): boolean {
  if (route.kind === 'buildSession') return true;
  if (route.kind === 'exec') return route.action === 'start';
  return route.kind === 'container' && (route.rest[0] === 'attach' || route.rest[0] === 'attach/ws');
}

interface Step {
  readonly name: string;
  readonly on: readonly Transport[];
  run(facts: RequestFacts, j: Judgement): void | Promise<void>;
}

const ALL: readonly Transport[] = ['plain', 'upgrade', 'explain'];
/** A plain request, as the server judges it and as explain predicts it. */
const PLAIN: readonly Transport[] = ['plain', 'explain'];
/** Steps that ask the daemon: explain stops before them. */
const SERVED: readonly Transport[] = ['plain', 'upgrade'];

/** Set by the step before: a step that needs it runs only after it. */
function known<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`judging step run before ${what} was known`);
  return value;
}

/**
 * The judging steps, in order (httpxy's passes are the model): each request runs those of its
 * transport until one refuses it. Plain requests, upgrades and explain share every step they can, so
 * explain cannot say what the server would not do.
 */
export const STEPS: readonly Step[] = [
  {
    // Node's parser gives an upgrade the bytes after its head: a chunked body cannot be told apart.
    name: 'upgrade framing',
    on: ['upgrade'],
    run: (f) => {
      if (f.headers['transfer-encoding'] !== undefined)
        throw errors.badRequest('an upgrade request must not be chunked');
    },
  },
  {
    name: 'identify',
    on: ALL,
    run: (f, j) => {
      // At once, unless a caller container or a `from` host name is due a look-up (bounded).
      const identified = f.identify();
      if (identified instanceof Promise)
        return identified.then((client) => {
          j.client = client;
        });
      j.client = identified;
    },
  },
  {
    name: 'classify',
    on: ALL,
    run: (f, j) => {
      j.classified = classifyRequest(f.method, f.url, f.headers);
    },
  },
  {
    // In learn mode the lists only report; visibility and create rules still hold.
    name: 'lists',
    on: ALL,
    run: (f, j) => {
      j.lists = checkLists(known(j.client, 'the client'), f.method, known(j.classified, 'the route').target);
    },
  },
  {
    // A session is only ever an upgrade (server/upgrade.ts): the daemon hijacks it.
    name: 'plain session',
    on: PLAIN,
    run: (_f, j) => {
      if (j.classified?.route.kind === 'buildSession')
        throw errors.badRequest('a BuildKit session is an h2c upgrade');
    },
  },
  {
    // What explain can know of policy/decide without the daemon: a route refused on purpose.
    name: 'refused route',
    on: ['explain'],
    run: (_f, j) => {
      const route = known(j.classified, 'the route').route;
      if (route.kind === 'refused') throw errors.refused(route.reason);
    },
  },
  {
    // Before decide: a route that is no hijack must not get as far as decide's look-ups and writes.
    name: 'hijack route',
    on: ['upgrade'],
    run: (f, j) => {
      if (!isHijackRoute(known(j.classified, 'the route').route))
        throw errors.badRequest('Upgrade is only supported on attach, exec start and BuildKit sessions');
      const length = Number(f.headers['content-length'] ?? 0);
      if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UPGRADE_BODY)
        throw errors.badRequest('invalid Content-Length on an upgrade request');
    },
  },
  {
    name: 'decide',
    on: SERVED,
    run: async (f, j) => {
      const { target, route } = known(j.classified, 'the route');
      const client = known(j.client, 'the client');
      const builds = f.buildClaims?.(route, client.name);
      const readBody = f.readBody ?? (() => Promise.reject(errors.badRequest('unexpected body')));
      j.forwarding = await decide(
        { method: f.method, target, route, raw: f.url, readBody, ...(builds ? { builds } : {}) },
        client,
      );
    },
  },
  {
    name: 'timing',
    on: ALL,
    run: (f, j) => {
      const { lane, target } = known(j.classified, 'the route');
      j.timing = timingOf(lane, target, f.upstreamTimeoutMs);
    },
  },
];

const STEPS_OF: Readonly<Record<Transport, readonly Step[]>> = {
  plain: STEPS.filter((s) => s.on.includes('plain')),
  upgrade: STEPS.filter((s) => s.on.includes('upgrade')),
  explain: STEPS.filter((s) => s.on.includes('explain')),
};

/**
 * Judges a request: runs the steps of its transport in order, and stops at the first that refuses
 * it (its name and error are in `refusal`). Never throws: a fault of a step is its refusal (a 500
 * that echoes nothing, `asApiError`).
 */
export async function judge(facts: RequestFacts): Promise<Judgement> {
  const j: Judgement = {};
  for (const step of STEPS_OF[facts.transport]) {
    try {
      const pending = step.run(facts, j);
      if (pending instanceof Promise) await pending;
    } catch (error) {
      j.refusal = { step: step.name, error: asApiError(error), cause: error };
      return j;
    }
  }
  return j;
}
