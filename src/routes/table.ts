import type { Build, GroupName, LaneClass, RouteMatch, RouteRow } from './compile-table.ts';
import { compileTable } from './compile-table.ts';
import { goBool } from './go-bool.ts';
import type { Route, SwarmKind } from './route.ts';
import type { RequestTarget } from './target.ts';

/**
 * The route table: every Engine API route dockscope knows, one row each, in the daemon's matching
 * order where it matters. A route not in it is refused (403). docs/routes.md's route table and
 * permission groups are generated from it (`npm run docs:routes`).
 */

const constant =
  (route: Route): Build =>
  () =>
    route;
const plain = (family: string): Build => constant({ kind: 'plain', family });
const hostAccess = (rule: 'swarm' | 'plugins'): Build => constant({ kind: 'hostAccess', rule, family: rule });
const refused = (reason: string): Build => constant({ kind: 'refused', reason });
const container =
  (action?: string): Build =>
  ([ref = '', ...more]) => ({ kind: 'container', ref, rest: action === undefined ? [] : [action, ...more] });
const exec =
  (action: 'start' | 'resize' | 'json'): Build =>
  ([id = '']) => ({ kind: 'exec', id, action });
const named =
  <K extends 'imageInspect' | 'imageHistory' | 'imageExport' | 'imagePush' | 'imageTag' | 'imageDelete'>(
    kind: K,
  ): Build =>
  ([name = '']) =>
    ({ kind, name }) as Route;
const swarmObject =
  (of: SwarmKind, action: Extract<Route, { kind: 'swarmObject' }>['action']): Build =>
  ([ref = '']) => ({ kind: 'swarmObject', of, ref, action });
const task =
  (action: 'inspect' | 'logs'): Build =>
  ([ref = '']) => ({ kind: 'task', ref, action });

/**
 * The daemon routes DELETE /containers/{name:.*}: `web/db` is a link name, and removes the link with
 * ?link=1, or else the linked container itself (dockscope refuses that spelling of a removal).
 */
const linkRemoval: Build = ([parent = '', alias = ''], target: RequestTarget) =>
  goBool(target.query.get('link'))
    ? { kind: 'containerLink', parent, alias }
    : {
        kind: 'refused',
        reason: "removing a container by a link name is refused: use the container's own name",
      };

const RO: GroupName = 'read-only';

function row(
  method: string,
  path: string,
  build: Build,
  lane: LaneClass = 'short',
  groups: readonly GroupName[] = [],
): RouteRow {
  return { method, path, build, lane, groups };
}

const SWARM_KINDS: readonly SwarmKind[] = ['services', 'secrets', 'configs'];

export const ROUTES: readonly RouteRow[] = [
  row('GET', '/_ping', plain('system'), 'short', ['ping', RO, 'system']),
  row('HEAD', '/_ping', plain('system'), 'short', ['ping', RO, 'system']),
  row('GET', '/version', plain('system'), 'short', ['ping', RO, 'system']),
  row('GET', '/info', constant({ kind: 'info' }), 'short', [RO, 'system']),
  row('POST', '/auth', plain('system'), 'short', ['images']),
  row('GET', '/events', constant({ kind: 'events' }), 'stream', ['events', 'system']),
  row('GET', '/system/df', constant({ kind: 'systemDf' }), 'slow', [RO, 'system']),
  // The client's own BuildKit session (issue #25): an h2c upgrade, bound to the client that opened it.
  row('POST', '/session', constant({ kind: 'buildSession' }), 'short', ['images']),
  // BuildKit's control API (buildx): Solve with any entitlement, frontend and exporter, unjudged.
  ...['POST', 'GET'].map((m) =>
    row(
      m,
      '/grpc',
      refused(
        "the gRPC endpoint is BuildKit's control API, which dockscope does not judge: build with DOCKER_BUILDKIT=1 docker build (its session builder) or the classic builder",
      ),
    ),
  ),

  row('GET', '/containers/json', constant({ kind: 'containerList' }), 'short', [RO]),
  row('POST', '/containers/create', constant({ kind: 'containerCreate' }), 'short', ['create']),
  row('POST', '/containers/prune', constant({ kind: 'prune', of: 'containers' }), 'slow'),
  row('GET', '/containers/{id}/json', container('json'), 'short', [RO]),
  row('GET', '/containers/{id}/logs', container('logs'), 'follow', ['logs']),
  row('GET', '/containers/{id}/top', container('top'), 'short', [RO]),
  row('GET', '/containers/{id}/stats', container('stats'), 'stats', [RO]),
  row('GET', '/containers/{id}/changes', container('changes'), 'short', [RO]),
  row('GET', '/containers/{id}/export', container('export'), 'slow', ['files']),
  row('GET', '/containers/{id}/archive', container('archive'), 'slow', ['files']),
  row('GET', '/containers/{id}/attach/ws', container('attach/ws'), 'stream', ['exec']),
  row('GET', '/containers/{id}/checkpoints', container('checkpoints'), 'slow'),
  row('HEAD', '/containers/{id}/archive', container('archive'), 'slow', ['files']),
  row('PUT', '/containers/{id}/archive', container('archive'), 'slow', ['files']),
  row('POST', '/containers/{id}/start', container('start'), 'short', ['lifecycle']),
  row('POST', '/containers/{id}/stop', container('stop'), 'stop', ['lifecycle']),
  row('POST', '/containers/{id}/restart', container('restart'), 'stop', ['lifecycle']),
  row('POST', '/containers/{id}/kill', container('kill'), 'short', ['lifecycle']),
  row('POST', '/containers/{id}/pause', container('pause'), 'short', ['lifecycle']),
  row('POST', '/containers/{id}/unpause', container('unpause'), 'short', ['lifecycle']),
  row('POST', '/containers/{id}/wait', container('wait'), 'stream', ['lifecycle']),
  row('POST', '/containers/{id}/resize', container('resize'), 'short', ['exec']),
  row('POST', '/containers/{id}/attach', container('attach'), 'stream', ['exec']),
  row('POST', '/containers/{id}/exec', container('exec'), 'short', ['exec']),
  row('POST', '/containers/{id}/rename', container('rename'), 'short', ['lifecycle']),
  row('POST', '/containers/{id}/update', container('update'), 'slow', ['lifecycle']),
  row('POST', '/containers/{id}/checkpoints', container('checkpoints'), 'slow'),
  row('POST', '/containers/{id}/copy', container('copy')),
  row('DELETE', '/containers/{id}', container(), 'slow', ['delete']),
  row('DELETE', '/containers/{id}/checkpoints/{name}', container('checkpoints'), 'slow'),
  {
    ...row('DELETE', '/containers/{id}/{alias}', linkRemoval, 'short', ['delete']),
    note: '`containerLink` with `link=1`, else `refused`',
  },

  row('POST', '/exec/{id}/start', exec('start'), 'stream', ['exec']),
  row('POST', '/exec/{id}/resize', exec('resize'), 'short', ['exec']),
  row('GET', '/exec/{id}/json', exec('json'), 'short', ['exec']),

  row('GET', '/images/json', constant({ kind: 'imageList' }), 'short', [RO, 'images']),
  row('GET', '/images/search', plain('images'), 'short', ['images']),
  row('GET', '/images/get', constant({ kind: 'imageExport', name: null }), 'slow', ['images']),
  row('POST', '/images/create', constant({ kind: 'imageCreate' }), 'slow', ['images']),
  row('POST', '/images/load', constant({ kind: 'imageLoad' }), 'slow', ['images']),
  row('POST', '/images/prune', constant({ kind: 'prune', of: 'images' }), 'slow', ['images']),
  row('GET', '/images/**/json', named('imageInspect'), 'short', [RO, 'images']),
  row('GET', '/images/**/history', named('imageHistory'), 'short', [RO, 'images']),
  row('GET', '/images/**/get', named('imageExport'), 'slow', ['images']),
  row('POST', '/images/**/push', named('imagePush'), 'slow', ['images']),
  row('POST', '/images/**/tag', named('imageTag'), 'short', ['images']),
  row('DELETE', '/images/**', named('imageDelete'), 'slow', ['images']),
  row('GET', '/distribution/**/json', plain('images'), 'short', ['images']),
  row('POST', '/commit', constant({ kind: 'commit' }), 'slow', ['images']),
  row('POST', '/build', constant({ kind: 'build' }), 'slow', ['images']),
  row('POST', '/build/prune', constant({ kind: 'prune', of: 'build' }), 'slow', ['images']),
  row('POST', '/build/cancel', constant({ kind: 'buildCancel' }), 'short', ['images']),

  row('GET', '/networks', constant({ kind: 'networkList' }), 'short', [RO, 'networks']),
  row('POST', '/networks/create', constant({ kind: 'networkCreate' }), 'short', ['networks']),
  row('POST', '/networks/prune', constant({ kind: 'prune', of: 'networks' }), 'slow', ['networks']),
  row('GET', '/networks/{id}', ([id = '']) => ({ kind: 'networkInspect', id }), 'short', [RO, 'networks']),
  ...(['connect', 'disconnect'] as const).map((action) =>
    row(
      'POST',
      `/networks/{id}/${action}`,
      ([id = '']) => ({ kind: 'networkConnect', id, action }),
      'short',
      ['networks'],
    ),
  ),
  row('DELETE', '/networks/{id}', ([id = '']) => ({ kind: 'networkDelete', id }), 'short', ['networks']),

  row('GET', '/volumes', constant({ kind: 'volumeList' }), 'short', [RO, 'volumes']),
  row('POST', '/volumes/create', constant({ kind: 'volumeCreate' }), 'short', ['volumes']),
  row('POST', '/volumes/prune', constant({ kind: 'prune', of: 'volumes' }), 'slow', ['volumes']),
  row('GET', '/volumes/{name+}', ([name = '']) => ({ kind: 'volume', name }), 'short', [RO, 'volumes']),
  row('DELETE', '/volumes/{name+}', ([name = '']) => ({ kind: 'volume', name }), 'short', ['volumes']),
  // Updates a cluster volume (swarm).
  row('PUT', '/volumes/{name+}', hostAccess('swarm'), 'short', ['volumes']),

  row('GET', '/plugins', plain('plugins'), 'short', ['plugins']),
  row('GET', '/plugins/privileges', plain('plugins'), 'short', ['plugins']),
  row('POST', '/plugins/pull', hostAccess('plugins'), 'slow', ['plugins']),
  row('POST', '/plugins/create', hostAccess('plugins'), 'slow', ['plugins']),
  row('GET', '/plugins/**/json', plain('plugins'), 'short', ['plugins']),
  row('POST', '/plugins/**/enable', hostAccess('plugins'), 'short', ['plugins']),
  row('POST', '/plugins/**/upgrade', hostAccess('plugins'), 'slow', ['plugins']),
  row('POST', '/plugins/**/set', hostAccess('plugins'), 'short', ['plugins']),
  row('POST', '/plugins/**/disable', plain('plugins'), 'short', ['plugins']),
  row('POST', '/plugins/**/push', plain('plugins'), 'slow', ['plugins']),
  row('DELETE', '/plugins/**', plain('plugins'), 'short', ['plugins']),

  // Swarm (issue #24): services, secrets and configs are scoped by their name and labels as
  // containers are; a task follows its service. Services create and update run containers, so they
  // also need the `swarm` create rule.
  row('GET', '/tasks', constant({ kind: 'taskList' }), 'short', ['swarm']),
  row('GET', '/tasks/{id}', task('inspect'), 'short', ['swarm']),
  row('GET', '/tasks/{id}/logs', task('logs'), 'follow', ['swarm']),
  row('GET', '/services/{id}/logs', swarmObject('services', 'logs'), 'follow', ['swarm']),
  // Making or joining a swarm lets its managers run services on this host; the swarm's join tokens
  // (GET /swarm) and unlock key let a client join its own node as a manager.
  row('GET', '/swarm', hostAccess('swarm'), 'short', ['swarm']),
  row('POST', '/swarm/init', hostAccess('swarm'), 'slow', ['swarm']),
  row('POST', '/swarm/join', hostAccess('swarm'), 'slow', ['swarm']),
  row('POST', '/swarm/leave', hostAccess('swarm'), 'slow', ['swarm']),
  row('POST', '/swarm/update', hostAccess('swarm'), 'short', ['swarm']),
  row('POST', '/swarm/unlock', hostAccess('swarm'), 'short', ['swarm']),
  row('GET', '/swarm/unlockkey', hostAccess('swarm')),
  row('GET', '/nodes', plain('swarm'), 'short', ['swarm']),
  ...SWARM_KINDS.map((of) => row('GET', `/${of}`, constant({ kind: 'swarmList', of }), 'short', ['swarm'])),
  row('POST', '/services/create', constant({ kind: 'serviceCreate' }), 'short', ['swarm']),
  row('POST', '/secrets/create', () => ({ kind: 'swarmObjectCreate', of: 'secrets' }), 'short', ['swarm']),
  row('POST', '/configs/create', () => ({ kind: 'swarmObjectCreate', of: 'configs' }), 'short', ['swarm']),
  row('GET', '/nodes/{id}', plain('swarm'), 'short', ['swarm']),
  row('DELETE', '/nodes/{id}', plain('swarm'), 'short', ['swarm']),
  ...SWARM_KINDS.flatMap((of) => [
    row('GET', `/${of}/{id}`, swarmObject(of, 'inspect'), 'short', ['swarm']),
    row('DELETE', `/${of}/{id}`, swarmObject(of, 'delete'), 'short', ['swarm']),
    row('POST', `/${of}/{id}/update`, swarmObject(of, 'update'), 'short', ['swarm']),
  ]),
  row('POST', '/nodes/{id}/update', hostAccess('swarm'), 'short', ['swarm']),
];

export const TABLE = compileTable(ROUTES);

/** The route of a request: its Route, template and lane class, the path matched once. */
export const match: (method: string, target: RequestTarget) => RouteMatch | null = TABLE.match;

/** The permission groups, each the templates of the rows that name it. */
export const PERMISSION_GROUPS = TABLE.groups;

/** The typed Route of a request, or null: no row matches and the request must be refused. */
export function classify(method: string, target: RequestTarget): Route | null {
  return match(method, target)?.route ?? null;
}
