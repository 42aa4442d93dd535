import { pino } from 'pino';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

export interface StubService {
  readonly id: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
}

export interface StubTask {
  readonly id: string;
  readonly serviceId: string;
}

const SINGULAR: Record<string, string> = { services: 'service', secrets: 'secret', configs: 'config' };

/**
 * A resolver whose upstream is a swarm manager with fixed services (also answering as secrets) and
 * tasks, found as the daemon finds them (full id, then name, then id prefix; several prefix matches
 * are its "ambiguous" 400). Every path asked is recorded. For unit tests of swarm decisions.
 */
export function stubSwarm(
  services: StubService[],
  tasks: StubTask[] = [],
  rules: VisibilityRules = { names: [], labels: [{ key: 'team', value: 'a' }], match: 'exact' },
) {
  const paths: string[] = [];
  const serviceBody = (s: StubService) => ({ ID: s.id, Spec: { Name: s.name, Labels: s.labels ?? {} } });
  const taskBody = (t: StubTask) => ({ ID: t.id, ServiceID: t.serviceId });
  const find = <T extends { id: string }>(all: T[], ref: string, name: (t: T) => string | undefined) => {
    const exact = all.filter((o) => o.id === ref || name(o) === ref);
    return exact.length > 0 ? exact : all.filter((o) => o.id.startsWith(ref));
  };
  const upstream = {
    display: 'stub',
    getJson: async (path: string) => {
      paths.push(path);
      const [pathname = '', query = ''] = path.split('?');
      const [, kind = '', raw] = pathname.split('/');
      const isTasks = kind === 'tasks';
      if (raw === undefined) {
        const filters = JSON.parse(new URLSearchParams(query).get('filters') ?? '{}');
        const prefix = Object.keys(filters.id ?? {})[0] ?? '';
        return isTasks
          ? { status: 200, body: tasks.filter((t) => t.id.startsWith(prefix)).map(taskBody) }
          : { status: 200, body: services.filter((s) => s.id.startsWith(prefix)).map(serviceBody) };
      }
      const ref = decodeURIComponent(raw);
      const word = isTasks ? 'task' : (SINGULAR[kind] ?? kind);
      const found = isTasks ? find(tasks, ref, () => undefined) : find(services, ref, (s) => s.name);
      if (found.length > 1) {
        return {
          status: 400,
          body: { message: `${word} ${ref} is ambiguous (${found.length} matches found)` },
        };
      }
      const [one] = found;
      if (!one) return { status: 404, body: { message: `${word} ${ref} not found` } };
      return { status: 200, body: isTasks ? taskBody(one as StubTask) : serviceBody(one as StubService) };
    },
  } as unknown as Upstream;
  const resolver = new ContainerResolver(
    new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
    buildVisibility(rules),
  );
  return { resolver, paths };
}
