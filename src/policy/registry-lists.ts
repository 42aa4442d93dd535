import { DockerApiError, withRule } from '../errors.ts';
import { hostOnly } from './registry-host.ts';

/**
 * A client's registry lists (issue #23): `registries: { pull: [...], push: [...] }`. With a list, the
 * daemon may contact on the client's behalf only the registries it names; without one, a pull or
 * push goes anywhere but the host's own loopback (registry-host.ts, under the create rules' fetch).
 */
export interface RegistryLists {
  /** Pulls, distribution inspects, searches, and logins; null: not listed. */
  readonly pull: readonly RegistryPattern[] | null;
  /** Pushes, and logins; null: not listed. */
  readonly push: readonly RegistryPattern[] | null;
}

export interface RegistryPattern {
  readonly text: string;
  matches(registry: string): boolean;
}

/** Docker Hub under each name the daemon gives it: `docker.io` in a list stands for all of them. */
const HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `host` and `[v6]` lower-cased, the port kept: `Registry.Example:5000` is `registry.example:5000`. */
export function canonicalRegistry(registry: string): string {
  const host = hostOnly(registry);
  if (HUB.has(host) && !/:\d+$/.test(registry.replace(/^\[[^\]]*\]/, ''))) return 'docker.io';
  const port = /:(\d+)$/.exec(registry.replace(/^\[[^\]]*\]/, ''))?.[1];
  const shown = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? shown : `${shown}:${port}`;
}

const PATTERN = /^(\*\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/**
 * Compiles one list entry: `registry.example`, `registry.example:5000`, `*.example` (any name under
 * it, at that port or none), `[fd00::1]:5000`, `docker.io`. A registry without a port is one entry, a
 * registry at a port another: the daemon talks to them as two registries. Returns null for an entry
 * that is none of these (a configuration error).
 */
export function compileRegistryPattern(entry: string): RegistryPattern | null {
  const text = entry.trim().toLowerCase();
  const m = PATTERN.exec(text);
  if (!m) return null;
  const wildcard = m[1] !== undefined;
  const host = m[2] ?? '';
  const port = m[3];
  const canonical = canonicalRegistry(port === undefined ? host : `${host}:${port}`);
  return {
    text: entry,
    matches: (registry) => {
      const got = canonicalRegistry(registry);
      if (!wildcard) return got === canonical;
      const gotPort = /:(\d+)$/.exec(got.replace(/^\[[^\]]*\]/, ''))?.[1];
      const gotHost = gotPort === undefined ? got : got.slice(0, -(gotPort.length + 1));
      return gotPort === port && gotHost.endsWith(`.${host}`);
    },
  };
}

/** Refuses a registry that the client's list for this kind of contact does not name. */
export function checkRegistryList(
  lists: RegistryLists,
  kind: 'pull' | 'push' | 'login',
  registry: string,
  field: string,
): void {
  const candidates = kind === 'login' ? [lists.pull, lists.push] : [lists[kind]];
  const listed = candidates.filter((l): l is readonly RegistryPattern[] => l !== null);
  if (listed.length === 0) return;
  if (listed.some((list) => list.some((p) => p.matches(registry)))) return;
  const which = kind === 'login' ? 'registries.pull or registries.push' : `registries.${kind}`;
  throw withRule(
    new DockerApiError(
      403,
      `dockscope: ${field} names the registry ${canonicalRegistry(registry)}, which is not in this client's ${which}`,
      'refused',
    ),
    'registries',
  );
}

/** Whether a list names this registry (a listed registry is allowed even on the host's loopback). */
export function isListed(
  lists: RegistryLists | null,
  kind: 'pull' | 'push' | 'login',
  registry: string,
): boolean {
  if (!lists) return false;
  const candidates = kind === 'login' ? [lists.pull, lists.push] : [lists[kind]];
  return candidates.some((list) => list?.some((p) => p.matches(registry)) ?? false);
}
