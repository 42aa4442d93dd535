import { pino } from 'pino';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

/** One object of any kind as the daemon answers its inspect (`GET /<kind>/<ref>[/json]`). */
export interface StubObject {
  readonly kind: 'containers' | 'volumes' | 'networks' | 'images' | 'services' | 'secrets' | 'configs';
  readonly id: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
}

/** The inspect body the daemon gives for an object of each kind (only the fields dockscope reads). */
function bodyOf(o: StubObject): unknown {
  const labels = o.labels ?? {};
  switch (o.kind) {
    case 'containers':
      return { Id: o.id, Name: `/${o.name}`, Config: { Labels: labels } };
    case 'volumes':
      return { Name: o.name, Driver: 'local', Labels: labels };
    case 'networks':
      return { Id: o.id, Name: o.name, Driver: 'bridge', Labels: labels };
    case 'images':
      return { Id: o.id, RepoTags: [`${o.name}:latest`], Config: { Labels: labels } };
    default:
      return { ID: o.id, Spec: { Name: o.name, Labels: labels } };
  }
}

/**
 * A resolver whose upstream knows a fixed set of objects of every kind, found by id or name (an id
 * prefix too, for the kinds that take one), answering a missing one with a 404. Every path asked is
 * recorded. For unit tests of ownership scopes: the end-to-end suites use the real daemon.
 */
export function stubObjects(objects: readonly StubObject[], rules: VisibilityRules | 'all' = 'all') {
  const paths: string[] = [];
  const upstream = {
    display: 'stub',
    getJson: async (path: string) => {
      if (path === '/version') return { status: 200, body: { ApiVersion: '1.47' } };
      paths.push(path);
      const [pathname = ''] = path.split('?');
      const [, kind = '', raw = ''] = pathname.split('/');
      const ref = decodeURIComponent(raw);
      const found = objects.find(
        (o) =>
          o.kind === kind &&
          (o.id === ref || o.name === ref || (kind !== 'volumes' && ref !== '' && o.id.startsWith(ref))),
      );
      return found
        ? { status: 200, body: bodyOf(found) }
        : { status: 404, body: { message: `no such ${kind}: ${ref}` } };
    },
  } as unknown as Upstream;
  const resolver = new ContainerResolver(
    new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
    buildVisibility(rules),
  );
  return { resolver, paths };
}
