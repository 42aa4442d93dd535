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
      paths.push(path);
      if (gate) await gate;
      const [, kind, raw] = path.split('/');
      const ref = decodeURIComponent(raw ?? '');
      if (kind === 'exec') {
        const owner = execs[ref];
        return owner ? { status: 200, body: { ContainerID: owner } } : { status: 404, body: {} };
      }
      const c = find(ref);
      return c
        ? { status: 200, body: { Id: c.id, Name: `/${c.name}`, Config: { Labels: c.labels ?? {} } } }
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
