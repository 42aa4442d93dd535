import type { CallerContainerRules } from '../policy/caller-container.ts';
import type { CreateRules } from '../policy/create-rules.ts';
import { NO_WAY_OUT } from '../policy/create-rules.ts';
import type { VisibilityRules } from '../policy/matcher.ts';
import { hasRules, parseLabelRules, parseNameRules } from '../policy/matcher.ts';
import type { Ownership } from '../policy/ownership.ts';
import type { RegistryLists } from '../policy/registry-lists.ts';
import type { ResourceLimits } from '../policy/resource-limits.ts';
import type { UpstreamTarget } from '../upstream/target.ts';
import { parseUpstreamUrl } from '../upstream/target.ts';
import { parseConfigFile } from './file.ts';

/** The whole configuration, validated once at start and frozen. */
export interface Config {
  readonly upstream: UpstreamTarget;
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

/** An audit destination: a standard stream, a file descriptor, or a file (appended to). */
export type AuditTarget = 'stdout' | 'stderr' | { readonly fd: number } | { readonly file: string };

/** `stdout`, `stderr`, `fd:3` or an absolute file path. */
export function parseAuditTarget(value: string): AuditTarget {
  if (value === 'stdout' || value === 'stderr') return value;
  const fd = /^fd:(\d{1,4})$/.exec(value);
  if (fd) return { fd: Number(fd[1]) };
  if (value.startsWith('/')) return { file: value };
  throw new Error(`"${value}" is not stdout, stderr, fd:N or an absolute file path`);
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
  /** The calling container, by its source address: its names and labels, or its profile label. */
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration error names the variable, the bad value and a good example. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;
  constructor(variable: string, problem: string, example: string) {
    super(`${variable}: ${problem}. Example: ${variable}=${example}`);
    this.variable = variable;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_PROXY_URL = 'unix:///var/run/docker.sock';
export const DEFAULT_LISTEN = '0.0.0.0:2375';

/** Builds the configuration from environment variables (drop-in compatible with docker-proxy-filter). */
/** The variables that make listeners and clients: with a configuration file, the file does. */
const FILE_DECIDES = ['LISTEN', 'CONTAINER_NAMES', 'CONTAINER_LABELS', 'SCRUB_ENVS'] as const;

/**
 * The configuration: from a configuration file when one is given (its listeners and clients; its
 * settings, or else the environment's), or from the environment alone (one listener, one client:
 * docker-proxy-filter's model). A variable that makes listeners or clients is refused beside a file,
 * so that nobody believes it is in force.
 */
export function loadConfig(env: Env, file?: { readonly path: string; readonly text: string }): Config {
  if (!file) return loadFromEnv(env);
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
    listeners: parsed.listeners,
    clients: parsed.clients,
    source: file.path,
    logLevel: s.logLevel ?? parseLogLevel(env.LOG_LEVEL),
    cacheTtlMs: parseDuration('cacheTtl', s.cacheTtl ?? env.CACHE_TTL, 2000),
    upstreamTimeoutMs: positive(
      'upstreamTimeout',
      parseDuration('upstreamTimeout', s.upstreamTimeout ?? env.UPSTREAM_TIMEOUT, 60_000),
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

function loadFromEnv(env: Env): Config {
  const upstream = wrap('PROXY_URL', 'http://socket-proxy:2375', () =>
    parseUpstreamUrl(nonEmpty(env.PROXY_URL) ?? DEFAULT_PROXY_URL),
  );
  const listen = wrap('LISTEN', '0.0.0.0:2375', () => parseListen(nonEmpty(env.LISTEN) ?? DEFAULT_LISTEN));
  const names = wrap('CONTAINER_NAMES', 'homepage,uptime-kuma', () =>
    parseNameRules(env.CONTAINER_NAMES ?? ''),
  );
  const labels = wrap('CONTAINER_LABELS', 'homepage.group,com.example.expose=true', () =>
    parseLabelRules(env.CONTAINER_LABELS ?? ''),
  );
  const rules: VisibilityRules = { names, labels };
  const config: Config = {
    upstream,
    listeners: [{ name: 'default', address: listen }],
    // The environment makes one client, who is everyone: docker-proxy-filter's model.
    clients: [
      {
        name: 'default',
        match: {},
        containers: hasRules(rules) ? rules : 'all',
        scrubEnvs: parseBoolean('SCRUB_ENVS', env.SCRUB_ENVS, false),
        // With visibility rules, no create may leave the scope (privileged, host namespaces, host paths,
        // ...); CREATE_RULES=off is for set-ups whose socket proxy already refuses creates.
        create: parseSwitch('CREATE_RULES', env.CREATE_RULES, hasRules(rules)) ? NO_WAY_OUT : null,
        owner: null,
      },
    ],
    source: 'environment',
    logLevel: parseLogLevel(env.LOG_LEVEL),
    cacheTtlMs: parseDuration('CACHE_TTL', env.CACHE_TTL, 2000),
    upstreamTimeoutMs: positive(
      'UPSTREAM_TIMEOUT',
      parseDuration('UPSTREAM_TIMEOUT', env.UPSTREAM_TIMEOUT, 60_000),
      '60s',
    ),
    maxConnections: parseCount('MAX_CONNECTIONS', env.MAX_CONNECTIONS, 1024),
    maxStreamsPerClient: parseCount('MAX_STREAMS_PER_CLIENT', env.MAX_STREAMS_PER_CLIENT, 256),
    admin: optionalListen('ADMIN_LISTEN', env.ADMIN_LISTEN),
    audit: optionalAudit(env.AUDIT_LOG),
  };
  if (config.admin !== null && sameAddress(listen, config.admin)) {
    throw new ConfigError(
      'ADMIN_LISTEN',
      'must not be the address LISTEN serves the API on',
      '127.0.0.1:9100',
    );
  }
  return Object.freeze(config);
}

function optionalListen(variable: string, value: string | undefined): ListenAddress | null {
  const v = nonEmpty(value);
  return v === undefined ? null : wrap(variable, '127.0.0.1:9100', () => parseListen(v));
}

function optionalAudit(value: string | undefined): AuditTarget | null {
  const v = nonEmpty(value);
  return v === undefined
    ? null
    : wrap('AUDIT_LOG', '/var/log/dockscope/audit.log', () => parseAuditTarget(v));
}

function sameAddress(a: ListenAddress, b: ListenAddress | null): boolean {
  if (b === null) return false;
  if ('socketPath' in a || 'socketPath' in b)
    return 'socketPath' in a && 'socketPath' in b && a.socketPath === b.socketPath;
  return a.port !== 0 && a.port === b.port;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Runs a parser whose errors are plain messages and names the variable in the error. */
function wrap<T>(variable: string, example: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variable, (error as Error).message, example);
  }
}

export function parseListen(value: string): ListenAddress {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`"${value}" needs an absolute socket path`);
    return { socketPath };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`"${value}" is not host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range 0-65535`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

export function parseBoolean(variable: string, value: string | undefined, fallback: boolean): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(variable, `"${value}" is not a boolean (true or false)`, 'true');
}

/** `on` or `off` (and the boolean spellings). */
function parseSwitch(variable: string, value: string | undefined, fallback: boolean): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(variable, `"${value}" is neither on nor off`, 'off');
}

function parseLogLevel(value: string | undefined): LogLevel {
  const v = nonEmpty(value)?.toLowerCase() ?? 'info';
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new ConfigError('LOG_LEVEL', `"${value}" is not one of ${LOG_LEVELS.join(', ')}`, 'info');
}

/** Milliseconds, or a number with a unit: `500ms`, `2s`, `1m`, `1h`. */
export function parseDuration(variable: string, value: string | undefined, fallback: number): number {
  const v = nonEmpty(value);
  if (v === undefined) return fallback;
  const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(v);
  if (!match) throw new ConfigError(variable, `"${value}" is not a duration`, '2s');
  const unit = match[2] === 's' ? 1000 : match[2] === 'm' ? 60_000 : match[2] === 'h' ? 3_600_000 : 1;
  return Number(match[1]) * unit;
}

function positive(variable: string, ms: number, example: string): number {
  if (ms <= 0) throw new ConfigError(variable, 'must be more than 0', example);
  return ms;
}

/** A whole number of at least 1. */
export function parseCount(variable: string, value: string | undefined, fallback: number): number {
  const v = nonEmpty(value);
  if (v === undefined) return fallback;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1) {
    throw new ConfigError(variable, `"${value}" is not a whole number of at least 1`, String(fallback));
  }
  return Number(v);
}
