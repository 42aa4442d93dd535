import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { createProxyMiddleware, proxyEventsPlugin } from 'http-proxy-middleware';
import type { Logger } from 'pino';
import { bodyText } from '../body/decode-body.ts';
import type { Forward } from '../policy/decide.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import type { Route } from '../routes/route.ts';
import type { Upstream } from '../upstream/client.ts';
import { BodyTooLargeError, readBytes } from '../upstream/client.ts';
import { countVisibleContainers } from '../upstream/count-containers.ts';
import { asApiError, DockerApiError, errors, sendError } from './errors.ts';
import { forwardedRequestHeaders } from './headers.ts';
import { prepare } from './prepare.ts';
import type { RespondContext } from './respond.ts';
import { relay, sendAsDaemon } from './respond.ts';

export interface AppDeps {
  readonly upstream: Upstream;
  readonly resolver: ContainerResolver;
  readonly scrubEnvs: boolean;
  readonly log: Logger;
}

/** What one request carries from the decision to the response. */
interface RequestState {
  /** The request's child logger, made on first use: most requests only ever write the access line. */
  readonly log: () => Logger;
  readonly started: number;
  route?: Route;
  forward?: Forward;
  decision: string;
  /** For a filtered stream: how many elements (containers, events) the client did not get. */
  dropped?: () => number;
}

/** Request bodies dockscope reads to check container references (create, network connect). */
export const MAX_REQUEST_BODY = 4 * 1024 * 1024;

let nextId = 1;

export function newRequestId(): number {
  const id = nextId;
  nextId = nextId >= Number.MAX_SAFE_INTEGER ? 1 : nextId + 1;
  return id;
}

/** Path without the query, for logs: queries may carry values a log should not keep. */
export function logPath(url: string): string {
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 512);
}

/** Express stays at the edge: it hosts one handler; routing and policy know nothing of it. */
export function createApp(deps: AppDeps): express.Express {
  const { upstream, resolver, log } = deps;
  const states = new WeakMap<IncomingMessage, RequestState>();
  const respondCtx: RespondContext = {
    resolver,
    scrubEnvs: deps.scrubEnvs,
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

  /** Relays an upstream answer for a decided request, turning a failure into a Docker-style error. */
  const respond = async (
    state: RequestState,
    method: string,
    proxyRes: IncomingMessage,
    res: ServerResponse,
  ) => {
    if (!state.forward) {
      res.destroy();
      return;
    }
    try {
      const decided = await relay(state.forward, method, proxyRes, res, respondCtx, (dropped) => {
        state.dropped = dropped;
      });
      if (decided) state.decision = decided;
    } catch (error) {
      state.log().error({ err: error }, 'relaying the response failed');
      state.decision = 'upstream-error';
      sendError(res, asApiError(error));
    }
  };

  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target:
      upstream.target.kind === 'unix'
        ? { socketPath: upstream.target.socketPath }
        : `http://${upstream.target.host}:${upstream.target.port}`,
    agent: upstream.agent,
    selfHandleResponse: true,
    // Only the plugin that wires `on` handlers: errors and logging are dockscope's own.
    ejectPlugins: true,
    plugins: [proxyEventsPlugin],
    pathRewrite: (_path, req) => states.get(req)?.forward?.path ?? '/_ping',
    on: {
      proxyRes: async (proxyRes, req, res) => {
        const state = states.get(req);
        if (state) await respond(state, req.method ?? 'GET', proxyRes, res);
        else res.destroy();
      },
      error: (error, req, res) => {
        const state = states.get(req);
        if (state) state.decision = 'upstream-error';
        const apiError = errors.upstream(upstream.display, error);
        if ('writeHead' in res) sendError(res, apiError);
        else res.destroy();
      },
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const bindings = { reqId: newRequestId(), method: req.method, path: logPath(req.url) };
    let child: Logger | undefined;
    const state: RequestState = {
      log: () => {
        child ??= log.child(bindings);
        return child;
      },
      started: performance.now(),
      decision: 'refused',
    };
    states.set(req, state);
    // pipeline, httpxy, Express and the access log each watch 'close': more than Node's default of 10.
    res.setMaxListeners(32);
    res.on('close', () => {
      if (!log.isLevelEnabled('info')) return;
      log.info(
        {
          ...bindings,
          route: state.route?.kind,
          decision: state.decision,
          status: res.statusCode,
          complete: res.writableFinished,
          ...(state.dropped ? { dropped: state.dropped() } : {}),
          ms: Math.round((performance.now() - state.started) * 10) / 10,
        },
        'request',
      );
    });
    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      const readBody = async () => {
        const bytes = await readBytes(req, MAX_REQUEST_BODY).catch((error: unknown) => {
          if (error instanceof BodyTooLargeError) throw errors.payloadTooLarge(MAX_REQUEST_BODY);
          throw errors.badRequest('could not read the request body');
        });
        return bodyText(bytes);
      };
      prepared = await prepare(
        req.method,
        req.url,
        req.headers['content-type'],
        readBody,
        { resolver },
        (route) => {
          state.route = route;
        },
      );
      state.forward = prepared.forward;
      state.decision = isFiltered(prepared.forward) ? 'filtered' : 'allowed';
    } catch (error) {
      const apiError = asApiError(error);
      state.decision = apiError.decision;
      if (!(error instanceof DockerApiError)) state.log().error({ err: error }, 'decision failed');
      // The client may still be sending a body we will never read: do not keep the connection.
      if (!req.complete) res.setHeader('Connection', 'close');
      if (apiError.daemonShaped) await sendAsDaemon(res, apiError, versionPrefix(req.url), respondCtx);
      else sendError(res, apiError);
      return;
    }
    // The forwarded request is prepared completely here, not in a proxy hook that some requests skip
    // (http-proxy-middleware emits no proxyReq for `Expect: 100-continue`).
    const headers = forwardedRequestHeaders(req.headers, prepared.forward.body);
    if (prepared.forward.body !== undefined) {
      // The judged body replaces the client's: dockscope sends it itself.
      await forwardBody(state, req.method, prepared.forward, headers, res);
      return;
    }
    req.headers = headers;
    await proxy(req, res, next);
  });

  // Express's last resort: proxy errors already answered in `on.error`, anything else becomes a 500.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    log.error({ err: error }, 'unexpected error');
    sendError(res, new DockerApiError(500, 'dockscope: internal error', 'refused'));
  });

  /** Sends a request whose body dockscope decided (and serialised) itself, then relays the answer. */
  async function forwardBody(
    state: RequestState,
    method: string,
    forward: Forward,
    headers: IncomingHttpHeaders,
    res: ServerResponse,
  ): Promise<void> {
    let proxyRes: IncomingMessage;
    const abort = new AbortController();
    const onClose = () => abort.abort();
    res.once('close', onClose);
    try {
      proxyRes = await upstream.open(method, forward.path, {
        headers,
        body: forward.body,
        signal: abort.signal,
      });
    } catch (error) {
      res.off('close', onClose);
      state.decision = 'upstream-error';
      sendError(res, errors.upstream(upstream.display, error));
      return;
    }
    res.once('close', () => proxyRes.destroy());
    res.off('close', onClose);
    await respond(state, method, proxyRes, res);
  }

  return app;
}

/** `/v1.41` of a request target, or '' without a version. */
function versionPrefix(url: string): string {
  return /^\/v[0-9.]+(?=\/)/.exec(url)?.[0] ?? '';
}

function isFiltered(forward: Forward): boolean {
  return forward.response !== 'raw';
}
