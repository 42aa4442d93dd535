import { goToLower, goTrimSpace } from '../body/go-strings.ts';
import type { Route, SwarmKind } from './route.ts';
import type { RequestTarget } from './target.ts';

/** Returned when no route of the table matches: dockscope refuses what it does not understand. */
export const UNKNOWN = null;

type Params = readonly string[];
type Build = (params: Params, target: RequestTarget) => Route;
interface Rule {
  readonly methods: readonly string[];
  readonly pattern: RegExp;
  readonly build: Build;
}

const SEG = '([^/]+)';
// Image and plugin references may contain "/" (registry/repo:tag), exactly as the daemon's `{name:.*}`.
const ANY = '(.+)';

const plain =
  (family: string): Build =>
  () => ({ kind: 'plain', family });
const hostAccess =
  (rule: 'swarm' | 'plugins'): Build =>
  () => ({ kind: 'hostAccess', rule, family: rule });
const refused =
  (reason: string): Build =>
  () => ({ kind: 'refused', reason });

function rule(methods: string, path: string, build: Build): Rule {
  return { methods: methods.split('|'), pattern: new RegExp(`^${path}$`), build };
}

const CONTAINER_ACTIONS_GET = 'json|logs|top|stats|changes|export|archive|attach/ws|checkpoints';
const CONTAINER_ACTIONS_POST =
  'start|stop|restart|kill|pause|unpause|wait|resize|attach|exec|rename|update|checkpoints|copy';

/**
 * The route table, in the daemon's own matching order where it matters (`/containers/json` before
 * `/containers/{name}/json`). Each family's decision is documented in docs/routes.md.
 */
const RULES: readonly Rule[] = [
  rule('GET|HEAD', '/_ping', plain('system')),
  rule('GET', '/version', plain('system')),
  rule('GET', '/info', () => ({ kind: 'info' })),
  rule('POST', '/auth', plain('system')),
  rule('GET', '/events', () => ({ kind: 'events' })),
  rule('GET', '/system/df', () => ({ kind: 'systemDf' })),
  // The client's own BuildKit session (issue #25): an h2c upgrade, bound to the client that opened it.
  rule('POST', '/session', () => ({ kind: 'buildSession' })),
  // BuildKit's control API (buildx): Solve with any entitlement, frontend and exporter, unjudged.
  rule(
    'POST|GET',
    '/grpc',
    refused(
      "the gRPC endpoint is BuildKit's control API, which dockscope does not judge: build with DOCKER_BUILDKIT=1 docker build (its session builder) or the classic builder",
    ),
  ),

  rule('GET', '/containers/json', () => ({ kind: 'containerList' })),
  rule('POST', '/containers/create', () => ({ kind: 'containerCreate' })),
  rule('POST', '/containers/prune', () => ({ kind: 'prune', of: 'containers' })),
  rule('GET', `/containers/${SEG}/(${CONTAINER_ACTIONS_GET})`, containerRoute),
  rule('HEAD|PUT', `/containers/${SEG}/(archive)`, containerRoute),
  rule('POST', `/containers/${SEG}/(${CONTAINER_ACTIONS_POST})`, containerRoute),
  rule('DELETE', `/containers/${SEG}`, containerRoute),
  rule('DELETE', `/containers/${SEG}/(checkpoints)/${SEG}`, containerRoute),
  // The daemon routes DELETE /containers/{name:.*}: `web/db` is a link name, and removes the link with
  // ?link=1, or else the linked container itself (dockscope refuses that spelling of a removal).
  rule('DELETE', `/containers/${SEG}/${SEG}`, (p, target) =>
    goBool(target.query.get('link'))
      ? { kind: 'containerLink', parent: p[0] ?? '', alias: p[1] ?? '' }
      : {
          kind: 'refused',
          reason: "removing a container by a link name is refused: use the container's own name",
        },
  ),

  rule('POST', `/exec/${SEG}/(start|resize)`, execRoute),
  rule('GET', `/exec/${SEG}/(json)`, execRoute),

  rule('GET', '/images/json', () => ({ kind: 'imageList' })),
  rule('GET', '/images/search', plain('images')),
  rule('GET', '/images/get', () => ({ kind: 'imageExport', name: null })),
  rule('POST', '/images/create', () => ({ kind: 'imageCreate' })),
  rule('POST', '/images/load', () => ({ kind: 'imageLoad' })),
  rule('POST', '/images/prune', () => ({ kind: 'prune', of: 'images' })),
  rule('GET', `/images/${ANY}/json`, (p) => ({ kind: 'imageInspect', name: p[0] ?? '' })),
  rule('GET', `/images/${ANY}/history`, (p) => ({ kind: 'imageHistory', name: p[0] ?? '' })),
  rule('GET', `/images/${ANY}/get`, (p) => ({ kind: 'imageExport', name: p[0] ?? '' })),
  rule('POST', `/images/${ANY}/push`, (p) => ({ kind: 'imagePush', name: p[0] ?? '' })),
  rule('POST', `/images/${ANY}/tag`, (p) => ({ kind: 'imageTag', name: p[0] ?? '' })),
  rule('DELETE', `/images/${ANY}`, (p) => ({ kind: 'imageDelete', name: p[0] ?? '' })),
  rule('GET', `/distribution/${ANY}/json`, plain('images')),
  rule('POST', '/commit', () => ({ kind: 'commit' })),
  rule('POST', '/build', () => ({ kind: 'build' })),
  rule('POST', '/build/prune', () => ({ kind: 'prune', of: 'build' })),
  rule('POST', '/build/cancel', () => ({ kind: 'buildCancel' })),

  rule('GET', '/networks', () => ({ kind: 'networkList' })),
  rule('POST', '/networks/create', () => ({ kind: 'networkCreate' })),
  rule('POST', '/networks/prune', () => ({ kind: 'prune', of: 'networks' })),
  rule('GET', `/networks/${SEG}`, (p) => ({ kind: 'networkInspect', id: p[0] ?? '' })),
  rule('POST', `/networks/${SEG}/(connect|disconnect)`, (p) => ({
    kind: 'networkConnect',
    id: p[0] ?? '',
    action: p[1] === 'connect' ? 'connect' : 'disconnect',
  })),
  rule('DELETE', `/networks/${SEG}`, (p) => ({ kind: 'networkDelete', id: p[0] ?? '' })),

  rule('GET', '/volumes', () => ({ kind: 'volumeList' })),
  rule('POST', '/volumes/create', () => ({ kind: 'volumeCreate' })),
  rule('POST', '/volumes/prune', () => ({ kind: 'prune', of: 'volumes' })),
  rule('GET|DELETE', `/volumes/${ANY}`, (p) => ({ kind: 'volume', name: p[0] ?? '' })),
  // Updates a cluster volume (swarm).
  rule('PUT', `/volumes/${ANY}`, hostAccess('swarm')),

  rule('GET', '/plugins', plain('plugins')),
  rule('GET', '/plugins/privileges', plain('plugins')),
  rule('POST', '/plugins/(pull|create)', hostAccess('plugins')),
  rule('GET', `/plugins/${ANY}/json`, plain('plugins')),
  rule('POST', `/plugins/${ANY}/(enable|upgrade|set)`, hostAccess('plugins')),
  rule('POST', `/plugins/${ANY}/(disable|push)`, plain('plugins')),
  rule('DELETE', `/plugins/${ANY}`, plain('plugins')),

  // Swarm (issue #24): services, secrets and configs are scoped by their name and labels as
  // containers are; a task follows its service. Services create and update run containers, so they
  // also need the `swarm` create rule.
  rule('GET', '/tasks', () => ({ kind: 'taskList' })),
  rule('GET', `/tasks/${SEG}`, (p) => ({ kind: 'task', ref: p[0] ?? '', action: 'inspect' })),
  rule('GET', `/tasks/${SEG}/logs`, (p) => ({ kind: 'task', ref: p[0] ?? '', action: 'logs' })),
  rule('GET', `/services/${SEG}/logs`, (p) => swarmObject('services', p[0], 'logs')),
  // Making or joining a swarm lets its managers run services on this host; the swarm's join tokens
  // (GET /swarm) and unlock key let a client join its own node as a manager.
  rule('GET', '/swarm', hostAccess('swarm')),
  rule('POST', '/swarm/(init|join|leave|update|unlock)', hostAccess('swarm')),
  rule('GET', '/swarm/unlockkey', hostAccess('swarm')),
  rule('GET', '/nodes', plain('swarm')),
  rule('GET', '/(services|secrets|configs)', (p) => ({ kind: 'swarmList', of: swarmKind(p[0]) })),
  rule('POST', '/services/create', () => ({ kind: 'serviceCreate' })),
  rule('POST', '/(secrets|configs)/create', (p) => ({
    kind: 'swarmObjectCreate',
    of: p[0] === 'configs' ? 'configs' : 'secrets',
  })),
  rule('GET|DELETE', `/nodes/${SEG}`, plain('swarm')),
  rule('GET', `/(services|secrets|configs)/${SEG}`, (p) => swarmObject(swarmKind(p[0]), p[1], 'inspect')),
  rule('DELETE', `/(services|secrets|configs)/${SEG}`, (p) => swarmObject(swarmKind(p[0]), p[1], 'delete')),
  rule('POST', `/(services|secrets|configs)/${SEG}/update`, (p) =>
    swarmObject(swarmKind(p[0]), p[1], 'update'),
  ),
  rule('POST', `/nodes/${SEG}/update`, hostAccess('swarm')),
];

function swarmKind(word: string | undefined): SwarmKind {
  return word === 'secrets' ? 'secrets' : word === 'configs' ? 'configs' : 'services';
}

function swarmObject(
  of: SwarmKind,
  ref: string | undefined,
  action: Extract<Route, { kind: 'swarmObject' }>['action'],
): Route {
  return { kind: 'swarmObject', of, ref: ref ?? '', action };
}

function containerRoute(params: Params): Route {
  const [ref = '', ...rest] = params;
  return { kind: 'container', ref, rest: rest.filter((p): p is string => p !== undefined) };
}

function execRoute(params: Params): Route {
  const action = params[1] === 'start' ? 'start' : params[1] === 'resize' ? 'resize' : 'json';
  return { kind: 'exec', id: params[0] ?? '', action };
}

const FALSE_VALUES: ReadonlySet<string> = new Set(['', '0', 'no', 'false', 'none']);

/**
 * httputils.BoolValue: any value but empty, 0, no, false and none is true, after Go's TrimSpace and
 * ToLower. JavaScript's trim() strips U+FEFF, which Go keeps, and keeps U+0085, which Go strips:
 * `logs=<BOM>0` is true to the daemon (review of #19).
 */
export function goBool(value: string | null): boolean {
  if (value === null) return false;
  return !FALSE_VALUES.has(goToLower(goTrimSpace(value)));
}

/** Classifies a request; null means no route of the table matches and the request must be refused. */
export function classify(method: string, target: RequestTarget): Route | null {
  for (const r of RULES) {
    const match = r.pattern.exec(target.path);
    if (!match) continue;
    if (!r.methods.includes(method)) continue;
    return r.build(
      match.slice(1).filter((p): p is string => p !== undefined),
      target,
    );
  }
  return UNKNOWN;
}
