import {
  CHECKPOINT_CREATE,
  CONTAINER_UPDATE,
  EXEC_CREATE,
  NETWORK_CONNECT,
  NETWORK_DISCONNECT,
} from '../body/daemon-types.ts';
import type { Decoded, DecodedObject, Schema } from '../body/go-decode.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { Route } from '../routes/route.ts';
import { isObject } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import { checkDevices, createRuleRefusal } from './create-rules.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { asMissing, prefix, withQuery } from './forward.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { checkHostPath } from './mount-rules.ts';
import { ownedNetwork } from './owned/networks.ts';
import { ALLOWED_PS_ARGS, isAllowedPsArgs } from './ps-args.ts';
import { decodeFor } from './read-body.ts';
import { endpointLink } from './references.ts';
import type { ContainerResolver } from './resolver.ts';
import { checkUpdateLimits } from './resource-limits.ts';

/** The routes of one container: inspect, its actions, a link's removal, and network connect/disconnect. */

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

export async function decideContainer(
  input: DecideInput,
  route: Extract<Route, { kind: 'container' }>,
  ctx: DecideContext,
): Promise<Forwarding> {
  const { resolver, create } = ctx;
  const action = route.rest[0];
  const rest = route.rest.map(encodeURIComponent).join('/');
  const pathFor = (ref: string) =>
    withQuery(`${prefix(input.target)}/containers/${ref}${rest ? `/${rest}` : ''}`, input.target.rawQuery);
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
        treatment: 'judgeContainerInspect',
        ifHidden: { path: pathFor(missing.sentinel), ref: missing },
        epoch: resolver.epoch,
      };
    }
    return {
      path: input.raw,
      treatment: 'judgeContainerInspect',
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
  const forward = (f: Omit<Forwarding, 'path'>): Forwarding => ({
    path,
    ...f,
    ...(body === undefined ? {} : { body }),
  });
  if (input.method === 'DELETE' && route.rest.length === 0) {
    return forward({ treatment: 'cutErrorIds', after: () => resolver.invalidate(facts.id) });
  }
  if (action === 'rename')
    return forward({ treatment: 'cutConflictId', after: () => resolver.invalidate(facts.id) });
  // A failed start names the container whose namespace it could not join ("... of container <id>").
  return forward({ treatment: 'cutErrorIds' });
}

/**
 * `docker rm --link /web/db` sends `DELETE /containers/web/db?link=1`: the daemon resolves `web/db` (a
 * link name) to the linked container and removes the link from `web`. Both must be visible; otherwise
 * the answer is the daemon's for a link that does not exist.
 */
export async function decideLinkRemoval(
  input: DecideInput,
  route: Extract<Route, { kind: 'containerLink' }>,
  resolver: ContainerResolver,
): Promise<Forwarding> {
  const linkName = `${route.parent}/${route.alias}`;
  const parent = await resolver.resolve(route.parent);
  const child = parent?.visible ? await resolver.resolve(linkName) : null;
  if (parent?.visible && child?.visible) return { path: input.raw, treatment: 'relay' };
  const missing = missingRef(linkName);
  return asMissing(
    withQuery(`${prefix(input.target)}/containers/${missing.sentinel}`, input.target.rawQuery),
    [missing],
  );
}

/** Network connect and disconnect name a container in the body; connect may add links to others. */
export async function decideNetworkConnect(
  input: DecideInput,
  route: Extract<Route, { kind: 'networkConnect' }>,
  ctx: DecideContext,
): Promise<Forwarding> {
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
    return refs.length ? asMissing(path, refs, canonical) : { path, treatment: 'relay', body: canonical };
  }
  const missing = missingRef(typed, refs.length);
  return asMissing(path, [...refs, missing], serializeDecoded({ ...body, Container: missing.sentinel }));
}
