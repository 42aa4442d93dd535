import type { Env } from './config.ts';
import { ConfigError } from './values.ts';

/**
 * Every environment variable dockscope reads, with an example of a good value. docker-proxy-filter's
 * own are among them (PROXY_URL, CONTAINER_NAMES, CONTAINER_LABELS, SCRUB_ENVS, PORT); its RUST_LOG is
 * its log filter, which has no meaning here and is ignored like any unrelated variable.
 */
const KNOWN_VARIABLES: Readonly<Record<string, string>> = {
  PROXY_URL: 'http://socket-proxy:2375',
  UPSTREAM_KIND: 'auto',
  LISTEN: '0.0.0.0:2375',
  PORT: '2375',
  CONTAINER_NAMES: 'web,db',
  CONTAINER_LABELS: 'homepage',
  CONTAINERS: 'all',
  SCRUB_ENVS: 'true',
  CREATE_RULES: 'on',
  ALLOW: 'read-only,logs,exec',
  LOG_LEVEL: 'info',
  CACHE_TTL: '2s',
  UPSTREAM_TIMEOUT: '60s',
  MAX_CONNECTIONS: '1024',
  MAX_STREAMS_PER_CLIENT: '256',
  ADMIN_LISTEN: '127.0.0.1:9100',
  AUDIT_LOG: 'stderr',
  DOCKSCOPE_CONFIG: '/etc/dockscope/dockscope.yml',
};

/** What an unread variable would have left at its default, for the variables where that is dangerous. */
const UNREAD: Readonly<Record<string, string>> = {
  CONTAINER_NAMES: 'the list would scope nothing',
  CONTAINER_LABELS: 'the list would scope nothing',
  SCRUB_ENVS: 'environment variables (secrets) would be shown in inspect answers',
  CREATE_RULES: 'create rules would keep their default',
  ALLOW: 'the allowed routes would keep their default',
  DOCKSCOPE_CONFIG: 'the configuration file would not be read',
};

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * Names that sit next to a known one but mean something else everywhere: podman, systemd-nspawn and LXC
 * set `container` in every container they run, one edit from CONTAINERS.
 */
const NOT_MEANT: ReadonlySet<string> = new Set(['CONTAINER']);

/** `CONTAINERS_NAME` and `CONTAINER_NAMES` are one: no underscores, no plural `S` at a word's end. */
const squash = (name: string) =>
  name
    .split('_')
    .map((word) => word.replace(/S$/, ''))
    .join('');

/**
 * The known variable an unknown name was probably meant to be, or undefined: the same name in other
 * letter case (docker-proxy-filter reads names case-insensitively, dockscope reads upper case only),
 * the same words singular or plural (`CONTAINER_NAME`, as docker-proxy-filter's README spells it once;
 * `SCRUB_ENV`), or one edit away (two for names of 8 letters or more: `CONTIANER_NAMES`). Short
 * names get one edit so that unrelated variables stay out (HOST is two from PORT); the unit test holds
 * what a node container's environment sets.
 */
export function nearMiss(name: string): string | undefined {
  if (name in KNOWN_VARIABLES) return undefined;
  const upper = name.toUpperCase();
  if (NOT_MEANT.has(upper)) return undefined;
  let best: { known: string; distance: number } | undefined;
  for (const known of Object.keys(KNOWN_VARIABLES)) {
    if (upper === known || squash(upper) === squash(known)) return known;
    const distance = editDistance(upper, known);
    if (distance <= (known.length >= 8 ? 2 : 1) && (!best || distance < best.distance))
      best = { known, distance };
  }
  if (best) return best.known;
  // Our own prefix: nothing else uses it, so any unknown DOCKSCOPE_ name is a mistake.
  return upper.startsWith('DOCKSCOPE_') ? 'DOCKSCOPE_CONFIG' : undefined;
}

/**
 * Refuses a start whose environment sets a variable that looks like one of dockscope's but is not
 * (issue #22): `CONTAINER_NAME=web` would otherwise leave every container visible.
 * Empty values are left alone: they would change nothing.
 */
export function refuseNearMisses(env: Env): void {
  // A misspelt list is dangerous only where it would have been the scope: beside a list that is read,
  // or `CONTAINERS=all`, it can only make fewer containers visible. (Some hosts set CONTAINER_NAME for
  // their own reasons, this workplace's machines among them.)
  const set = (key: string) => (env[key] ?? '').trim() !== '';
  const scoped = set('CONTAINER_NAMES') || set('CONTAINER_LABELS') || (env.CONTAINERS ?? '').trim() === 'all';
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === '') continue;
    const meant = nearMiss(name);
    if (meant === undefined) continue;
    if (scoped && (meant === 'CONTAINER_NAMES' || meant === 'CONTAINER_LABELS')) continue;
    const unread = UNREAD[meant];
    throw new ConfigError(
      name,
      `is not a variable dockscope reads; did you mean ${meant}?${unread ? ` Unread, ${unread}` : ''}`,
      KNOWN_VARIABLES[meant] ?? '',
      meant,
    );
  }
}
