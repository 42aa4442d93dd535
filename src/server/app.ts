import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { createProxyMiddleware, proxyEventsPlugin } from 'http-proxy-middleware';
import type { Logger } from 'pino';
import type { Forward } from '../policy/decide.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import type { Route } from '../routes/route.ts';
import type { Upstream } from '../upstream/client.ts';
import { BodyTooLargeError, readBody } from '../upstream/client.ts';
import { countVisibleContainers } from '../upstream/count-containers.ts';
import { asApiError, DockerApiError, errors, sendError } from './errors.ts';
import { requestHeadersToDrop } from './headers.ts';
import { prepare } from './prepare.ts';
import { relay } from './respond.ts';

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
}

/** Request bodies dockscope reads to check container references (create, network connect). */
export const MAX_REQUEST_BODY = 4 * 1024 * 1024;

let nextId = 1;

export function newRequestId(): number {
  const id = nextId;
  nextId = nextId >= Number.MAX_SAFE_INTEGER ? 1 : nextId + 1;
  return id;
}

export function routeRef(route: Route | undefined): string {
  return route?.kind === 'container' ? route.ref : '';
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
  const respondCtx = {
    resolver,
    scrubEnvs: deps.scrubEnvs,
    upstreamDisplay: upstream.display,
    countVisible: () => countVisibleContainers(upstream, (c) => resolver.isVisible(c)),
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
      proxyReq: (proxyReq, req) => {
        for (const name of requestHeadersToDrop(req.headers, false)) proxyReq.removeHeader(name);
        const state = states.get(req);
        if (state?.forward?.body !== undefined) {
          const data = JSON.stringify(state.forward.body);
          proxyReq.removeHeader('transfer-encoding');
          proxyReq.setHeader('Content-Type', 'application/json');
          proxyReq.setHeader('Content-Length', Buffer.byteLength(data));
          proxyReq.write(data);
        }
      },
      proxyRes: async (proxyRes, req, res) => {
        const state = states.get(req);
        if (!state?.forward) {
          res.destroy();
          return;
        }
        try {
          const decided = await relay(state.forward, routeRef(state.route), proxyRes, res, respondCtx);
          if (decided) state.decision = decided;
        } catch (error) {
          state.log().error({ err: error }, 'relaying the response failed');
          state.decision = 'upstream-error';
          sendError(res, asApiError(error, upstream.display));
        }
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
          ms: Math.round((performance.now() - state.started) * 10) / 10,
        },
        'request',
      );
    });
    try {
      const readJsonBody = async () => {
        const text = await readBody(req, MAX_REQUEST_BODY).catch((error: unknown) => {
          if (error instanceof BodyTooLargeError) throw errors.payloadTooLarge(MAX_REQUEST_BODY);
          throw errors.badRequest('could not read the request body');
        });
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw errors.badRequest('request body is not valid JSON');
        }
      };
      const prepared = await prepare(
        req.method,
        req.url,
        req.headers['content-type'],
        readJsonBody,
        { resolver },
        (route) => {
          state.route = route;
        },
      );
      state.forward = prepared.forward;
      state.decision = isFiltered(prepared.forward) ? 'filtered' : 'allowed';
    } catch (error) {
      const apiError = asApiError(error, upstream.display);
      state.decision = apiError.decision;
      if (!(error instanceof DockerApiError)) state.log().error({ err: error }, 'decision failed');
      // The client may still be sending a body we will never read: do not keep the connection.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, apiError);
      return;
    }
    await proxy(req, res, next);
  });

  // Express's last resort: proxy errors already answered in `on.error`, anything else becomes a 500.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    log.error({ err: error }, 'unexpected error');
    sendError(res, new DockerApiError(500, 'dockscope: internal error', 'refused'));
  });
  return app;
}

function isFiltered(forward: Forward): boolean {
  return forward.response !== 'raw';
}
