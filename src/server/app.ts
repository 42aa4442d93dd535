import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { bodyText } from '../body/decode-body.ts';
import { withDeadline } from '../deadline.ts';
import type { Client } from '../policy/clients.ts';
import type { Forwarding } from '../policy/decide.ts';
import { BodyTooLargeError, readBytes } from '../upstream/client.ts';
import { countVisibleContainers } from '../upstream/count-containers.ts';
import { buildClaimsFor } from './build-sessions.ts';
import { callerOf, identifyRequest } from './caller.ts';
import { BodyBudget, ConnectionQueue, clientKey } from './capacity.ts';
import { completion } from './completion.ts';
import { asApiError, DockerApiError, errors, sendError } from './errors.ts';
import { createForwarder } from './forward.ts';
import { forwardedRequestHeaders } from './headers.ts';
import { judge } from './judge.ts';
import { holdLongLived } from './long-lived.ts';
import { logPath, newRequestId } from './request-ids.ts';
import type { RequestState } from './request-state.ts';
import type { RespondContext } from './respond.ts';
import { relay, sendAsDaemon } from './respond.ts';
import type { TransportDeps } from './transport-deps.ts';

/** Request bodies dockscope reads to check container references (create, network connect). */
export const MAX_REQUEST_BODY = 4 * 1024 * 1024;
/** Past the cap, this much more of a body is read (and dropped) so that the client gets the 413. */
const MAX_REQUEST_DRAIN = 64 * 1024 * 1024;
/**
 * Judged request bodies held at once (see BodyBudget): one whole one per client address, four in all.
 * Creates are a few KiB, so only bodies near the cap ever meet it. Measured in docs/operations.md.
 */
const BODY_BUDGET_TOTAL = 16 * 1024 * 1024;
export const BODY_BUDGET_PER_CLIENT = 4 * 1024 * 1024;
/** How long a judged body may take to arrive: it holds its budget while it does. */
const BODY_READ_MS = 30_000;
/** What is read of a refused request's body before the refusal goes out, and for how long at most. */
const REFUSED_DRAIN_BYTES = 64 * 1024 * 1024;
const REFUSED_DRAIN_MS = 5000;

/** Reads and drops a refused request's body until it ends, or up to a byte count or a time. */
function drainBriefly(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const finish = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', finish);
      req.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > REFUSED_DRAIN_BYTES) finish();
    };
    const timer = setTimeout(finish, REFUSED_DRAIN_MS);
    req.on('data', onData);
    req.once('end', finish);
    req.once('error', finish);
    req.resume();
  });
}

/**
 * The request listener of every API listener: Node's HTTP server calls it with each request; routing
 * and policy know nothing of the server. A plain listener, no framework: the route table already
 * routes, and a router in front costs CPU on every request (measured in issue #13: 16% per `/_ping`).
 */
export function createRequestListener(deps: TransportDeps): RequestListener {
  const bodies = new BodyBudget(BODY_BUDGET_TOTAL, BODY_BUDGET_PER_CLIENT);
  const { upstream, clients, log, streams, observer, buildSessions, addresses } = deps;
  const connections = new ConnectionQueue();
  const contexts = new WeakMap<Client, RespondContext>();
  /** What the response treatments of one client work with (made once per client). */
  const respondCtxOf = (client: Client): RespondContext => {
    let ctx = contexts.get(client);
    if (!ctx) {
      const resolver = client.resolver;
      ctx = {
        resolver,
        scrubEnvs: client.scrubEnvs,
        owner: client.owner,
        upstreamDisplay: upstream.display,
        countVisible: () =>
          countVisibleContainers(upstream, (c) => resolver.isVisible(c)).catch((error: unknown) => {
            throw error instanceof DockerApiError ? error : errors.upstream(upstream.display, error);
          }),
        open: (method, path) =>
          upstream.open(method, path).catch((error: unknown) => {
            throw errors.upstream(upstream.display, error);
          }),
      };
      contexts.set(client, ctx);
    }
    return ctx;
  };

  /** Relays an upstream answer for a decided request, turning a failure into a Docker-style error. */
  const respond = async (
    state: RequestState,
    method: string,
    upstreamRes: IncomingMessage,
    res: ServerResponse,
  ) => {
    if (!state.forwarding || !state.client) {
      res.destroy();
      return;
    }
    try {
      const decided = await relay(
        state.forwarding,
        method,
        upstreamRes,
        res,
        respondCtxOf(state.client),
        (dropped) => {
          state.dropped = dropped;
        },
      );
      if (decided) state.decision = decided.decision;
      if (decided?.reason) state.reason = decided.reason;
    } catch (error) {
      const apiError = asApiError(error);
      if (!(error instanceof DockerApiError))
        state.log().error({ err: error }, 'relaying the response failed');
      state.decision = apiError.decision;
      state.reason = apiError.reason ?? state.reason;
      sendError(res, apiError);
    }
  };

  const forwardRequest = createForwarder({ upstream, respond });

  const handle = async (req: IncomingMessage, res: ServerResponse, state: RequestState) => {
    // Always set on a server's requests.
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const caller = callerOf(req);
    const ids = { reqId: newRequestId(), listener: caller.listener, method, path: logPath(url) };
    const bindings: Record<string, unknown> = { ...ids };
    let child: Logger | undefined;
    state.log = () => {
      child ??= log.child(bindings);
      return child;
    };
    // The stream treatments, the forwarder and the access log each watch 'close'.
    res.setMaxListeners(32);
    const turn = connections.turn(req.socket);
    const done = typeof turn === 'function' ? turn : await turn;
    // A client that left while its request waited its turn: nothing is decided or forwarded for it.
    if (req.socket.destroyed || res.destroyed) {
      done();
      return;
    }
    res.on('close', () => {
      done();
      if (!res.writableFinished) state.reason ??= 'client-gone';
      observer.complete(
        completion(ids, state.judgement, {
          decision: state.decision,
          reason: state.reason,
          // What the client really got: the status written, if a head went out at all.
          status: res.headersSent ? res.statusCode : 0,
          complete: res.writableFinished,
          dropped: state.dropped?.(),
          ms: performance.now() - state.started,
        }),
      );
    });
    const identity = identifyRequest(clients, addresses, req, caller, bindings);
    const j = await judge({
      transport: 'plain',
      method,
      url,
      headers: req.headers,
      upstreamTimeoutMs: upstream.timeoutMs,
      identify: identity.identify,
      readBody: () => readJudgedBody(req, res, bodies),
      buildClaims: (route, client) =>
        buildClaimsFor(buildSessions, route, client, (release) => res.once('close', release)),
    });
    state.judgement = j;
    const { client, forwarding, refusal } = j;
    if (client) state.client = client;
    try {
      if (refusal) throw refusal.error;
      if (!forwarding || !j.timing || !client) throw new Error('a judgement without a decision');
      state.forwarding = forwarding;
      state.timing = j.timing;
      state.decision = isFiltered(forwarding) ? 'filtered' : 'allowed';
      // Gone while it was decided: no stream slot, no upstream request (its close has already run).
      if (res.destroyed || req.socket.destroyed) return;
      if (j.timing.lane === 'stream') {
        const who = { client: client.name, caller: identity.kept(), socket: req.socket };
        holdLongLived(streams, observer, 'stream', who, () => res.destroy(), res);
      }
    } catch (error) {
      const apiError = asApiError(error);
      state.decision = apiError.decision;
      if (apiError.reason) state.reason = apiError.reason;
      // A refusal after the judgement (the stream cap) is recorded as the judgement's would be.
      state.judgement = refusal
        ? j
        : { ...j, refusal: { step: 'stream slot', error: apiError, cause: error } };
      const cause = refusal ? refusal.cause : error;
      if (!(cause instanceof DockerApiError)) state.log().error({ err: cause }, 'decision failed');
      // The client may still be sending a body that will never be forwarded (a build context, a
      // plugin): read a bounded part of it first, briefly, so that it reads the refusal instead of a
      // broken pipe (the Go CLI stops at the write error), and do not keep the connection.
      if (!req.complete) {
        res.setHeader('Connection', 'close');
        await drainBriefly(req);
      }
      if (apiError.daemonAnswer && client) {
        await sendAsDaemon(res, apiError, versionPrefix(url), respondCtxOf(client));
      } else sendError(res, apiError);
      return;
    }
    const contentType = j.classified?.contentType;
    const headers = forwardedRequestHeaders(req.headers, forwarding.body, contentType);
    await forwardRequest(req, res, state, headers);
  };

  return (req, res) => {
    const state: RequestState = {
      log: () => log,
      started: performance.now(),
      decision: 'refused',
      judgement: {},
    };
    handle(req, res, state).catch((error: unknown) => {
      // The last resort: anything not answered yet becomes a 500 that echoes nothing.
      log.error({ err: error }, 'unexpected error');
      state.decision = 'internal-error';
      if (res.headersSent) res.destroy();
      else sendError(res, asApiError(new Error('unexpected')));
    });
  };
}

/**
 * A body dockscope judges, read whole (up to MAX_REQUEST_BODY) within BODY_READ_MS, each chunk
 * reserved in the body budget until the request ends: its bytes and what is parsed from them live
 * that long.
 */
async function readJudgedBody(
  req: IncomingMessage,
  res: ServerResponse,
  bodies: BodyBudget,
): Promise<string> {
  const client = clientKey(req.socket);
  let held = 0;
  res.once('close', () => bodies.release(client, held));
  let late: Error | null = null;
  const admit = (bytes: number): Error | null => {
    // Past the deadline nothing more is kept: the read ends at its next chunk.
    if (late) return late;
    const verdict = bodies.reserve(client, bytes);
    if (verdict === 'ok') {
      held += bytes;
      return null;
    }
    return verdict === 'client'
      ? errors.overCapacity(
          `this client has ${bodies.perClient} bytes of request bodies being judged; send the next when one is answered`,
        )
      : errors.busy(`dockscope is judging ${bodies.total} bytes of request bodies; try again shortly`);
  };
  const read = readBytes(req, MAX_REQUEST_BODY, MAX_REQUEST_DRAIN, admit).catch((error: unknown) => {
    // A body that will not be judged holds nothing while it is drained.
    bodies.release(client, held);
    held = 0;
    if (error instanceof DockerApiError) throw error;
    if (error instanceof BodyTooLargeError) throw errors.payloadTooLarge(MAX_REQUEST_BODY);
    throw errors.badRequest('could not read the request body');
  });
  const bytes = await withDeadline(read, BODY_READ_MS, () => {
    late = errors.bodyTimeout(BODY_READ_MS / 1000);
    return late;
  });
  return bodyText(bytes);
}

/** `/v1.41` of a request target, or '' without a version. */
function versionPrefix(url: string): string {
  return /^\/v[0-9.]+(?=\/)/.exec(url)?.[0] ?? '';
}

function isFiltered(forward: Forwarding): boolean {
  return forward.treatment !== 'relay';
}
