import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Config, ListenerConfig } from '../config/config.ts';
import { Metrics } from '../metrics.ts';
import type { Clients } from '../policy/clients.ts';
import { compileClients } from '../policy/clients.ts';
import { ContainerWatch } from '../policy/container-watch.ts';
import { ContainerDirectory } from '../policy/directory.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { Upstream } from '../upstream/client.ts';
import { createAdminServer } from './admin.ts';
import { createRequestListener } from './app.ts';
import { nameListener } from './caller.ts';
import { StreamSlots } from './capacity.ts';
import { errorBody } from './errors.ts';
import { addressOf, listen, tlsOptions } from './listen.ts';
import { auditLogger, BUILD } from './logger.ts';
import { createObserver } from './observe.ts';
import { createUpgradeHandler } from './upgrade.ts';

export interface Dockscope {
  /** The first listener's server. */
  readonly server: http.Server;
  readonly servers: readonly http.Server[];
  readonly upstream: Upstream;
  readonly directory: ContainerDirectory;
  /** The first client's resolver (for tests and the benchmark). */
  readonly resolver: ContainerResolver;
  /** Where the first listener listens: a TCP `host:port` or `unix://path`. */
  readonly address: string;
  /** Every listener's address, by listener name. */
  readonly addresses: Readonly<Record<string, string>>;
  /** The admin listener's address, when there is one. */
  readonly adminAddress: string | null;
  readonly metrics: Metrics;
  /**
   * Puts a new configuration in force for the next request: its clients are compiled whole first
   * (a failure leaves the old ones in force and is thrown); cached container identities survive,
   * per-client decisions do not. Listeners, the upstream and the caps are not changed by a reload:
   * the result names what differs and needs a restart.
   */
  reload(config: Config): Promise<{ readonly restartNeeded: readonly string[] }>;
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
  // Asked now so that the first judged body need not wait for it (body/body-rules.ts).
  void directory.apiVersion.refresh();
  // One indirection, swapped whole by a reload: a request is judged by the clients in force when it
  // arrived, never by half of an old and half of a new configuration.
  let current: Clients = await compileClients(config.clients, directory);
  const clients: Clients = {
    get names() {
      return current.names;
    },
    get usesTokens() {
      return current.usesTokens;
    },
    identify: (caller) => current.identify(caller),
    identifyByName: (name) => current.identifyByName(name),
  };
  const first = current.identifyByName(config.clients[0]?.name ?? '');
  const streams = new StreamSlots(config.maxStreamsPerClient);
  const metrics = new Metrics(() => ({ lookups: directory.lookups, hits: directory.hits }), BUILD);
  const observer = createObserver(log, metrics, auditLogger(config.audit));
  const onRequest = createRequestListener({ upstream, clients, log, streams, observer });
  const onUpgrade = createUpgradeHandler({ upstream, clients, log, streams, observer });
  const headersTimeout = options.headersTimeoutMs ?? 30_000;
  const serverOptions: http.ServerOptions = {
    // Slow-header (slowloris) connections are reaped; a whole request may take as long as an
    // upload needs, and long-lived streams (logs -f, events) are never cut by an idle timer.
    headersTimeout,
    // How often Node checks that timeout: a fraction of it, so a junk connection goes soon after.
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, headersTimeout / 4)),
    requestTimeout: 0,
    keepAliveTimeout: 30_000,
    // TCP keep-alive probes find peers that vanished without a FIN (a laptop that went away mid
    // `logs -f`), so their streams and upstream connections are released.
    keepAlive: true,
    keepAliveInitialDelay: 60_000,
  };
  // A total cap on client connections, over every listener: one more gets a Docker-style 503 at once.
  let open = 0;
  const onConnection = (listener: ListenerConfig, tls: boolean) => (socket: Socket) => {
    // A TLS socket is named once the handshake is done (the request's socket is the TLS one).
    if (!tls) nameListener(socket, listener.name);
    open++;
    socket.once('close', () => {
      open--;
    });
    if (open > config.maxConnections) {
      if (tls) {
        socket.destroy();
        log.warn({ reason: 'over-capacity', open }, 'connection refused: MAX_CONNECTIONS reached');
        return;
      }
      const body = errorBody(
        `dockscope: ${config.maxConnections} client connections are open (MAX_CONNECTIONS); try again later`,
      );
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      socket.destroySoon();
      log.warn({ reason: 'over-capacity', open }, 'connection refused: MAX_CONNECTIONS reached');
    }
  };
  const onClientError = (error: NodeJS.ErrnoException, socket: Socket) => {
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
  };

  const servers: http.Server[] = [];
  const removers: (() => Promise<void>)[] = [];
  const addresses: Record<string, string> = {};
  const closeAll = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    for (const remove of removers) await remove().catch(() => {});
  };
  try {
    for (const listener of config.listeners) {
      const tls = await tlsOptions(listener);
      const server = tls
        ? https.createServer({ ...serverOptions, ...tls, handshakeTimeout: 10_000 }, onRequest)
        : http.createServer(serverOptions, onRequest);
      // Counted as they connect (a handshake in progress holds a descriptor too).
      server.on('connection', onConnection(listener, tls !== null));
      if (tls) server.on('secureConnection', (socket: Socket) => nameListener(socket, listener.name));
      server.on('upgrade', onUpgrade);
      server.on('clientError', onClientError);
      servers.push(server);
      removers.push(await listen(server, listener));
      // A unix socket is bound in a private directory and renamed into place: name where it is.
      addresses[listener.name] =
        'socketPath' in listener.address ? `unix://${listener.address.socketPath}` : addressOf(server);
    }
  } catch (error) {
    await closeAll();
    upstream.destroy();
    throw error;
  }
  const watch = options.watchEvents === false ? null : new ContainerWatch(upstream, directory, log);
  watch?.start();
  let adminAddress: string | null = null;
  if (config.admin) {
    const admin = createAdminServer({ metrics, upstream, watchState: () => watch?.state ?? null });
    try {
      removers.push(await listen(admin, { name: 'admin', address: config.admin }));
    } catch (error) {
      watch?.stop();
      await closeAll();
      upstream.destroy();
      throw error;
    }
    servers.push(admin);
    adminAddress = 'socketPath' in config.admin ? `unix://${config.admin.socketPath}` : addressOf(admin);
  }
  const server = servers[0] as http.Server;
  return {
    server,
    servers,
    upstream,
    directory,
    resolver: first.resolver,
    address: addresses[config.listeners[0]?.name ?? ''] ?? addressOf(server),
    addresses,
    adminAddress,
    metrics,
    reload: async (next) => {
      // The audit log is opened at start: learn mode, which relies on it, cannot be turned on without it.
      const learner = next.clients.find((c) => c.mode === 'learn');
      if (learner && config.audit === null) {
        throw new Error(
          `client "${learner.name}" is put in learn mode, but dockscope was started without an audit log: set audit and restart`,
        );
      }
      const compiled = await compileClients(next.clients, directory);
      current = compiled;
      const restartNeeded: string[] = [];
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (!same(next.listeners, config.listeners)) restartNeeded.push('listeners');
      if (!same(next.upstream, config.upstream)) restartNeeded.push('upstream');
      if (!same(next.admin, config.admin)) restartNeeded.push('admin');
      if (!same(next.audit, config.audit)) restartNeeded.push('audit');
      for (const key of [
        'cacheTtlMs',
        'upstreamTimeoutMs',
        'maxConnections',
        'maxStreamsPerClient',
        'logLevel',
      ] as const) {
        if (next[key] !== config[key]) restartNeeded.push(key);
      }
      return { restartNeeded };
    },
    close: async () => {
      watch?.stop();
      await closeAll();
      upstream.destroy();
    },
  };
}
