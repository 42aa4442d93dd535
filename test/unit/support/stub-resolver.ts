import { pino } from 'pino';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

export interface StubContainer {
  readonly id: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
  /** More of its inspect answer (HostConfig, Mounts), for what a create that joins it inherits. */
  readonly inspect?: Record<string, unknown>;
}

/** A volume as `GET /volumes/{name}` answers it. */
export interface StubVolume {
  readonly Driver: string;
  readonly Options?: Record<string, string> | null;
  readonly Labels?: Record<string, string> | null;
}

/**
 * A resolver whose upstream knows a fixed set of containers (by full id, id prefix and name) and exec
 * instances; every look-up is counted, and `gate` can hold look-ups until released. For unit tests of
 * pure decisions: the end-to-end suites use the real daemon.
 */
export function stubResolver(
  containers: StubContainer[],
  rules: VisibilityRules = { names: ['web'], labels: [] },
  execs: Record<string, string> = {},
  volumes: Record<string, StubVolume> = {},
) {
  const paths: string[] = [];
  let gate: Promise<void> | null = null;
  const find = (ref: string) =>
    containers.find(
      (c) =>
        c.id === ref ||
        c.name === ref ||
        (ref.length >= 1 && /^[0-9a-f]+$/.test(ref) && c.id.startsWith(ref)),
    );
  const upstream = {
    display: 'stub',
    getJson: async (path: string) => {
      // The version that decides the body rules (Docker 20.10's), not a look-up the tests count.
      if (path === '/version') return { status: 200, body: { ApiVersion: '1.41' } };
      paths.push(path);
      if (gate) await gate;
      if (path.startsWith('/containers/json?')) {
        // Only the volume filter is asked for by decisions: the containers whose Mounts name it.
        const filters = JSON.parse(new URLSearchParams(path.split('?')[1]).get('filters') ?? '{}');
        const volume = Object.keys(filters.volume ?? {})[0];
        const users = containers.filter((c) =>
          ((c.inspect?.Mounts as { Name?: string }[] | undefined) ?? []).some((m) => m.Name === volume),
        );
        return {
          status: 200,
          body: users.map((c) => ({ Id: c.id, Names: [`/${c.name}`], Labels: c.labels ?? {} })),
        };
      }
      const [, kind, raw] = path.split('/');
      const ref = decodeURIComponent(raw ?? '');
      if (kind === 'volumes') {
        const volume = volumes[ref];
        return volume
          ? { status: 200, body: { Name: ref, ...volume } }
          : { status: 404, body: { message: `get ${ref}: no such volume` } };
      }
      if (kind === 'exec') {
        const owner = execs[ref];
        return owner ? { status: 200, body: { ContainerID: owner } } : { status: 404, body: {} };
      }
      const c = find(ref);
      return c
        ? {
            status: 200,
            body: { Id: c.id, Name: `/${c.name}`, Config: { Labels: c.labels ?? {} }, ...c.inspect },
          }
        : { status: 404, body: { message: `No such container: ${ref}` } };
    },
  } as unknown as Upstream;
  const resolver = new ContainerResolver(
    new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
    buildVisibility(rules),
  );
  return {
    resolver,
    paths,
    containers,
    /** Holds every look-up until the returned function is called. */
    hold(): () => void {
      let release = () => {};
      gate = new Promise<void>((r) => {
        release = () => {
          gate = null;
          r();
        };
      });
      return release;
    },
  };
}

export const id = (c: string) => c.repeat(64).slice(0, 64);
