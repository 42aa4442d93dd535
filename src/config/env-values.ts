import { compileRouteRules } from '../routes/templates.ts';
import type { Env, ListenAddress } from './config.ts';
import { ConfigError, nonEmpty, parseListen, wrap } from './values.ts';

/** Environment values that take more than one variable to read: the listen address, ALLOW. */

/**
 * What the environment's client may do with SCRUB_ENVS directly on the daemon's socket and no ALLOW
 * (issue #22): reads that show no file. Without a socket proxy nothing else limits the routes, and
 * `docker exec web env`, a container sharing web's pid namespace, or a commit run as a new container
 * would print what inspect scrubs.
 */
export const SCRUB_DIRECT_ALLOW = ['read-only', 'logs', 'events'] as const;

/** ALLOW: templates and groups as a file's `allow`, or `all`; unset: SCRUB_DIRECT_ALLOW when it applies. */
export function envAllow(
  value: string | undefined,
  scrubbingOnSocket: boolean,
): readonly string[] | undefined {
  const v = nonEmpty(value);
  if (v === undefined) return scrubbingOnSocket ? [...SCRUB_DIRECT_ALLOW] : undefined;
  if (v.toLowerCase() === 'all') return undefined;
  const entries = v.split(',').map((e) => e.trim());
  return wrap('ALLOW', 'read-only,logs,exec', () => {
    if (entries.includes('')) throw new Error(`"${value}" has an empty entry`);
    compileRouteRules(entries, undefined);
    return entries;
  });
}

/** LISTEN, or docker-proxy-filter's PORT (it listens on 0.0.0.0:PORT); not both. */
export function listenAddress(env: Env, fallback: string): ListenAddress {
  const port = nonEmpty(env.PORT);
  const listen = nonEmpty(env.LISTEN);
  if (port !== undefined) {
    if (listen !== undefined)
      throw new ConfigError(
        'PORT',
        'is set beside LISTEN: set one of them',
        '(unset), or LISTEN=0.0.0.0:2375',
      );
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535)
      throw new ConfigError('PORT', `"${env.PORT}" is not a port number (0-65535)`, '2375');
    return { host: '0.0.0.0', port: Number(port) };
  }
  return wrap('LISTEN', '0.0.0.0:2375', () => parseListen(listen ?? fallback));
}
