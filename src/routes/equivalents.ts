import { goBool } from './go-bool.ts';

/**
 * Routes that give what another route gives (issue #19): a client's lists name routes, and a route it
 * may not use must not be reachable by another spelling of the same data. `POST
 * /containers/{id}/attach?logs=1` answers the container's log history, as `GET .../logs` does; `GET
 * .../export` and `GET .../archive?path=/` are the same files. The lists check (templates.ts) judges a
 * request by itself and by its relations here.
 */

/** A route as the lists see it: the method and the path without the version prefix. */
export type RouteRef = readonly [method: string, path: string];

interface Related {
  /** Another route's own answer, given by this request: that route must pass the lists too. */
  readonly yields: readonly RouteRef[];
  /** Routes whose data (or effect) this request also gives: a deny entry of one refuses this request. */
  readonly covers: readonly RouteRef[];
}

/** What a request's query is read through (target.ts's URLSearchParams). */
export interface QueryView {
  get(name: string): string | null;
  getAll(name: string): string[];
}

/** A request target whose query is parsed only when read (target.ts makes it on first use). */
export interface WithQuery {
  readonly query: QueryView;
}

const NONE: Related = Object.freeze({ yields: [], covers: [] });

/**
 * A segment that stands for "any object of that kind" where a request acts on objects it does not
 * name (prunes): `{id}`, `*` and `**` match it, and no exact name can be it.
 */
export const ANY_OBJECT = '<any>';

const CONTAINER = /^\/containers\/([^/]+)\/(attach|attach\/ws|export|archive|restart|stop)$/;
const IMAGE_PUSH = /^\/images\/(.+)\/push$/;
const IMAGE_GET = /^\/images\/(.+)\/get$/;
const SWARM_LOGS = /^\/(services|tasks)\/[^/]+\/logs$/;

/**
 * The relations of one request. Symmetric pairs (attach and its WebSocket form, export and archive, the
 * two spellings of `docker save`) cover each other; a whole covers its parts (`system df` gives the
 * three lists; `restart` stops and starts; a prune removes; a commit gives the container's files; a
 * forced removal kills). Relations are followed transitively by the lists check.
 */
export function relatedRoutes(method: string, path: string, target: WithQuery | null): Related {
  const container = CONTAINER.exec(path);
  if (container) {
    const id = container[1] ?? '';
    const base = `/containers/${id}`;
    switch (container[2]) {
      case 'attach':
      case 'attach/ws': {
        if (
          !(
            (method === 'POST' && container[2] === 'attach') ||
            (method === 'GET' && container[2] === 'attach/ws')
          )
        )
          return NONE;
        const twin: RouteRef = method === 'POST' ? ['GET', `${base}/attach/ws`] : ['POST', `${base}/attach`];
        return {
          yields: goBool(target?.query.get('logs') ?? null) ? [['GET', `${base}/logs`]] : [],
          covers: [twin],
        };
      }
      case 'export':
        return method === 'GET' ? { yields: [], covers: [['GET', `${base}/archive`]] } : NONE;
      case 'archive':
        return method === 'GET'
          ? {
              yields: [],
              covers: [
                ['GET', `${base}/export`],
                ['HEAD', `${base}/archive`],
              ],
            }
          : NONE;
      // `stop` ends with SIGKILL after its timeout (`t=0`: at once): it kills as `kill` does.
      case 'stop':
        return method === 'POST' ? { yields: [], covers: [['POST', `${base}/kill`]] } : NONE;
      case 'restart':
        return method === 'POST'
          ? {
              yields: [],
              covers: [
                ['POST', `${base}/stop`],
                ['POST', `${base}/start`],
              ],
            }
          : NONE;
    }
    return NONE;
  }
  if (method === 'GET') {
    if (path === '/system/df') {
      return {
        yields: [],
        covers: [
          ['GET', '/containers/json'],
          ['GET', '/images/json'],
          ['GET', '/volumes'],
        ],
      };
    }
    if (path === '/images/get') {
      const names = target?.query.getAll('names') ?? [];
      return { yields: [], covers: names.map((name): RouteRef => ['GET', `/images/${name}/get`]) };
    }
    // A service's or task's logs are its containers' logs (issue #24): a deny of those refuses them.
    if (SWARM_LOGS.test(path)) return { yields: [], covers: [['GET', `/containers/${ANY_OBJECT}/logs`]] };
    const image = IMAGE_GET.exec(path);
    if (image) return { yields: [], covers: [['GET', '/images/get']] };
    return NONE;
  }
  if (method === 'POST') return postRelations(path, target);
  if (method === 'DELETE') {
    const removed = /^\/containers\/([^/]+)$/.exec(path);
    if (!removed) return NONE;
    const covers: RouteRef[] = [];
    // A forced removal kills a running container; `v=1` removes its anonymous volumes.
    if (goBool(target?.query.get('force') ?? null)) covers.push(['POST', `/containers/${removed[1]}/kill`]);
    if (goBool(target?.query.get('v') ?? null)) covers.push(['DELETE', `/volumes/${ANY_OBJECT}`]);
    return covers.length > 0 ? { yields: [], covers } : NONE;
  }
  return NONE;
}

/** A tag a request moves: the image it names under `name` (with `tag`), as `docker tag` would move it. */
function tagged(name: string | null | undefined): RouteRef[] {
  if (!name) return [];
  const repo = name.replace(/:[^/:]*$/, '');
  return repo === '' ? [] : [['POST', `/images/${repo}/tag`]];
}

/**
 * POST routes that also give another's effect: prunes remove, a commit gives the container's files,
 * and every route that names an image tag moves it as `docker tag` does (a pull or import into a name,
 * a commit or build tagged, a load of a tarball's tags); a push gives the image as `docker save` does.
 */
function postRelations(path: string, target: WithQuery | null): Related {
  const query = target?.query;
  switch (path) {
    case '/containers/prune':
      return { yields: [], covers: [['DELETE', `/containers/${ANY_OBJECT}`]] };
    case '/volumes/prune':
      return { yields: [], covers: [['DELETE', `/volumes/${ANY_OBJECT}`]] };
    case '/networks/prune':
      return { yields: [], covers: [['DELETE', `/networks/${ANY_OBJECT}`]] };
    case '/images/prune':
      return { yields: [], covers: [['DELETE', `/images/${ANY_OBJECT}`]] };
    case '/images/load':
      return { yields: [], covers: [['POST', `/images/${ANY_OBJECT}/tag`]] };
    // A BuildKit session serves builds (its context, secrets, ssh agent): only to a client that may build.
    case '/session':
      return { yields: [['POST', '/build']], covers: [] };
    case '/images/create': {
      const name = query?.get('fromImage') || query?.get('repo');
      const covers = tagged(name);
      return covers.length > 0 ? { yields: [], covers } : NONE;
    }
    case '/build': {
      const covers = (query?.getAll('t') ?? []).flatMap(tagged);
      return covers.length > 0 ? { yields: [], covers } : NONE;
    }
    case '/commit': {
      const id = query?.get('container') ?? '';
      const covers: RouteRef[] = id === '' || id.includes('/') ? [] : [['GET', `/containers/${id}/export`]];
      covers.push(...tagged(query?.get('repo')));
      return covers.length > 0 ? { yields: [], covers } : NONE;
    }
  }
  const push = IMAGE_PUSH.exec(path);
  if (push) return { yields: [], covers: [['GET', `/images/${push[1]}/get`]] };
  return NONE;
}
