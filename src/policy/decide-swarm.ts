import { LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import type { DecodedObject } from '../body/go-decode.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { CONFIG_SPEC, SECRET_SPEC, SERVICE_SPEC } from '../body/service-types.ts';
import { errors } from '../errors.ts';
import type { Route, SwarmKind } from '../routes/route.ts';
import { lookupSwarmObject, lookupTask, SINGULAR, tasksByPrefix } from '../upstream/swarm-lookups.ts';
import { asLabels, isObject } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import { BUILTIN_NETWORK_MODES, checkHostNamespace, createRuleRefusal } from './create-rules.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { asMissing, prefix } from './forward.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { configs } from './owned/configs.ts';
import { ownersNetwork } from './owned/networks.ts';
import { secrets } from './owned/secrets.ts';
import { services } from './owned/services.ts';
import { isSwarmShown, seesAllSwarm, shownObjectId } from './owned/swarm-scope.ts';
import { filterValues } from './ownership.ts';
import { checkServiceSpec, serviceReferences } from './service-rules.ts';

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

/** Whether the service of a task is one the client may see (a task whose service is gone is not). */
async function serviceVisible(ctx: DecideContext, serviceId: string): Promise<boolean> {
  if (serviceId === '') return false;
  const service = await lookupSwarmObject(ctx.resolver.daemon, 'services', serviceId);
  return service !== null && !('ambiguous' in service) && isSwarmShown(ctx.resolver, ctx.owner, service);
}

async function visibleTaskId(ctx: DecideContext, ref: string): Promise<string | null> {
  const found = await lookupTask(ctx.resolver.daemon, ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return (await serviceVisible(ctx, found.serviceId)) ? found.id : null;
  const visible: string[] = [];
  for (const task of await tasksByPrefix(ctx.resolver.daemon, ref)) {
    if (await serviceVisible(ctx, task.serviceId)) visible.push(task.id);
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
): Promise<Forwarding> {
  const { resolver, owner } = ctx;
  // Judged before the look-up, so that a hidden and a visible object are refused alike.
  const body = route.action === 'update' ? await judgedUpdate(input, route.of, ctx) : undefined;
  const pathFor = (ref: string) =>
    withQuery(`${prefix(input.target)}/${route.of}/${encodeURIComponent(ref)}${SUFFIX[route.action]}`, input);
  const missing = missingRef(route.ref);
  const ifHidden = { path: pathFor(missing.sentinel), ref: missing };
  if (seesAllSwarm(ctx)) {
    return route.action === 'inspect'
      ? { path: input.raw, treatment: 'judgeSwarmInspect', ifHidden }
      : { path: input.raw, treatment: 'relay' };
  }
  const id = await shownObjectId(resolver, owner, route.of, route.ref);
  if (id === null) return asMissing(ifHidden.path, [missing], body);
  if (route.action === 'inspect') return { path: pathFor(id), treatment: 'judgeSwarmInspect', ifHidden };
  return body === undefined
    ? { path: pathFor(id), treatment: 'relay' }
    : { path: pathFor(id), treatment: 'relay', body };
}

/**
 * A service create. Without create rules (a client that sees everything, or rules turned off) it goes
 * on as sent; with them it needs `swarm`, and its spec is judged as a container create would be.
 */
export async function decideServiceCreate(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  if (!ctx.create && !ctx.owner) return { path: input.raw, treatment: 'relay' };
  return { path: input.raw, treatment: 'relay', body: await judgedServiceSpec(input, ctx) };
}

/**
 * `POST /secrets/create`, `/configs/create`: with an owner, the object carries its owner label (the
 * spec decoded as the daemon decodes it, sent canonical); without, it goes on as sent.
 */
export async function decideSwarmObjectCreate(
  input: DecideInput,
  of: 'secrets' | 'configs',
  ctx: DecideContext,
): Promise<Forwarding> {
  if (!ctx.owner) return { path: input.raw, treatment: 'relay' };
  const spec = decodeBody(await input.readBody(), OBJECT_SPECS[of]);
  OWNED_SWARM[of].label(spec, ctx.owner);
  return { path: input.raw, treatment: 'relay', body: serializeDecoded(spec) };
}

const OBJECT_SPECS = { secrets: SECRET_SPEC, configs: CONFIG_SPEC } as const;
/** The ownership scope of each swarm kind. */
export const OWNED_SWARM = { services, secrets, configs } as const;

/**
 * The body of an update: a service's spec judged as at create; a secret's or config's (only its labels
 * can change) labelled for an owner. Undefined: the client's body goes on as sent.
 */
async function judgedUpdate(
  input: DecideInput,
  of: SwarmKind,
  ctx: DecideContext,
): Promise<string | undefined> {
  if (of === 'services') return ctx.create || ctx.owner ? judgedServiceSpec(input, ctx) : undefined;
  if (!ctx.owner) return undefined;
  const spec = decodeBody(await input.readBody(), OBJECT_SPECS[of]);
  OWNED_SWARM[of].label(spec, ctx.owner);
  return serializeDecoded(spec);
}

/**
 * The service spec of a create or update, decoded as the daemon decodes it and judged under the
 * create rules (service-rules.ts): the canonical body to forward. The host network (by name, or a
 * network whose driver is `host`), and secrets and configs the client may not see (hidden and missing
 * alike) are refused; so is a service that would not be visible to the client that makes it.
 */
async function judgedServiceSpec(input: DecideInput, ctx: DecideContext): Promise<string> {
  const { resolver, create, owner } = ctx;
  if (create && !create.swarm) {
    throw createRuleRefusal(
      'swarm',
      `${input.method} ${input.target.path}`,
      'swarm services run containers that no create rule judges',
    );
  }
  const spec = decodeBody(await input.readBody(), SERVICE_SPEC);
  // Labelled first: the service must be visible to its maker with the owner label it will carry.
  if (owner) services.label(spec, owner);
  if (create) await checkServiceRules(create, spec, ctx);
  await checkServiceObjects(spec, ctx);
  const name = typeof spec.Name === 'string' ? spec.Name : '';
  if (!resolver.isVisible({ name, labels: asLabels(spec.Labels) })) {
    throw errors.refused(
      'the service would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    );
  }
  return serializeDecoded(spec);
}

/**
 * Under the create rules: the spec as a container create (service-rules.ts), and the host network (by
 * name, or a network whose driver is `host`).
 */
async function checkServiceRules(
  create: CreateRules,
  spec: DecodedObject,
  ctx: DecideContext,
): Promise<void> {
  checkServiceSpec(create, spec);
  for (const { field, target } of serviceReferences(spec).networks) {
    const network = target.toLowerCase() === 'host' ? 'host' : await ctx.resolver.daemon.network(target);
    if (network === 'host' || (network !== null && !('ambiguous' in network) && network.driver === 'host')) {
      checkHostNamespace(create, 'network', field);
    }
  }
}

/**
 * What a service's tasks are given: every secret and config must be one the client may see (hidden,
 * another owner's and missing alike are refused: the task would hold its data), and with an owner every
 * network its own (refused in the same words whether it exists or not, as a build's `networkmode`).
 */
async function checkServiceObjects(spec: DecodedObject, ctx: DecideContext): Promise<void> {
  const { resolver, owner } = ctx;
  const refs = serviceReferences(spec);
  for (const [of, list] of [
    ['secrets', refs.secrets],
    ['configs', refs.configs],
  ] as const) {
    for (const { field, id } of list) {
      if ((await shownObjectId(resolver, owner, of, id)) !== id) {
        throw errors.refused(`${field} names a ${SINGULAR[of]} this client may not see`);
      }
    }
  }
  if (!owner) return;
  for (const { field, target } of refs.networks) {
    // The daemon's own networks by their exact names, as for a container create (the create rules judge `host`).
    if (BUILTIN_NETWORK_MODES.has(target)) continue;
    if (!(await ownersNetwork(target, owner, ctx))) {
      throw errors.refused(
        `${field} names ${JSON.stringify(target)}, which is not one of this client's networks`,
      );
    }
  }
}

/** `GET /tasks/{id}` and its logs: a task is visible when its service is. */
export async function decideTask(
  input: DecideInput,
  route: TaskRoute,
  ctx: DecideContext,
): Promise<Forwarding> {
  const pathFor = (ref: string) =>
    withQuery(
      `${prefix(input.target)}/tasks/${encodeURIComponent(ref)}${route.action === 'logs' ? '/logs' : ''}`,
      input,
    );
  const treatment = route.action === 'inspect' ? 'judgeTaskInspect' : 'relay';
  if (seesAllSwarm(ctx)) return { path: input.raw, treatment };
  const id = await visibleTaskId(ctx, route.ref);
  if (id === null) {
    const missing = missingRef(route.ref);
    return asMissing(pathFor(missing.sentinel), [missing]);
  }
  return { path: pathFor(id), treatment };
}

/**
 * `GET /tasks`: the list is filtered to the tasks of visible services on its way back. A `service`
 * filter names services, which the daemon resolves first (answering 404 for a missing one): a hidden
 * one goes on as a sentinel, a visible one pinned to its full id.
 */
export async function decideTaskList(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  const rawFilters = input.target.query.get('filters');
  if (!rawFilters || seesAllSwarm(ctx)) return { path: input.raw, treatment: 'filterTaskList' };
  // Refuses duplicate keys, so that JSON.parse below reads what the daemon's decoder reads.
  decodeBody(rawFilters, LIST_FILTERS);
  const filters = JSON.parse(rawFilters) as Record<string, unknown>;
  const value = filters.service;
  if (value === undefined) return { path: input.raw, treatment: 'filterTaskList' };
  const legacy = Array.isArray(value);
  const refs: unknown[] = legacy ? value : isObject(value) ? Object.keys(value) : [];
  const missing: MissingRef[] = [];
  const out: string[] = [];
  for (const ref of refs) {
    if (typeof ref !== 'string') throw errors.badRequest('filter service must name services');
    const id = await shownObjectId(ctx.resolver, ctx.owner, 'services', ref);
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
  return missing.length > 0 ? asMissing(path, missing) : { path, treatment: 'filterTaskList' };
}
