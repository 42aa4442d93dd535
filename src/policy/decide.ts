import {
  CHECKPOINT_CREATE,
  CONTAINER_UPDATE,
  EXEC_CREATE,
  LIST_FILTERS,
  NETWORK_CONNECT,
  NETWORK_CREATE,
  NETWORK_DISCONNECT,
  VOLUME_CREATE,
} from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import type { Decoded, DecodedObject, Schema } from '../body/go-decode.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { Route } from '../routes/route.ts';
import type { RequestTarget } from '../routes/target.ts';
import { isObject } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import { checkDevices, createRuleRefusal } from './create-rules.ts';
import { decideBuild, decideBuildCancel } from './decide-build.ts';
import { decideCreate } from './decide-create.ts';
import { checkTargets, decideImageCreate } from './decide-image-names.ts';
import {
  decideImageOut,
  ownedImageDelete,
  ownedImageList,
  ownedImageRead,
  ownedImageTag,
} from './decide-images.ts';
import { decidePrune, ownedCommit, ownedList } from './decide-owned.ts';
import { checkRegistryRoute } from './decide-registry.ts';
import {
  decideServiceCreate,
  decideSwarmObject,
  decideSwarmObjectCreate,
  decideTask,
  decideTaskList,
  OWNED_SWARM,
} from './decide-swarm.ts';
import type { DecideContext, DecideInput, Forward } from './forward.ts';
import { asMissing, prefix } from './forward.ts';
import { namesMade } from './image-refs.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { checkHostPath, checkVolumeCreate } from './mount-rules.ts';
import { checkNetworkCreate } from './network-rules.ts';
import { refuseLoad } from './owned/images.ts';
import { networks, ownedNetwork, ownedNetworkCreate } from './owned/networks.ts';
import { decideVolume, ownedVolumeCreate, volumes } from './owned/volumes.ts';
import { filterValues, isLegacyForm } from './ownership.ts';
import { ALLOWED_PS_ARGS, isAllowedPsArgs } from './ps-args.ts';
import { decodeFor } from './read-body.ts';
import { endpointLink } from './references.ts';
import type { ContainerResolver } from './resolver.ts';
import { checkUpdateLimits } from './resource-limits.ts';

export type { DecideContext, DecideInput, Forward, ResponseKind } from './forward.ts';

/** Decides a request before anything is forwarded: default deny, and every container reference checked. */
export async function decide(input: DecideInput, ctx: DecideContext): Promise<Forward> {
  const { route, raw } = input;
  const { resolver, create, owner } = ctx;
  switch (route.kind) {
    case 'plain': {
      // A login, search or distribution inspect makes the daemon contact a registry.
      const body = await checkRegistryRoute(input, ctx);
      // Removing a volume, image or network that is in use answers with the ids of the users.
      const response = input.method === 'DELETE' ? 'errorIds' : 'raw';
      return body === undefined ? { path: raw, response } : { path: raw, response, body };
    }
    case 'refused':
      throw errors.refused(route.reason);
    case 'containerList':
      return decideList(input, resolver);
    case 'networkList':
      return owner
        ? ownedList(input, networks, owner, 'networkList')
        : { path: raw, response: 'networkList' };
    case 'volumeList':
      return owner ? ownedList(input, volumes, owner, 'raw') : { path: raw, response: 'raw' };
    case 'networkInspect': {
      if (!owner) return { path: raw, response: 'networkInspect' };
      const network = await ownedNetwork(input, route.id, owner, ctx);
      return network.missing
        ? asMissing(network.path(''), [network.missing])
        : { path: network.path(''), response: 'networkInspect' };
    }
    case 'networkDelete': {
      if (!owner) return { path: raw, response: 'errorIds' };
      const network = await ownedNetwork(input, route.id, owner, ctx);
      return network.missing
        ? asMissing(network.path(''), [network.missing])
        : { path: network.path(''), response: 'errorIds' };
    }
    case 'volume':
      return decideVolume(input, route.name, ctx);
    case 'prune':
      return decidePrune(input, route.of, ctx);
    // Forwarded as they are; the response is filtered by the transform of the same name.
    case 'events':
    case 'info':
    case 'systemDf':
      return { path: raw, response: route.kind };
    case 'imageInspect':
    case 'imageHistory':
      return owner ? ownedImageRead(input, route, owner, ctx) : { path: raw, response: route.kind };
    case 'imageList':
      return owner ? ownedImageList(input, owner, ctx) : { path: raw, response: 'raw' };
    case 'imageTag':
      return owner ? ownedImageTag(input, route.name, owner, ctx) : { path: raw, response: 'raw' };
    case 'imageDelete':
      return owner ? ownedImageDelete(input, route.name, owner, ctx) : { path: raw, response: 'errorIds' };
    case 'imageLoad':
      if (owner) refuseLoad(owner);
      return { path: raw, response: 'raw' };
    case 'container':
      return decideContainer(input, route, ctx);
    case 'containerLink':
      return decideLinkRemoval(input, route, resolver);
    case 'exec': {
      const owner = await resolver.execContainer(route.id);
      if (owner?.visible) return { path: raw, response: 'raw' };
      const ref = missingRef(route.id);
      return asMissing(
        withQuery(`${prefix(input.target)}/exec/${ref.sentinel}/${route.action}`, input.target),
        [ref],
      );
    }
    case 'containerCreate':
      return decideCreate(input, ctx);
    // Swarm objects (issue #24): decide-swarm.ts.
    case 'swarmList':
      return owner
        ? ownedList(input, OWNED_SWARM[route.of], owner, 'swarmList')
        : { path: raw, response: 'swarmList' };
    case 'swarmObject':
      return decideSwarmObject(input, route, ctx);
    case 'serviceCreate':
      return decideServiceCreate(input, ctx);
    case 'swarmObjectCreate':
      return decideSwarmObjectCreate(input, route.of, ctx);
    case 'taskList':
      return decideTaskList(input, ctx);
    case 'task':
      return decideTask(input, route, ctx);
    case 'volumeCreate': {
      const body = await decodeFor(ctx, await input.readBody(), VOLUME_CREATE);
      if (create) checkVolumeCreate(create, body);
      if (!owner) return { path: raw, response: 'raw', body: serializeDecoded(body) };
      return { path: raw, response: 'ownedVolume', body: await ownedVolumeCreate(body, owner, ctx) };
    }
    case 'networkCreate': {
      const body = await decodeFor(ctx, await input.readBody(), NETWORK_CREATE);
      if (create) checkNetworkCreate(create, body);
      if (!owner) return { path: raw, response: 'raw', body: serializeDecoded(body) };
      return { path: raw, response: 'networkCreated', body: await ownedNetworkCreate(body, owner, ctx) };
    }
    case 'hostAccess':
      if (create && !create[route.rule]) {
        throw createRuleRefusal(
          route.rule,
          `${input.method} ${input.target.path}`,
          route.rule === 'swarm'
            ? 'swarm services run containers that no create rule judges'
            : 'plugins run with the privileges of the daemon',
        );
      }
      // A plugin pull or upgrade reaches the registry its `remote` names.
      await checkRegistryRoute(input, ctx);
      return { path: raw, response: 'raw' };
    case 'commit': {
      const typed = input.target.query.get('container') ?? '';
      const facts = await resolver.resolve(typed);
      const query = new URLSearchParams(input.target.query);
      if (facts?.visible) {
        query.set('container', facts.id);
        if (owner) await checkTargets(namesMade(query), owner, ctx);
        const owned = owner ? await ownedCommit(input, query, owner, ctx) : undefined;
        return {
          path: `${prefix(input.target)}/commit?${owned?.query ?? query}`,
          response: 'raw',
          ...(owned === undefined ? {} : { body: owned.body }),
        };
      }
      const ref = missingRef(typed);
      query.set('container', ref.sentinel);
      return asMissing(`${prefix(input.target)}/commit?${query}`, [ref]);
    }
    case 'build':
      return decideBuild(input, ctx);
    case 'buildCancel':
      return decideBuildCancel(input);
    // Judged by the lists (it needs POST /build too); tunnelled and bound to its client by the server.
    case 'buildSession':
      return { path: raw, response: 'raw' };
    case 'imageCreate':
      return decideImageCreate(input, ctx);
    case 'networkConnect':
      return decideNetworkConnect(input, route, ctx);
    case 'imageExport':
    case 'imagePush':
      return decideImageOut(input, route, ctx);
  }
}

function withQuery(path: string, target: RequestTarget): string {
  return target.rawQuery ? `${path}?${target.rawQuery}` : path;
}

/**
 * The container list: `before` and `since` filters name a container, and a hidden one must fail as a
 * missing one does (the daemon answers 500 for those), so it is sent on as a sentinel.
 */
async function decideList(input: DecideInput, resolver: ContainerResolver): Promise<Forward> {
  const rawFilters = input.target.query.get('filters');
  const names = resolver.daemonNames;
  const labels = resolver.daemonLabels;
  if (!rawFilters) {
    if (names) return listForward(input, JSON.stringify({ name: filterValues(names, false) }));
    if (labels) return listForward(input, JSON.stringify({ label: filterValues(labels, false) }));
    return listForward(input);
  }
  // Refuses duplicate keys, so that JSON.parse below reads what the daemon's decoder reads.
  decodeBody(rawFilters, LIST_FILTERS);
  const filters = JSON.parse(rawFilters) as Record<string, unknown>;
  // The client's own name filter stays as it is (the daemon ORs the values of one key).
  let pushed = names !== undefined && filters.name === undefined;
  if (names && pushed) filters.name = filterValues(names, isLegacyForm(filters));
  // Label values must all hold for the daemon: the client's own and the visibility rule's narrow alike.
  if (labels) {
    filters.label = withLabelValues(filters.label, labels, isLegacyForm(filters));
    pushed = true;
  }
  const missing: MissingRef[] = [];
  for (const key of ['before', 'since']) {
    const value = filters[key];
    // Two forms exist: {"before":{"ref":true}} (current) and {"before":["ref"]} (legacy).
    const legacy = Array.isArray(value);
    const refs: unknown[] = legacy ? value : isObject(value) ? Object.keys(value) : [];
    const out: string[] = [];
    for (const ref of refs) {
      if (typeof ref !== 'string') throw errors.badRequest(`filter ${key} must name containers`);
      const facts = await resolver.resolve(ref);
      if (facts?.visible) out.push(ref);
      else {
        const m = missingRef(ref, missing.length);
        missing.push(m);
        out.push(m.sentinel);
      }
    }
    if (refs.length > 0) filters[key] = filterValues(out, legacy);
  }
  if (missing.length === 0) return listForward(input, pushed ? JSON.stringify(filters) : undefined);
  const query = new URLSearchParams(input.target.query);
  query.set('filters', JSON.stringify(filters));
  return asMissing(`${prefix(input.target)}/containers/json?${query}`, missing);
}

/** A list filter's `label` values with more added, in the form it has (or the rest has, when absent). */
function withLabelValues(label: unknown, more: readonly string[], legacy: boolean): unknown {
  if (Array.isArray(label)) return [...label, ...more];
  if (label === undefined) return filterValues(more, legacy);
  if (typeof label !== 'object' || label === null)
    throw errors.badRequest('the label filter must be an object or a list');
  return { ...(label as Record<string, unknown>), ...filterValues(more, false) };
}

/**
 * The daemon applies `limit` before dockscope filters, so it would count hidden containers (and the
 * client would learn where they stand). A positive limit is taken off the forwarded query and applied
 * to the filtered list; since a limit implies `all` for the daemon, `all=1` is sent instead. Any other
 * value goes on unchanged, for the daemon to answer as it does. `filters`, when given, replaces the
 * client's (a name filter added for the daemon: see Visibility.daemonNames).
 */
function listForward(input: DecideInput, filters?: string): Forward {
  const raw = input.target.query.get('limit');
  const limit = raw !== null && /^[+-]?\d{1,15}$/.test(raw) ? Number(raw) : 0;
  if (limit <= 0 && filters === undefined) return { path: input.raw, response: 'containerList' };
  const query = new URLSearchParams(input.target.query);
  if (filters !== undefined) query.set('filters', filters);
  if (limit > 0) {
    query.delete('limit');
    query.set('all', '1');
  }
  const path = `${prefix(input.target)}/containers/json?${query}`;
  return limit > 0 ? { path, response: 'containerList', limit } : { path, response: 'containerList' };
}

/** Bodies of container routes that dockscope decodes and forwards canonically. */
const CONTAINER_BODIES: Readonly<Record<string, Schema>> = {
  exec: EXEC_CREATE,
  update: CONTAINER_UPDATE,
  checkpoints: CHECKPOINT_CREATE,
};

/**
 * Checkpoints are written to, read from and removed under a directory of the host the client names
 * (`dir`, `checkpoint-dir`, `CheckpointDir`): with create rules, a host path like any other.
 */
function checkCheckpointDirs(create: CreateRules, input: DecideInput, body: DecodedObject | undefined): void {
  for (const key of ['dir', 'checkpoint-dir']) {
    const dir = input.target.query.get(key);
    if (dir !== null && dir !== '') checkHostPath(create, `the ${key} query`, dir, false);
  }
  if (typeof body?.CheckpointDir === 'string' && body.CheckpointDir !== '') {
    checkHostPath(create, 'CheckpointDir', body.CheckpointDir, false);
  }
}

async function decideContainer(
  input: DecideInput,
  route: Extract<Route, { kind: 'container' }>,
  ctx: DecideContext,
): Promise<Forward> {
  const { resolver, create } = ctx;
  const action = route.rest[0];
  const rest = route.rest.map(encodeURIComponent).join('/');
  const pathFor = (ref: string) =>
    withQuery(`${prefix(input.target)}/containers/${ref}${rest ? `/${rest}` : ''}`, input.target);
  const missing = missingRef(route.ref);
  // Inspect is judged on its own response: one upstream request, and never a stale decision.
  if (input.method === 'GET' && action === 'json') {
    // An id prefix may be shared with a hidden container (the daemon would refuse it, saying so): it is
    // resolved among visible containers first and the inspect names the full id.
    if (/^[0-9a-f]{1,63}$/.test(route.ref)) {
      const facts = await resolver.resolve(route.ref);
      if (!facts?.visible) return asMissing(pathFor(missing.sentinel), [missing]);
      return {
        path: pathFor(facts.id),
        response: 'containerInspect',
        ifHidden: { path: pathFor(missing.sentinel), ref: missing },
        epoch: resolver.epoch,
      };
    }
    return {
      path: input.raw,
      response: 'containerInspect',
      ifHidden: { path: pathFor(missing.sentinel), ref: missing },
      epoch: resolver.epoch,
    };
  }
  // What is refused for every container is refused before the look-up, so hidden and missing agree.
  if (action === 'top') {
    const psArgs = input.target.query.get('ps_args') ?? '';
    if (!isAllowedPsArgs(psArgs))
      throw errors.refused(`ps_args ${JSON.stringify(psArgs)} is refused: allowed are ${ALLOWED_PS_ARGS}`);
  }
  const schema = input.method === 'POST' && action !== undefined ? CONTAINER_BODIES[action] : undefined;
  const text = schema ? await input.readBody() : '';
  // An empty checkpoint body is the daemon's to answer (without experimental features it refuses the
  // route before reading one).
  const decoded =
    schema && !(action === 'checkpoints' && text.trim() === '')
      ? await decodeFor(ctx, text, schema)
      : undefined;
  if (create && (action === 'checkpoints' || action === 'start')) checkCheckpointDirs(create, input, decoded);
  if (decoded && create) {
    if (action === 'exec' && decoded.Privileged === true && !create.privileged) {
      throw createRuleRefusal(
        'privileged',
        'Privileged',
        'a privileged exec has every capability of the host',
      );
    }
    if (action === 'update') checkDevices(create, decoded, '');
  }
  if (decoded && action === 'update' && ctx.limits) checkUpdateLimits(ctx.limits, decoded);
  const body = decoded ? serializeDecoded(decoded) : undefined;
  const facts = await resolver.resolve(route.ref);
  if (!facts?.visible) return asMissing(pathFor(missing.sentinel), [missing], body);
  const path = pathFor(facts.id);
  const forward = (f: Omit<Forward, 'path'>): Forward => ({
    path,
    ...f,
    ...(body === undefined ? {} : { body }),
  });
  if (input.method === 'DELETE' && route.rest.length === 0) {
    return forward({ response: 'errorIds', after: () => resolver.invalidate(facts.id) });
  }
  if (action === 'rename')
    return forward({ response: 'conflict', after: () => resolver.invalidate(facts.id) });
  // A failed start names the container whose namespace it could not join ("... of container <id>").
  return forward({ response: 'errorIds' });
}

/**
 * `docker rm --link /web/db` sends `DELETE /containers/web/db?link=1`: the daemon resolves `web/db` (a
 * link name) to the linked container and removes the link from `web`. Both must be visible; otherwise
 * the answer is the daemon's for a link that does not exist.
 */
async function decideLinkRemoval(
  input: DecideInput,
  route: Extract<Route, { kind: 'containerLink' }>,
  resolver: ContainerResolver,
): Promise<Forward> {
  const linkName = `${route.parent}/${route.alias}`;
  const parent = await resolver.resolve(route.parent);
  const child = parent?.visible ? await resolver.resolve(linkName) : null;
  if (parent?.visible && child?.visible) return { path: input.raw, response: 'raw' };
  const missing = missingRef(linkName);
  return asMissing(withQuery(`${prefix(input.target)}/containers/${missing.sentinel}`, input.target), [
    missing,
  ]);
}

/** Network connect and disconnect name a container in the body; connect may add links to others. */
async function decideNetworkConnect(
  input: DecideInput,
  route: Extract<Route, { kind: 'networkConnect' }>,
  ctx: DecideContext,
): Promise<Forward> {
  const { action } = route;
  const { resolver, owner } = ctx;
  const body = await decodeFor(
    ctx,
    await input.readBody(),
    action === 'connect' ? NETWORK_CONNECT : NETWORK_DISCONNECT,
  );
  const typed = body.Container;
  if (typeof typed !== 'string')
    throw errors.badRequest(`network ${action} needs a JSON body with "Container"`);
  // With an owner, another's network is a missing one (the daemon reports a missing container first).
  const network = owner ? await ownedNetwork(input, route.id, owner, ctx) : null;
  const path = network ? network.path(`/${action}`) : input.raw;
  const refs: MissingRef[] = network?.missing ? [network.missing] : [];
  const endpoint = body.EndpointConfig;
  if (isObject(endpoint) && Array.isArray(endpoint.Links)) {
    const links: Decoded[] = [];
    for (const link of endpoint.Links) links.push(await endpointLink(link, resolver, refs));
    endpoint.Links = links;
  }
  const facts = await resolver.resolve(typed);
  if (facts?.visible) {
    const canonical = serializeDecoded({ ...body, Container: facts.id });
    return refs.length ? asMissing(path, refs, canonical) : { path, response: 'raw', body: canonical };
  }
  const missing = missingRef(typed, refs.length);
  return asMissing(path, [...refs, missing], serializeDecoded({ ...body, Container: missing.sentinel }));
}
