import type { CallerContainerRules } from '../policy/caller-container.ts';
import type { CreateRules } from '../policy/create-rules.ts';
import type { VisibilityRules } from '../policy/matcher.ts';
import type { Ownership } from '../policy/ownership.ts';
import type { RegistryLists } from '../policy/registry-lists.ts';
import type { ResourceLimits } from '../policy/resource-limits.ts';
import type { UpstreamKind } from '../upstream/dialect.ts';
import type { UpstreamTarget } from '../upstream/target.ts';
import { parseUpstreamUrl } from '../upstream/target.ts';
import {
  configFromEnv,
  DEFAULT_PROXY_URL,
  optionalAudit,
  optionalListen,
  sameAddress,
} from './env-config.ts';
import { refuseNearMisses } from './env-names.ts';
import { parseConfigFile } from './file.ts';
import type { AuditTarget, LogLevel } from './values.ts';
import {
  ConfigError,
  nonEmpty,
  parseCount,
  parseDuration,
  parseLogLevel,
  parseUpstreamKind,
  positive,
  wrap,
} from './values.ts';

export { SCRUB_DIRECT_ALLOW } from './env-values.ts';
export type { AuditTarget, LogLevel } from './values.ts';
export {
  ConfigError,
  parseAuditTarget,
  parseBoolean,
  parseCount,
  parseDuration,
  parseListen,
} from './values.ts';

/** The whole configuration, validated once at start and frozen. */
export interface Config {
  readonly upstream: UpstreamTarget;
  /** Which kind the upstream is (UPSTREAM_KIND): for answers in its words; `auto` asks it. */
  readonly upstreamKind: UpstreamKind;
  /** Where dockscope listens; at least one. */
  readonly listeners: readonly ListenerConfig[];
  /** Who may use it, tried in order: the first whose `match` holds serves a connection's request. */
  readonly clients: readonly ClientConfig[];
  /** Where the configuration came from: `environment`, or the config file's path. */
  readonly source: string;
  readonly logLevel: LogLevel;
  /** How long a container-id decision is trusted without a confirming daemon event. */
  readonly cacheTtlMs: number;
  /** The longest wait for the upstream's response headers on an ordinary request (see routes/timing.ts). */
  readonly upstreamTimeoutMs: number;
  /** Client connections open at once, in total; one more is answered 503 and closed. */
  readonly maxConnections: number;
  /** Long-lived streams (events, logs -f, stats, attach, exec, wait) open at once per client address. */
  readonly maxStreamsPerClient: number;
  /** The admin listener (`/metrics`, `/health`, `/ready`); null: none (the default). */
  readonly admin: ListenAddress | null;
  /** Where audit lines go; null: nowhere (the default). */
  readonly audit: AuditTarget | null;
}

export type ListenAddress =
  | { readonly host: string; readonly port: number }
  | { readonly socketPath: string };

export interface ListenerConfig {
  readonly name: string;
  readonly address: ListenAddress;
  /** A unix socket's owner, group and mode, set before anyone can connect. */
  readonly socket?: { readonly owner?: number; readonly group?: number; readonly mode: number };
  /** TLS: certificate and key files, and with `clientCa` mutual TLS (a client certificate is required). */
  readonly tls?: { readonly cert: string; readonly key: string; readonly clientCa?: string };
}

/** How a request is recognised as this client's; every key given must hold, a list's values are alternatives. */
export interface ClientMatch {
  readonly listener?: readonly string[];
  /** Addresses, CIDRs or host names (resolved at start) the connection comes from. */
  readonly from?: readonly string[];
  /** `Authorization: Bearer <token>`, the token read from a file or an environment variable. */
  readonly token?: { readonly file?: string; readonly env?: string };
  /** The TLS client certificate's common name or subject alternative names. */
  readonly certificate?: { readonly cn?: readonly string[]; readonly san?: readonly string[] };
  /** A header set by a trusted forwarder (it counts only on connections from `trustedProxies`). */
  readonly header?: {
    readonly name: string;
    readonly value?: readonly string[];
    readonly trustedProxies: readonly string[];
  };
  /** The calling container, by its source address: its names and labels, or its client label (`dockscope.client`). */
  readonly container?: CallerContainerRules;
}

export interface ClientConfig {
  readonly name: string;
  readonly match: ClientMatch;
  /** Which containers it sees: rules as CONTAINER_NAMES / CONTAINER_LABELS, or every one. */
  readonly containers: VisibilityRules | 'all';
  readonly scrubEnvs: boolean;
  /**
   * What its creates may ask for beyond the container itself (policy/create-rules.ts); null: no create
   * rules (the default only for a client that sees every container).
   */
  readonly create: CreateRules | null;
  /** Resource maxima and defaults of its creates and updates (policy/resource-limits.ts); null: none. */
  readonly limits?: ResourceLimits | null;
  /** The registries its pulls, pushes and logins may reach (policy/registry-lists.ts); null: no lists. */
  readonly registries?: RegistryLists | null;
  /** Ownership: the owner label set on everything it creates, and by which volumes and networks are scoped. */
  readonly owner: Ownership | null;
  /** `learn`: the allow/deny lists only report what they would refuse (see docs/operations.md). */
  readonly mode?: 'enforce' | 'learn';
  /** Route templates and permission groups (routes/templates.ts); absent: every route dockscope knows. */
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

export { DEFAULT_LISTEN, DEFAULT_PROXY_URL } from './env-config.ts';

/** The variables that make listeners and clients: with a configuration file, the file does. */
const FILE_DECIDES = [
  'LISTEN',
  'PORT',
  'CONTAINER_NAMES',
  'CONTAINER_LABELS',
  'CONTAINERS',
  'SCRUB_ENVS',
  'ALLOW',
] as const;

/**
 * The configuration: from a configuration file when one is given (its listeners and clients; its
 * settings, or else the environment's), or from the environment alone (one listener, one client:
 * docker-proxy-filter's model). A variable that makes listeners or clients is refused beside a file,
 * so that nobody believes it is in force.
 */
export function loadConfig(env: Env, file?: { readonly path: string; readonly text: string }): Config {
  refuseNearMisses(env);
  if (!file) return configFromEnv(env);
  for (const variable of FILE_DECIDES) {
    if (nonEmpty(env[variable]) !== undefined) {
      throw new ConfigError(
        variable,
        `is set, but the configuration file ${file.path} decides listeners and clients: move it into the file or unset it`,
        '(unset)',
      );
    }
  }
  const parsed = parseConfigFile(file.text, file.path);
  const s = parsed.settings;
  const config: Config = {
    upstream: wrap('upstream', 'unix:///var/run/docker.sock', () =>
      parseUpstreamUrl(s.upstream ?? nonEmpty(env.PROXY_URL) ?? DEFAULT_PROXY_URL),
    ),
    upstreamKind: parseUpstreamKind(
      s.upstreamKind ? 'upstreamKind' : 'UPSTREAM_KIND',
      s.upstreamKind ?? env.UPSTREAM_KIND,
    ),
    listeners: parsed.listeners,
    clients: parsed.clients,
    source: file.path,
    logLevel: s.logLevel ?? parseLogLevel(env.LOG_LEVEL),
    // Named by where the value came from: the file's key, else the variable.
    cacheTtlMs: parseDuration(s.cacheTtl ? 'cacheTtl' : 'CACHE_TTL', s.cacheTtl ?? env.CACHE_TTL, 2000),
    upstreamTimeoutMs: positive(
      s.upstreamTimeout ? 'upstreamTimeout' : 'UPSTREAM_TIMEOUT',
      parseDuration(
        s.upstreamTimeout ? 'upstreamTimeout' : 'UPSTREAM_TIMEOUT',
        s.upstreamTimeout ?? env.UPSTREAM_TIMEOUT,
        60_000,
        '60s',
      ),
      '60s',
    ),
    maxConnections: s.maxConnections ?? parseCount('MAX_CONNECTIONS', env.MAX_CONNECTIONS, 1024),
    maxStreamsPerClient:
      s.maxStreamsPerClient ?? parseCount('MAX_STREAMS_PER_CLIENT', env.MAX_STREAMS_PER_CLIENT, 256),
    admin: parsed.admin ?? optionalListen('ADMIN_LISTEN', env.ADMIN_LISTEN),
    audit: parsed.audit ?? optionalAudit(env.AUDIT_LOG),
  };
  const learner = config.clients.find((c) => c.mode === 'learn');
  if (learner && config.audit === null) {
    throw new ConfigError(
      'audit',
      `client "${learner.name}" is in learn mode, which writes what it does to the audit log: set audit in ${file.path} (or AUDIT_LOG)`,
      '/var/log/dockscope/audit.log',
    );
  }
  if (config.admin !== null && config.listeners.some((l) => sameAddress(l.address, config.admin))) {
    throw new ConfigError('admin', 'must not be the address of an API listener', '127.0.0.1:9100');
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
