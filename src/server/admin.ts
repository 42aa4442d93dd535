import * as http from 'node:http';
import type { Metrics } from '../metrics.ts';
import type { Upstream } from '../upstream/client.ts';

interface AdminDeps {
  readonly metrics: Metrics;
  readonly upstream: Upstream;
  /** The event watch's state (see policy/container-watch.ts); null when it is turned off. */
  readonly watchState: () => 'starting' | 'watching' | 'refused' | 'down' | null;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json', `${JSON.stringify(value)}\n`);

/**
 * The admin listener: `/metrics` (Prometheus text), `/health` (the process serves) and `/ready` (the
 * upstream answers `/_ping` within the upstream timeout, and the event watch is up or known to be
 * refused by the socket proxy). It serves nothing of the Engine API and never shares a port with it.
 */
export function createAdminServer(deps: AdminDeps): http.Server {
  // Concurrent probes of this server share one ping (each server its own upstream).
  let probing: Promise<Readiness> | null = null;
  const ready = (): Promise<Readiness> => {
    probing ??= probe(deps).finally(() => {
      probing = null;
    });
    return probing;
  };
  const server = http.createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 2_000 },
    (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        json(res, 405, { message: 'dockscope admin: only GET' });
        return;
      }
      if (path === '/health') {
        json(res, 200, { status: 'ok' });
        return;
      }
      if (path === '/ready') {
        void ready().then((r) => json(res, r.ready ? 200 : 503, r));
        return;
      }
      if (path === '/metrics') {
        deps.metrics.registry.metrics().then(
          (text) => send(res, 200, deps.metrics.registry.contentType, text),
          () => json(res, 500, { message: 'dockscope admin: metrics failed' }),
        );
        return;
      }
      json(res, 404, { message: 'dockscope admin: /metrics, /health or /ready' });
    },
  );
  // A scraper needs a few connections; a flood must not take the process's descriptors.
  server.maxConnections = 64;
  return server;
}

interface Readiness {
  readonly ready: boolean;
  readonly upstream: string;
  readonly events: string;
}

async function probe(deps: AdminDeps): Promise<Readiness> {
  let upstream = 'ok';
  try {
    // Short and bounded: a probe must not hold look-up connections for a whole upstream timeout.
    const res = await deps.upstream.open('GET', '/_ping', {
      agent: deps.upstream.controlAgent,
      timeoutMs: Math.min(2000, deps.upstream.timeoutMs),
    });
    res.resume();
    if (res.statusCode !== 200) upstream = `answered ${res.statusCode}`;
  } catch (error) {
    upstream = (error as NodeJS.ErrnoException).code ?? (error as Error).name ?? 'failed';
  }
  const watch = deps.watchState();
  const events = watch ?? 'off';
  const eventsOk = watch === null || watch === 'watching' || watch === 'refused';
  return { ready: upstream === 'ok' && eventsOk, upstream, events };
}
