import { CONTAINER_CREATE } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import { asLabels, isObject } from './container-facts.ts';
import type { Deferred } from './create-rules.ts';
import { checkContainerCreate, checkHostNamespace, createRuleRefusal } from './create-rules.ts';
import type { DecideContext, DecideInput, Forward } from './decide.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { asMissing, parseLink, requireLinkTarget } from './references.ts';
import type { ContainerResolver } from './resolver.ts';

const CONTAINER_MODE = 'container:';

/**
 * Container create, judged on the body as the daemon decodes it (see body/go-decode.ts). It may point
 * at other containers: `--pid container:x`, `--ipc container:x`, `--volumes-from x`, `--link x:alias`,
 * `--network container:x`, a cgroup `container:x`, and links of each network endpoint. A visible one is
 * pinned to its full id; a hidden one is either sent on as a sentinel, where the daemon refuses a
 * missing container at create (pid, ipc, volumes-from, links), or refused with the daemon's answer
 * where the daemon would create a container that points at it (network and cgroup modes, endpoint
 * links), so that a hidden container and a missing one answer alike. The new container itself must be
 * visible, or the client could create what it cannot manage.
 */
export async function decideCreate(input: DecideInput, ctx: DecideContext): Promise<Forward> {
  const { resolver } = ctx;
  const body = decodeBody(await input.readBody(), CONTAINER_CREATE);
  // The create rules first: what they refuse is refused whatever the containers it names.
  if (ctx.create) await checkDeferred(checkContainerCreate(ctx.create, body), ctx);
  const name = input.target.query.get('name') ?? '';
  if (!resolver.isVisible({ name, labels: asLabels(body.Labels) })) {
    throw errors.refused(
      'the new container would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    );
  }
  const missing: MissingRef[] = [];
  /** The full id of a visible container, or a sentinel that makes the daemon answer as for a missing one. */
  const pin = async (ref: string): Promise<string> => {
    const facts = await resolver.resolve(ref);
    if (facts?.visible) return facts.id;
    const m = missingRef(ref, missing.length);
    missing.push(m);
    return m.sentinel;
  };
  const host = asObject(body.HostConfig);
  if (host) {
    // The daemon accepts a network or cgroup mode naming a missing container (the start fails later).
    for (const key of ['NetworkMode', 'Cgroup'] as const) {
      const ref = containerModeRef(host[key]);
      if (ref === null) continue;
      const facts = await resolver.resolve(ref);
      if (!facts?.visible) throw errors.noSuchContainerAsDaemon(400, ref);
      host[key] = `${CONTAINER_MODE}${facts.id}`;
    }
    for (const key of ['PidMode', 'IpcMode'] as const) {
      const ref = containerModeRef(host[key]);
      if (ref !== null) host[key] = `${CONTAINER_MODE}${await pin(ref)}`;
    }
    if (Array.isArray(host.VolumesFrom)) {
      const out: Decoded[] = [];
      for (const entry of host.VolumesFrom) {
        if (typeof entry !== 'string') throw errors.badRequest('HostConfig.VolumesFrom must hold strings');
        // `ref` or `ref:ro` / `ref:rw`.
        const colon = entry.indexOf(':');
        const ref = colon === -1 ? entry : entry.slice(0, colon);
        out.push(`${await pin(ref)}${colon === -1 ? '' : entry.slice(colon)}`);
      }
      host.VolumesFrom = out;
    }
    if (Array.isArray(host.Links)) {
      const out: Decoded[] = [];
      for (const entry of host.Links) {
        if (typeof entry !== 'string') throw errors.badRequest('HostConfig.Links must hold strings');
        const { name: ref, alias } = parseLink(entry);
        out.push(`${await pin(ref)}:${alias}`);
      }
      host.Links = out;
    }
  }
  const endpoints = asObject(asObject(body.NetworkingConfig)?.EndpointsConfig);
  for (const endpoint of Object.values(endpoints ?? {})) {
    const links = asObject(endpoint)?.Links;
    if (Array.isArray(links)) for (const link of links) await requireLinkTarget(link, resolver);
  }
  const canonical = serializeDecoded(body);
  if (missing.length > 0) return asMissing(input.raw, missing, canonical);
  return { path: input.raw, response: 'conflict', body: canonical };
}

/**
 * What the rules could not judge from the body: a named volume may hold a hidden container's data (it
 * is allowed when no container this client cannot see uses it), and a user-defined network could be
 * the host's network under its id.
 */
async function checkDeferred(deferred: Deferred, ctx: DecideContext): Promise<void> {
  const { resolver } = ctx;
  for (const { field, name } of deferred.volumes) {
    const users = await resolver.directory.volumeUsers(name);
    if (users.some((user) => !resolver.isVisible(user))) {
      throw createRuleRefusal(
        'volumes',
        field,
        `the volume ${JSON.stringify(name)} is used by a container this client may not see`,
      );
    }
  }
  for (const { field, name } of deferred.networks) {
    if ((await resolver.directory.networkDriver(name)) === 'host' && ctx.create) {
      checkHostNamespace(ctx.create, 'network', field);
    }
  }
}

function asObject(value: Decoded | undefined): DecodedObject | null {
  return isObject(value) ? (value as DecodedObject) : null;
}

/** The reference in `container:<ref>` (the daemon splits at the first colon), or null for other modes. */
function containerModeRef(value: Decoded | undefined): string | null {
  if (typeof value !== 'string' || !value.startsWith(CONTAINER_MODE)) return null;
  return value.slice(CONTAINER_MODE.length);
}
