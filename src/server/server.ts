import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { Metrics } from '../metrics.ts';
import { CallerAddresses } from '../policy/caller-addresses.ts';
import type { Clients } from '../policy/clients.ts';
import { compileClients } from '../policy/clients.ts';
import { ContainerWatch } from '../policy/container-watch.ts';
import { ContainerDirectory } from '../policy/directory.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { Upstream } from '../upstream/client.ts';
import { createAdminServer } from './admin.ts';
import { createRequestListener } from './app.ts';
import { BuildSessions } from './build-sessions.ts';
import { StreamSlots } from './capacity.ts';
import { createConnectionGuard } from './connections.ts';
import { InFlight } from './drain.ts';
import { addressOf, listen, tlsOptions } from './listen.ts';
import { auditLogger, BUILD } from './logger.ts';
import { createObserver } from './observe.ts';
import { OpenSessions } from './sessions.ts';
import { createUpgradeHandler } from './upgrade.ts';

export interface Dockscope {
  /** The first listener's server. */
  readonly server: http.Server;
  readonly servers: readonly http.Server[];
  readonly upstream: Upstream;
  readonly directory: ContainerDirectory;
  /** Caller containers by address (`container:` clients). */
  readonly callers: CallerAddresses;
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
   * per-client decisions do not. Open streams and hijacks whose caller the new clients refuse, give
   * to another client, or whose client's entry changed are ended. Listeners, the upstream and the caps
   * are not changed by a reload: the result names what differs and needs a restart.
   */
  reload(config: Config): Promise<{ readonly restartNeeded: readonly string[] }>;
  /** An audit file is opened anew (after log rotation, on SIGHUP); other audit targets: nothing. */
  reopenAudit(): Promise<void>;
  /**
   * Stops accepting connections, lets short requests in progress finish for up to `graceMs` (default
   * 10 s), then closes every connection (streams at once); buffered audit lines get up to 1 s more.
   */
  close(graceMs?: number): Promise<void>;
}

interface StartOptions {
  /** Follow daemon events to invalidate cached decisions (on by default). */
  readonly watchEvents?: boolean;
  /** A connection that has not sent a complete request head by then is closed (default 30 s). */
  readonly headersTimeoutMs?: number;
  /** A TLS connection whose handshake has not finished by then is destroyed (default 10 s). */
  readonly handshakeTimeoutMs?: number;
}

/** How long a shutdown waits for short requests in progress. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Builds and starts dockscope for a configuration. */
export async function startDockscope(
  config: Config,
  log: Logger,
  options: StartOptions = {},
): Promise<Dockscope> {
  const upstream = new Upstream(config.upstream, config.upstreamTimeoutMs);
  const directory = new ContainerDirectory(upstream, config.cacheTtlMs, log, config.upstreamKind);
  // Asked now so that the first judged body need not wait for it (body/body-rules.ts), and the
  // upstream's kind with it: a kind that is not the configured one is said at once (upstream/dialect.ts).
  void directory.daemon.apiVersion
    .refresh()
    .then(() => directory.daemon.dialect.get())
    .catch((error: unknown) => log.error({ err: (error as Error).message }, (error as Error).message));
  // One indirection, swapped whole by a reload: a request is judged by the clients in force when it
  // arrived, never by half of an old and half of a new configuration.
  // Caller containers by address, shared by every client as the directory is (issue #23).
  const callerAddresses = new CallerAddresses(upstream, config.cacheTtlMs, log);
  let current: Clients = await compileClients(config.clients, directory, process.env, { log });
  const clients: Clients = {
    get names() {
      return current.names;
    },
    get usesTokens() {
      return current.usesTokens;
    },
    get unresolved() {
      return current.unresolved;
    },
    identify: (caller) => current.identify(caller),
    needsContainer: (caller) => current.needsContainer(caller),
    identifyByName: (name) => current.identifyByName(name),
  };
  const first = current.identifyByName(config.clients[0]?.name ?? '');
  const streams = new StreamSlots(config.maxStreamsPerClient);
  const metrics = new Metrics(() => ({ lookups: directory.lookups, hits: directory.hits }), BUILD);
  const audit = auditLogger(config.audit);
  if (audit) metrics.countDropsOf('audit', audit.sink);
  const inFlight = new InFlight();
  const sessions = new OpenSessions();
  const observer = sessions.observe(inFlight.observe(createObserver(log, metrics, audit?.logger ?? null)));
  // The client entries in force, to tell which clients a reload changed.
  let clientConfigs = config.clients;
  // BuildKit sessions and build ids by client, shared by plain requests (builds) and upgrades (sessions).
  const buildSessions = new BuildSessions(config.maxStreamsPerClient);
  const deps = { upstream, clients, log, streams, observer, buildSessions, addresses: callerAddresses };
  const onRequest = createRequestListener(deps);
  const onUpgrade = createUpgradeHandler(deps);
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
  const guard = createConnectionGuard(config.maxConnections, log);

  const servers: http.Server[] = [];
  const removers: (() => Promise<void>)[] = [];
  const addresses: Record<string, string> = {};
  // Stops accepting at once (idle connections are closed too), lets short requests in progress
  // finish for up to `graceMs`, then cuts what is left: streams, hijacks, requests that overran.
  const closeAll = async (graceMs: number) => {
    const closed = servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    await inFlight.settled(graceMs);
    for (const server of servers) server.closeAllConnections();
    await Promise.all(closed);
    for (const remove of removers) await remove().catch(() => {});
  };
  try {
    for (const listener of config.listeners) {
      const tls = await tlsOptions(listener);
      const server = tls
        ? https.createServer(
            { ...serverOptions, ...tls, handshakeTimeout: options.handshakeTimeoutMs ?? 10_000 },
            onRequest,
          )
        : http.createServer(serverOptions, onRequest);
      // Counted as they connect (a handshake in progress holds a descriptor too).
      server.on('connection', guard.onConnection(listener.name, tls !== null));
      if (tls) server.on('secureConnection', guard.onSecureConnection(listener.name));
      server.on('upgrade', onUpgrade);
      server.on('clientError', guard.onClientError);
      inFlight.track(server);
      servers.push(server);
      removers.push(await listen(server, listener));
      // A unix socket is bound in a private directory and renamed into place: name where it is.
      addresses[listener.name] =
        'socketPath' in listener.address ? `unix://${listener.address.socketPath}` : addressOf(server);
    }
  } catch (error) {
    await closeAll(0);
    upstream.destroy();
    throw error;
  }
  const watch =
    options.watchEvents === false ? null : new ContainerWatch(upstream, directory, log, callerAddresses);
  watch?.start();
  let adminAddress: string | null = null;
  if (config.admin) {
    const admin = createAdminServer({ metrics, upstream, watchState: () => watch?.state ?? null });
    try {
      removers.push(await listen(admin, { name: 'admin', address: config.admin }));
    } catch (error) {
      watch?.stop();
      await closeAll(0);
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
    callers: callerAddresses,
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
      const compiled = await compileClients(next.clients, directory, process.env, { log });
      current = compiled;
      // Limits hold bigints, which JSON.stringify refuses; registry patterns compare by their text.
      const text = (c: object) =>
        JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
      const before = new Map(clientConfigs.map((c) => [c.name, text(c)]));
      const after = new Map(next.clients.map((c) => [c.name, text(c)]));
      clientConfigs = next.clients;
      // Streams and hijacks opened under the old configuration end when it no longer allows them.
      void sessions
        .revoke(compiled, (name) => before.get(name) !== after.get(name))
        .then((ended) => {
          if (ended > 0) log.info({ ended }, 'reload: streams of revoked or changed clients ended');
        });
      const restartNeeded: string[] = [];
      const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
      if (!same(next.listeners, config.listeners)) restartNeeded.push('listeners');
      if (!same(next.upstream, config.upstream)) restartNeeded.push('upstream');
      if (next.upstreamKind !== config.upstreamKind) restartNeeded.push('upstreamKind');
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
    reopenAudit: () => audit?.sink.reopen() ?? Promise.resolve(),
    close: async (graceMs = SHUTDOWN_GRACE_MS) => {
      watch?.stop();
      await closeAll(graceMs);
      upstream.destroy();
      await audit?.sink.flush(1000);
    },
  };
}
