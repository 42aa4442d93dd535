import type { Route } from '../routes/route.ts';
import type { RequestTarget } from '../routes/target.ts';
import { errors } from '../server/errors.ts';
import { asLabels, isObject } from './container-facts.ts';
import type { ContainerResolver } from './resolver.ts';

/** How the upstream's response must be treated on its way back. */
export type ResponseKind =
  | 'raw'
  | 'containerList'
  | 'containerInspect'
  | 'events'
  | 'networkList'
  | 'networkInspect'
  | 'systemDf'
  | 'conflict'
  | 'info'
  /** An error message may name containers (volume or image in use): hidden ids are cut out. */
  | 'errorIds';

/** The outcome of an allowed request; a refused one is a thrown DockerApiError. */
export interface Forward {
  /** The request target to send upstream: the canonical one, with container references replaced by full ids. */
  readonly path: string;
  readonly response: ResponseKind;
  /** A JSON body to send instead of the client's (already read and checked). */
  readonly body?: unknown;
  /** Runs when the upstream answered, e.g. to forget a renamed or removed container. */
  readonly after?: (status: number) => void;
}

export interface DecideInput {
  readonly method: string;
  readonly target: RequestTarget;
  readonly route: Route;
  /** The canonical raw request target (path and query) as the client sent it. */
  readonly raw: string;
  /** Reads the request body as JSON (bounded); only called for routes whose body names containers. */
  readonly readJsonBody: () => Promise<unknown>;
}

export interface DecideContext {
  readonly resolver: ContainerResolver;
}

/** Decides a request before anything is forwarded: default deny, and every container reference checked. */
export async function decide(input: DecideInput, ctx: DecideContext): Promise<Forward> {
  const { route, raw } = input;
  const { resolver } = ctx;
  switch (route.kind) {
    case 'plain':
      // Removing a volume, image or network that is in use answers with the ids of the users.
      return { path: raw, response: input.method === 'DELETE' ? 'errorIds' : 'raw' };
    case 'refused':
      throw errors.refused(route.reason);
    case 'containerList':
      await checkListFilters(input.target, resolver);
      return { path: raw, response: 'containerList' };
    // Forwarded as they are; the response is filtered by the transform of the same name.
    case 'events':
    case 'info':
    case 'systemDf':
    case 'networkList':
    case 'networkInspect':
      return { path: raw, response: route.kind };
    case 'container':
      return decideContainer(input, route, resolver);
    case 'exec': {
      const owner = await resolver.execContainer(route.id);
      if (!owner?.visible) throw errors.noSuchExec(route.id);
      return { path: raw, response: 'raw' };
    }
    case 'containerCreate':
      return decideCreate(input, resolver);
    case 'commit': {
      const ref = input.target.query.get('container') ?? '';
      const facts = await resolver.requireVisible(ref);
      const query = new URLSearchParams(input.target.query);
      query.set('container', facts.id);
      return { path: `${prefix(input.target)}/commit?${query}`, response: 'raw' };
    }
    case 'build': {
      const mode = input.target.query.get('networkmode') ?? '';
      if (mode.startsWith('container:'))
        throw errors.refused("building in another container's network is refused");
      return { path: raw, response: 'raw' };
    }
    case 'networkConnect': {
      const body = await input.readJsonBody();
      if (!isObject(body) || typeof body.Container !== 'string') {
        throw errors.badRequest(`network ${route.action} needs a JSON body with "Container"`);
      }
      const facts = await resolver.requireVisible(body.Container);
      return { path: raw, response: 'raw', body: { ...body, Container: facts.id } };
    }
  }
}

/**
 * `before` and `since` filters of the container list name a container: a hidden one must fail as a
 * missing one does, or the answer (error or not) would reveal that it exists.
 */
async function checkListFilters(target: RequestTarget, resolver: ContainerResolver): Promise<void> {
  const raw = target.query.get('filters');
  if (!raw) return;
  let filters: unknown;
  try {
    filters = JSON.parse(raw);
  } catch {
    throw errors.badRequest('filters is not valid JSON');
  }
  if (!isObject(filters)) throw errors.badRequest('filters must be a JSON object');
  for (const key of ['before', 'since']) {
    const value = filters[key];
    // Two forms exist: {"before":{"ref":true}} (current) and {"before":["ref"]} (legacy).
    const refs = Array.isArray(value) ? value : isObject(value) ? Object.keys(value) : [];
    for (const ref of refs) {
      if (typeof ref !== 'string') throw errors.badRequest(`filter ${key} must name containers`);
      await resolver.requireVisible(ref);
    }
  }
}

function prefix(target: RequestTarget): string {
  return target.version === null ? '' : `/v${target.version}`;
}

function withQuery(path: string, target: RequestTarget): string {
  return target.rawQuery ? `${path}?${target.rawQuery}` : path;
}

async function decideContainer(
  input: DecideInput,
  route: Extract<Route, { kind: 'container' }>,
  resolver: ContainerResolver,
): Promise<Forward> {
  const action = route.rest[0];
  // Inspect is judged on its own response: one upstream request, and never a stale decision.
  if (input.method === 'GET' && action === 'json') return { path: input.raw, response: 'containerInspect' };
  const facts = await resolver.requireVisible(route.ref);
  const rest = route.rest.map(encodeURIComponent).join('/');
  const path = withQuery(
    `${prefix(input.target)}/containers/${facts.id}${rest ? `/${rest}` : ''}`,
    input.target,
  );
  if (input.method === 'DELETE' && route.rest.length === 0) {
    return { path, response: 'raw', after: () => resolver.invalidate(facts.id) };
  }
  if (action === 'rename') return { path, response: 'conflict', after: () => resolver.invalidate(facts.id) };
  return { path, response: 'raw' };
}

const CONTAINER_MODE = /^container:(.+)$/;

/**
 * Container create may point at other containers (`--network container:x`, `--pid container:x`,
 * `--ipc container:x`, `--volumes-from x`, `--link x:alias`): each must be visible, and is pinned to its
 * full id. The new container itself must be visible, or the client could create what it cannot manage.
 */
async function decideCreate(input: DecideInput, resolver: ContainerResolver): Promise<Forward> {
  const body = await input.readJsonBody();
  if (!isObject(body)) throw errors.badRequest('container create needs a JSON object body');
  const name = input.target.query.get('name') ?? '';
  if (!resolver.isVisible({ name, labels: asLabels(body.Labels) })) {
    throw errors.refused(
      'the new container would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    );
  }
  const host = isObject(body.HostConfig) ? { ...body.HostConfig } : null;
  if (host) {
    for (const key of ['NetworkMode', 'PidMode', 'IpcMode'] as const) {
      const value = host[key];
      const m = typeof value === 'string' ? CONTAINER_MODE.exec(value) : null;
      if (m?.[1]) host[key] = `container:${(await resolver.requireVisible(m[1])).id}`;
    }
    if (Array.isArray(host.VolumesFrom)) {
      host.VolumesFrom = await Promise.all(
        host.VolumesFrom.map(async (entry: unknown) => {
          if (typeof entry !== 'string') throw errors.badRequest('HostConfig.VolumesFrom must hold strings');
          const [ref = '', ...mode] = entry.split(':');
          const id = (await resolver.requireVisible(ref)).id;
          return [id, ...mode].join(':');
        }),
      );
    }
    if (Array.isArray(host.Links)) {
      host.Links = await Promise.all(
        host.Links.map(async (entry: unknown) => {
          if (typeof entry !== 'string') throw errors.badRequest('HostConfig.Links must hold strings');
          const [ref = '', ...alias] = entry.split(':');
          // Links name containers by name; the check pins nothing, it only refuses hidden ones.
          await resolver.requireVisible(ref.replace(/^\//, ''));
          return [ref, ...alias].join(':');
        }),
      );
    }
  }
  return { path: input.raw, response: 'conflict', body: host ? { ...body, HostConfig: host } : body };
}
