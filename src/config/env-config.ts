import { NO_WAY_OUT } from '../policy/create-rules.ts';
import type { VisibilityRules } from '../policy/matcher.ts';
import { hasRules, parseLabelRules, parseNameRules } from '../policy/matcher.ts';
import { parseUpstreamUrl } from '../upstream/target.ts';
import type { AuditTarget, Config, Env, ListenAddress } from './config.ts';
import { envAllow, listenAddress } from './env-values.ts';
import {
  ConfigError,
  nonEmpty,
  parseAuditTarget,
  parseBoolean,
  parseCount,
  parseDuration,
  parseListen,
  parseLogLevel,
  parseSwitch,
  parseUpstreamKind,
  positive,
  wrap,
} from './values.ts';

export const DEFAULT_PROXY_URL = 'unix:///var/run/docker.sock';
export const DEFAULT_LISTEN = '0.0.0.0:2375';

/**
 * The configuration from environment variables alone (drop-in compatible with docker-proxy-filter):
 * one listener, one client who is everyone.
 */
export function configFromEnv(env: Env): Config {
  const upstream = wrap('PROXY_URL', 'http://socket-proxy:2375', () =>
    parseUpstreamUrl(nonEmpty(env.PROXY_URL) ?? DEFAULT_PROXY_URL),
  );
  const listen = listenAddress(env, DEFAULT_LISTEN);
  const names = wrap('CONTAINER_NAMES', 'homepage,uptime-kuma', () =>
    parseNameRules(env.CONTAINER_NAMES ?? ''),
  );
  const labels = wrap('CONTAINER_LABELS', 'homepage.group,com.example.expose=true', () =>
    parseLabelRules(env.CONTAINER_LABELS ?? ''),
  );
  const rules: VisibilityRules = { names, labels };
  const containers = envContainers(env.CONTAINERS, rules);
  const scrubEnvs = parseBoolean('SCRUB_ENVS', env.SCRUB_ENVS, false);
  const allow = envAllow(env.ALLOW, scrubEnvs && upstream.kind === 'unix');
  const config: Config = {
    upstream,
    upstreamKind: parseUpstreamKind('UPSTREAM_KIND', env.UPSTREAM_KIND),
    listeners: [{ name: 'default', address: listen }],
    // The environment makes one client, who is everyone: docker-proxy-filter's model.
    clients: [
      {
        name: 'default',
        match: {},
        containers,
        scrubEnvs,
        // With visibility rules, no create may leave the scope (privileged, host namespaces, host paths,
        // ...); CREATE_RULES=off is for set-ups whose socket proxy already refuses creates.
        create: parseSwitch('CREATE_RULES', env.CREATE_RULES, hasRules(rules)) ? NO_WAY_OUT : null,
        owner: null,
        ...(allow ? { allow } : {}),
      },
    ],
    source: 'environment',
    logLevel: parseLogLevel(env.LOG_LEVEL),
    cacheTtlMs: parseDuration('CACHE_TTL', env.CACHE_TTL, 2000),
    upstreamTimeoutMs: positive(
      'UPSTREAM_TIMEOUT',
      parseDuration('UPSTREAM_TIMEOUT', env.UPSTREAM_TIMEOUT, 60_000, '60s'),
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

/**
 * The client's containers: the lists, or every container when `CONTAINERS=all` says so. Without both,
 * the start is refused (issue #22): a missing or misspelt list must not show every container (what
 * docker-proxy-filter does, and the one deliberate difference from it).
 */
function envContainers(value: string | undefined, rules: VisibilityRules): VisibilityRules | 'all' {
  const v = nonEmpty(value);
  if (v !== undefined && v !== 'all') {
    throw new ConfigError(
      'CONTAINERS',
      `"${value}" is not "all", its only value (to see some containers, set CONTAINER_NAMES or CONTAINER_LABELS; CONTAINERS=1 is a socket proxy's setting)`,
      'all',
    );
  }
  const lists = (['CONTAINER_NAMES', 'CONTAINER_LABELS'] as const).filter((name) =>
    name === 'CONTAINER_NAMES' ? rules.names.length > 0 : rules.labels.length > 0,
  );
  if (v === 'all' && lists.length > 0) {
    throw new ConfigError(
      'CONTAINERS',
      `is "all", but ${lists.join(' and ')} ${lists.length > 1 ? 'show' : 'shows'} only some containers: unset one or the other`,
      '(unset)',
    );
  }
  if (v === 'all') return 'all';
  if (!hasRules(rules)) {
    throw new ConfigError(
      'CONTAINERS',
      'is unset, and so are CONTAINER_NAMES and CONTAINER_LABELS: dockscope shows every container only ' +
        'when told to. Set CONTAINER_NAMES=web,db (containers whose names contain web or db), ' +
        'CONTAINER_LABELS=homepage (containers with a label whose key contains homepage), ' +
        'or CONTAINERS=all (every container)',
      'web,db',
      'CONTAINER_NAMES',
    );
  }
  return rules;
}

export function optionalListen(variable: string, value: string | undefined): ListenAddress | null {
  const v = nonEmpty(value);
  return v === undefined ? null : wrap(variable, '127.0.0.1:9100', () => parseListen(v));
}

export function optionalAudit(value: string | undefined): AuditTarget | null {
  const v = nonEmpty(value);
  return v === undefined
    ? null
    : wrap('AUDIT_LOG', '/var/log/dockscope/audit.log', () => parseAuditTarget(v));
}

export function sameAddress(a: ListenAddress, b: ListenAddress | null): boolean {
  if (b === null) return false;
  if ('socketPath' in a || 'socketPath' in b)
    return 'socketPath' in a && 'socketPath' in b && a.socketPath === b.socketPath;
  return a.port !== 0 && a.port === b.port;
}
