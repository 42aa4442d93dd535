import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { ContainerWatch } from '../policy/container-watch.ts';
import { ContainerDirectory } from '../policy/directory.ts';
import { buildVisibility } from '../policy/matcher.ts';
import { ContainerResolver } from '../policy/resolver.ts';
import { Upstream } from '../upstream/client.ts';
import { createApp } from './app.ts';
import { StreamSlots } from './capacity.ts';
import { errorBody } from './errors.ts';
import { createUpgradeHandler } from './upgrade.ts';

export interface Dockscope {
  readonly server: http.Server;
  readonly upstream: Upstream;
  readonly resolver: ContainerResolver;
  /** Where it listens: a TCP port or a socket path. */
  readonly address: string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Follow daemon events to invalidate cached decisions (on by default). */
  readonly watchEvents?: boolean;
  /** A connection that has not sent a complete request head by then is closed (default 30 s). */
  readonly headersTimeoutMs?: number;
}

/** Builds and starts dockscope for a configuration. */
export async function startDockscope(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<Dockscope> {
  const upstream = new Upstream(config.upstream, config.upstreamTimeoutMs);
  const directory = new ContainerDirectory(upstream, config.cacheTtlMs, log);
  const resolver = new ContainerResolver(directory, buildVisibility(config.rules));
  const streams = new StreamSlots(config.maxStreamsPerClient);
  const app = createApp({ upstream, resolver, scrubEnvs: config.scrubEnvs, log, streams });
  const server = http.createServer(
    {
      // Slow-header (slowloris) connections are reaped; a whole request may take as long as an
      // upload needs, and long-lived streams (logs -f, events) are never cut by an idle timer.
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      // How often Node checks that timeout: a fraction of it, so a junk connection goes soon after.
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, (options.headersTimeoutMs ?? 30_000) / 4)),
      requestTimeout: 0,
      keepAliveTimeout: 30_000,
      // TCP keep-alive probes find peers that vanished without a FIN (a laptop that went away mid
      // `logs -f`), so their streams and upstream connections are released.
      keepAlive: true,
      keepAliveInitialDelay: 60_000,
    },
    app,
  );
  server.on('upgrade', createUpgradeHandler({ upstream, resolver, log, streams }));
  // A total cap on client connections: one more gets a Docker-style 503 at once and is closed.
  let open = 0;
  server.on('connection', (socket: Socket) => {
    open++;
    socket.once('close', () => {
      open--;
    });
    if (open > config.maxConnections) {
      const body = errorBody(
        `dockscope: ${config.maxConnections} client connections are open (MAX_CONNECTIONS); try again later`,
      );
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
      log.warn({ reason: 'over-capacity', open }, 'connection refused: MAX_CONNECTIONS reached');
    }
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, text, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'dockscope: the request head did not arrive in time']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'dockscope: request headers are too large']
          : [400, 'Bad Request', 'dockscope: malformed HTTP request'];
    const body = errorBody(message);
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const watch = options.watchEvents === false ? null : new ContainerWatch(upstream, directory, log);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if ('socketPath' in config.listen) server.listen(config.listen.socketPath, done);
    else server.listen(config.listen.port, config.listen.host, done);
  });
  watch?.start();
  const addr = server.address();
  const address = typeof addr === 'string' ? `unix://${addr}` : addr ? `${addr.address}:${addr.port}` : '';
  return {
    server,
    upstream,
    resolver,
    address,
    close: async () => {
      watch?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      upstream.destroy();
    },
  };
}
