import { LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { SERVICE_SPEC } from '../body/service-types.ts';
import { errors } from '../errors.ts';
import type { Route, SwarmKind } from '../routes/route.ts';
import { asLabels, isObject } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import { checkHostNamespace, createRuleRefusal } from './create-rules.ts';
import type { DecideContext, DecideInput, Forward } from './decide.ts';
import { prefix } from './decide.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { filterValues } from './ownership.ts';
import { asMissing } from './references.ts';
import type { ContainerResolver } from './resolver.ts';
import { checkServiceSpec, serviceReferences } from './service-rules.ts';
import type { SwarmIdentity } from './swarm-lookups.ts';
import {
  lookupSwarmObject,
  lookupTask,
  SINGULAR,
  swarmObjectsByPrefix,
  tasksByPrefix,
} from './swarm-lookups.ts';

type SwarmObjectRoute = Extract<Route, { kind: 'swarmObject' }>;
type TaskRoute = Extract<Route, { kind: 'task' }>;

const SUFFIX: Readonly<Record<SwarmObjectRoute['action'], string>> = {
  inspect: '',
  delete: '',
  logs: '/logs',
  update: '/update',
};

function withQuery(path: string, input: DecideInput): string {
  return input.target.rawQuery ? `${path}?${input.target.rawQuery}` : path;
}

/**
 * A reference resolved among the objects this client may see, in the daemon's order (full id, name, id
 * prefix): the full id of a visible one, or null for a hidden or missing one. An id prefix several
 * objects share is resolved among the visible ones only, so that the daemon's "ambiguous (n matches)"
 * never counts hidden ones.
 */
async function visibleObjectId(
  resolver: ContainerResolver,
  of: SwarmKind,
  ref: string,
): Promise<string | null> {
  const found = await lookupSwarmObject(resolver.directory, of, ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return resolver.isVisible(found) ? found.id : null;
  const visible = (await swarmObjectsByPrefix(resolver.directory, of, ref)).filter((o) =>
    resolver.isVisible(o),
  );
  if (visible.length > 1)
    throw errors.asDaemon({ kind: 'ambiguous', what: SINGULAR[of], ref, count: visible.length });
  return visible[0]?.id ?? null;
}

/** Whether the service of a task is one the client may see (a task whose service is gone is not). */
async function serviceVisible(resolver: ContainerResolver, serviceId: string): Promise<boolean> {
  if (serviceId === '') return false;
  const service = await lookupSwarmObject(resolver.directory, 'services', serviceId);
  return service !== null && !('ambiguous' in service) && resolver.isVisible(service);
}

async function visibleTaskId(resolver: ContainerResolver, ref: string): Promise<string | null> {
  const found = await lookupTask(resolver.directory, ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return (await serviceVisible(resolver, found.serviceId)) ? found.id : null;
  const visible: string[] = [];
  for (const task of await tasksByPrefix(resolver.directory, ref)) {
    if (await serviceVisible(resolver, task.serviceId)) visible.push(task.id);
  }
  if (visible.length > 1)
    throw errors.asDaemon({ kind: 'ambiguous', what: 'task', ref, count: visible.length });
  return visible[0] ?? null;
}

/**
 * A route naming one service, secret or config: visible ones go on pinned to the full id that was
 * judged; hidden and missing ones go on with a sentinel, for the daemon's own "not found" answer.
 * An inspect is judged once more on its answer (labels can change between the look-up and it).
 */
export async function decideSwarmObject(
  input: DecideInput,
  route: SwarmObjectRoute,
  ctx: DecideContext,
): Promise<Forward> {
  const { resolver, create } = ctx;
  // Judged before the look-up, so that a hidden and a visible service are refused alike.
  const body =
    route.of === 'services' && route.action === 'update' && create
      ? await judgedServiceSpec(input, ctx, create)
      : undefined;
  const pathFor = (ref: string) =>
    withQuery(`${prefix(input.target)}/${route.of}/${encodeURIComponent(ref)}${SUFFIX[route.action]}`, input);
  const missing = missingRef(route.ref);
  const ifHidden = { path: pathFor(missing.sentinel), ref: missing };
  if (resolver.seesAll) {
    return route.action === 'inspect'
      ? { path: input.raw, response: 'swarmInspect', ifHidden }
      : { path: input.raw, response: 'raw' };
  }
  const id = await visibleObjectId(resolver, route.of, route.ref);
  if (id === null) return asMissing(ifHidden.path, [missing], body);
  if (route.action === 'inspect') return { path: pathFor(id), response: 'swarmInspect', ifHidden };
  return body === undefined
    ? { path: pathFor(id), response: 'raw' }
    : { path: pathFor(id), response: 'raw', body };
}

/**
 * A service create. Without create rules (a client that sees everything, or rules turned off) it goes
 * on as sent; with them it needs `swarm`, and its spec is judged as a container create would be.
 */
export async function decideServiceCreate(input: DecideInput, ctx: DecideContext): Promise<Forward> {
  if (!ctx.create) return { path: input.raw, response: 'raw' };
  return { path: input.raw, response: 'raw', body: await judgedServiceSpec(input, ctx, ctx.create) };
}

/**
 * The service spec of a create or update, decoded as the daemon decodes it and judged under the
 * create rules (service-rules.ts): the canonical body to forward. The host network (by name, or a
 * network whose driver is `host`), and secrets and configs the client may not see (hidden and missing
 * alike) are refused; so is a service that would not be visible to the client that makes it.
 */
async function judgedServiceSpec(
  input: DecideInput,
  ctx: DecideContext,
  create: CreateRules,
): Promise<string> {
  if (!create.swarm) {
    throw createRuleRefusal(
      'swarm',
      `${input.method} ${input.target.path}`,
      'swarm services run containers that no create rule judges',
    );
  }
  const { resolver } = ctx;
  const spec = decodeBody(await input.readBody(), SERVICE_SPEC);
  checkServiceSpec(create, spec);
  const refs = serviceReferences(spec);
  for (const { field, target } of refs.networks) {
    const network = target.toLowerCase() === 'host' ? 'host' : await resolver.directory.network(target);
    if (network === 'host' || (network !== null && !('ambiguous' in network) && network.driver === 'host')) {
      checkHostNamespace(create, 'network', field);
    }
  }
  for (const [of, list] of [
    ['secrets', refs.secrets],
    ['configs', refs.configs],
  ] as const) {
    for (const { field, id } of list) {
      if ((await visibleObjectId(resolver, of, id)) !== id) {
        throw errors.refused(`${field} names a ${SINGULAR[of]} this client may not see`);
      }
    }
  }
  const name = typeof spec.Name === 'string' ? spec.Name : '';
  if (!resolver.isVisible({ name, labels: asLabels(spec.Labels) })) {
    throw errors.refused(
      'the service would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    );
  }
  return serializeDecoded(spec);
}

/** `GET /tasks/{id}` and its logs: a task is visible when its service is. */
export async function decideTask(input: DecideInput, route: TaskRoute, ctx: DecideContext): Promise<Forward> {
  const { resolver } = ctx;
  const pathFor = (ref: string) =>
    withQuery(
      `${prefix(input.target)}/tasks/${encodeURIComponent(ref)}${route.action === 'logs' ? '/logs' : ''}`,
      input,
    );
  const response = route.action === 'inspect' ? 'taskInspect' : 'raw';
  if (resolver.seesAll) return { path: input.raw, response };
  const id = await visibleTaskId(resolver, route.ref);
  if (id === null) {
    const missing = missingRef(route.ref);
    return asMissing(pathFor(missing.sentinel), [missing]);
  }
  return { path: pathFor(id), response };
}

/**
 * `GET /tasks`: the list is filtered to the tasks of visible services on its way back. A `service`
 * filter names services, which the daemon resolves first (answering 404 for a missing one): a hidden
 * one goes on as a sentinel, a visible one pinned to its full id.
 */
export async function decideTaskList(input: DecideInput, ctx: DecideContext): Promise<Forward> {
  const { resolver } = ctx;
  const rawFilters = input.target.query.get('filters');
  if (!rawFilters || resolver.seesAll) return { path: input.raw, response: 'taskList' };
  // Refuses duplicate keys, so that JSON.parse below reads what the daemon's decoder reads.
  decodeBody(rawFilters, LIST_FILTERS);
  const filters = JSON.parse(rawFilters) as Record<string, unknown>;
  const value = filters.service;
  if (value === undefined) return { path: input.raw, response: 'taskList' };
  const legacy = Array.isArray(value);
  const refs: unknown[] = legacy ? value : isObject(value) ? Object.keys(value) : [];
  const missing: MissingRef[] = [];
  const out: string[] = [];
  for (const ref of refs) {
    if (typeof ref !== 'string') throw errors.badRequest('filter service must name services');
    const id = await visibleObjectId(resolver, 'services', ref);
    if (id !== null) out.push(id);
    else {
      const m = missingRef(ref, missing.length);
      missing.push(m);
      out.push(m.sentinel);
    }
  }
  filters.service = filterValues(out, legacy);
  const query = new URLSearchParams(input.target.query);
  query.set('filters', JSON.stringify(filters));
  const path = `${prefix(input.target)}/tasks?${query}`;
  return missing.length > 0 ? asMissing(path, missing) : { path, response: 'taskList' };
}

/** A swarm object's visibility under the client's rules (for answers: lists, inspects, events). */
export function isVisibleObject(resolver: ContainerResolver, identity: SwarmIdentity | null): boolean {
  return identity !== null && resolver.isVisible(identity);
}
