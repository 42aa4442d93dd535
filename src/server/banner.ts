import type { Logger } from 'pino';
import type { Config, ListenerConfig } from '../config/config.ts';
import { SCRUB_DIRECT_ALLOW } from '../config/config.ts';

/**
 * The startup banner: one line per listener and per client with its effective rules (never a token:
 * a match shows only that a token is used), and a warning for every risky choice.
 */
export function logBanner(
  log: Logger,
  config: Config,
  addresses: Readonly<Record<string, string>>,
  admin: string | null,
): void {
  for (const l of config.listeners) {
    log.info(
      {
        listener: l.name,
        address: addresses[l.name],
        ...(l.tls ? { tls: l.tls.clientCa ? 'mutual' : 'server' } : {}),
        ...(l.socket ? { socket: { ...l.socket, mode: l.socket.mode.toString(8).padStart(4, '0') } } : {}),
      },
      'listener',
    );
    // Open to anyone who can reach it: some client of it is recognised by nothing but being there.
    if (isOpenTcp(l) && config.clients.some((c) => !restrictsAddress(c, l.name))) {
      log.warn(
        { listener: l.name, address: addresses[l.name] },
        'this TCP listener accepts any address without TLS: restrict its clients with match.from or use TLS',
      );
    }
  }
  if (admin) {
    log.info({ admin }, 'admin listener (/metrics, /health, /ready)');
    if (
      config.admin &&
      !('socketPath' in config.admin) &&
      !['127.0.0.1', '::1', 'localhost'].includes(config.admin.host)
    ) {
      log.warn(
        { admin },
        'the admin listener is not on loopback: keep it on a network only the monitoring reaches',
      );
    }
  }
  for (const c of config.clients) {
    log.info(
      {
        client: c.name,
        match: {
          ...c.match,
          ...(c.match.token ? { token: c.match.token.file ? 'from a file' : 'from the environment' } : {}),
          // A header's value may be a shared secret: only its name and trusted proxies are shown.
          ...(c.match.header
            ? { header: { name: c.match.header.name, trustedProxies: c.match.header.trustedProxies } }
            : {}),
        },
        containers: c.containers,
        scrubEnvs: c.scrubEnvs,
        create: c.create ?? 'unrestricted',
        ...(c.owner ? { owner: c.owner.owner } : {}),
        ...(c.mode === 'learn' ? { mode: 'learn' } : {}),
        allow: c.allow ?? 'every route dockscope knows',
        ...(c.deny ? { deny: c.deny } : {}),
      },
      'client',
    );
    if (c.containers === 'all') {
      log.warn(
        { client: c.name },
        config.source === 'environment'
          ? 'CONTAINERS=all: every container is visible'
          : 'this client sees every container',
      );
    }
    if (config.source === 'environment' && config.upstream.kind === 'unix' && c.scrubEnvs) {
      // Issue #22: nothing but dockscope limits routes here, and SCRUB_ENVS is only as good as that.
      if (c.allow && c.allow.join(',') === SCRUB_DIRECT_ALLOW.join(','))
        log.info(
          { client: c.name, allow: c.allow },
          'SCRUB_ENVS directly on the daemon socket: only reads are allowed (read-only, logs, events), so that exec cannot print what inspect scrubs; ALLOW chooses others',
        );
      else if (!c.allow)
        log.warn(
          { client: c.name },
          'SCRUB_ENVS with ALLOW=all directly on the daemon socket: docker exec and new containers can print what inspect scrubs',
        );
    }
    if (c.create === null && c.containers !== 'all') {
      log.warn(
        { client: c.name },
        'create rules are off: a client that may create containers is root on the host',
      );
    }
    if (c.mode === 'learn') {
      log.warn({ client: c.name }, 'learn mode: the allow and deny lists only report what they would refuse');
    }
  }
}

/**
 * The V8 flags dockscope is meant to run with (`npm start` and the image's entrypoint, which the image
 * test holds to this list): docs/operations.md#memory says what each one does, with the measurements.
 */
export const NODE_FLAGS = [
  '--max-semi-space-size=4',
  '--initial-old-space-size=8',
  '--no-allocation-site-pretenuring',
] as const;

/** A flag as V8 reads it: `_` and `-` are the same in its name. */
function flagSpelling(arg: string): string {
  const eq = arg.indexOf('=');
  return eq === -1 ? arg.replaceAll('_', '-') : `${arg.slice(0, eq).replaceAll('_', '-')}${arg.slice(eq)}`;
}

/**
 * Which of NODE_FLAGS a process was started without: given on the command line (`process.execArgv`)
 * or in NODE_OPTIONS (which Node accepts for some V8 flags), in either spelling.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagSpelling));
  return NODE_FLAGS.filter((flag) => !given.has(flag));
}

/**
 * A warning when dockscope was started without its V8 flags (`node dist/main.js` by hand): it works,
 * but memory under large lists stays higher and every request costs more CPU.
 */
export function logNodeFlags(log: Logger, execArgv: readonly string[], nodeOptions = ''): void {
  const missing = missingNodeFlags(execArgv, nodeOptions);
  if (missing.length === 0) return;
  log.warn(
    { missing },
    'node runs without the flags of `npm start`: more memory under large lists and more CPU per request (docs/operations.md#memory)',
  );
}

function isOpenTcp(l: ListenerConfig): boolean {
  if ('socketPath' in l.address || l.tls) return false;
  return !['127.0.0.1', '::1', 'localhost'].includes(l.address.host);
}

function restrictsAddress(c: Config['clients'][number], listener: string): boolean {
  const on = c.match.listener === undefined || c.match.listener.includes(listener);
  return !on || c.match.from !== undefined || c.match.header !== undefined || c.match.token !== undefined;
}
