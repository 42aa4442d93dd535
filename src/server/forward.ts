import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction } from 'express';
import { createProxyMiddleware, proxyEventsPlugin } from 'http-proxy-middleware';
import type { Lane } from '../routes/timing.ts';
import type { Upstream } from '../upstream/client.ts';
import { UpstreamTimeoutError } from '../upstream/client.ts';
import { errors, sendError } from './errors.ts';
import type { RequestState } from './request-state.ts';

export interface ForwarderDeps {
  readonly upstream: Upstream;
  readonly stateOf: (req: IncomingMessage) => RequestState | undefined;
  /** Relays a decided request's upstream answer to the client. */
  readonly respond: (
    state: RequestState,
    method: string,
    upstreamRes: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>;
}

export type ForwardRequest = (
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
  headers: IncomingHttpHeaders,
  next: NextFunction,
) => Promise<void>;

/**
 * Sends a decided request upstream. Two paths, both given headers prepared completely beforehand:
 * - pass-through answers (`raw`, client body piped) go through http-proxy-middleware, one instance per
 *   lane so that streams and slow calls use their own connections;
 * - answers dockscope must read or rewrite, and bodies it replaced, are sent by dockscope itself
 *   (`Upstream.open`): it must still be able to answer the client with a Docker-style error when the
 *   upstream cuts such an answer short, which the proxy library does not allow (it destroys the client
 *   response as soon as the upstream response breaks off).
 * On both, the wait for the upstream's response headers is bounded by the request's timing; past it
 * the client gets a 504 and the upstream connection is closed.
 */
export function createForwarder(deps: ForwarderDeps): ForwardRequest {
  const { upstream, stateOf, respond } = deps;
  const target =
    upstream.target.kind === 'unix'
      ? { socketPath: upstream.target.socketPath }
      : `http://${upstream.target.host}:${upstream.target.port}`;

  const proxyFor = (lane: Lane) =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      target,
      agent: upstream.agentFor(lane),
      selfHandleResponse: true,
      // Only the plugin that wires `on` handlers: errors and logging are dockscope's own.
      ejectPlugins: true,
      plugins: [proxyEventsPlugin],
      pathRewrite: (_path, req) => stateOf(req)?.forward?.path ?? '/_ping',
      on: {
        // Only to close it on a timeout: nothing of the request is prepared here.
        proxyReq: (proxyReq, req) => {
          const state = stateOf(req);
          if (state) state.proxyReq = proxyReq;
        },
        proxyRes: async (proxyRes, req, res) => {
          const state = stateOf(req);
          if (!state || state.settled) {
            proxyRes.destroy();
            return;
          }
          state.settled = true;
          await respond(state, req.method ?? 'GET', proxyRes, res);
        },
        error: (error, req, res) => {
          const state = stateOf(req);
          if (state?.settled) return;
          if (state) state.settled = true;
          const apiError = errors.upstream(upstream.display, error);
          if (state) {
            state.decision = apiError.decision;
            state.reason = apiError.reason;
          }
          if ('writeHead' in res) sendError(res, apiError);
          else res.destroy();
        },
      },
    });
  // Slow calls and streams share the long connections (Upstream.agentFor): one proxy serves both.
  const long = proxyFor('stream');
  const proxies: Record<Lane, ReturnType<typeof proxyFor>> = {
    short: proxyFor('short'),
    slow: long,
    stream: long,
  };

  const timeout = (state: RequestState, res: ServerResponse, ms: number) => {
    if (state.settled) return;
    state.settled = true;
    state.proxyReq?.destroy();
    const apiError = errors.upstream(upstream.display, new UpstreamTimeoutError(ms));
    state.decision = apiError.decision;
    state.reason = apiError.reason;
    sendError(res, apiError);
  };

  return async (req, res, state, headers, next) => {
    const forward = state.forward;
    const timing = state.timing;
    if (!forward || !timing) throw new Error('forwarding a request that was not decided');
    if (forward.response === 'raw' && forward.body === undefined) {
      req.headers = headers;
      // A no-op once the head arrived (`settled`): the body of a stream has no timer on it.
      const timer = setTimeout(() => timeout(state, res, timing.headerTimeoutMs), timing.headerTimeoutMs);
      res.once('close', () => clearTimeout(timer));
      await proxies[timing.lane](req, res, next);
      return;
    }
    // A chunked upload goes on a connection that is closed after it, as httpxy does for the proxied
    // path (GHSA-ggv3-7p47-pfv8): nothing after its last chunk can be read as another request.
    if (forward.body === undefined && headers['transfer-encoding'] !== undefined)
      headers.connection = 'close';
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) state.reason ??= 'client-gone';
      abort.abort();
    };
    res.once('close', onClose);
    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await upstream.open(req.method ?? 'GET', forward.path, {
        headers,
        body: forward.body ?? (hasBody(req) ? req : undefined),
        agent: upstream.agentFor(timing.lane),
        timeoutMs: timing.headerTimeoutMs,
        signal: abort.signal,
      });
    } catch (error) {
      res.off('close', onClose);
      if (res.destroyed) return;
      const apiError = errors.upstream(upstream.display, error);
      state.decision = apiError.decision;
      state.reason = apiError.reason;
      sendError(res, apiError);
      return;
    }
    res.off('close', onClose);
    state.settled = true;
    res.once('close', () => {
      if (!res.writableFinished) state.reason ??= 'client-gone';
      upstreamRes.destroy();
    });
    await respond(state, req.method ?? 'GET', upstreamRes, res);
  };
}

/** Whether the client sent (or is sending) a body to pass on. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
