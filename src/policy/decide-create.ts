import { CONTAINER_CREATE } from '../body/daemon-types.ts';
import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject, newObject, serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { Deferred } from './container-create-rules.ts';
import { checkContainerCreate, namedObjects } from './container-create-rules.ts';
import { asLabels } from './container-facts.ts';
import { checkHostNamespace, createRuleRefusal } from './create-rules.ts';
import { createImage } from './decide-images.ts';
import type { Join } from './decide-joins.ts';
import { checkJoins } from './decide-joins.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { asMissing } from './forward.ts';
import { pinImageMounts } from './image-mounts.ts';
import { CONTAINER_MODE, checkStoredVolume, containerModeRef, parseVolumesFrom } from './inherited-access.ts';
import type { MissingRef } from './missing.ts';
import { missingRef } from './missing.ts';
import { checkMountText } from './mount-text.ts';
import { containers } from './owned/containers.ts';
import { ownersNetwork } from './owned/networks.ts';
import { isShown } from './owned/scope.ts';
import { makeOwnedVolume, volumes } from './owned/volumes.ts';
import { decodeFor } from './read-body.ts';
import { endpointLink, parseLink } from './references.ts';
import { refuseReservedLabels } from './reserved-labels.ts';
import { applyCreateLimits } from './resource-limits.ts';
import { withAddedMasks } from './system-paths.ts';

/**
 * Container create, judged on the body as the daemon decodes it (see body/go-decode.ts). It may point
 * at other containers: `--pid container:x`, `--ipc container:x`, `--volumes-from x`, `--link x:alias`,
 * `--network container:x`, a cgroup `container:x`, and links of each network endpoint. A visible one is
 * pinned to its full id; a hidden one is either sent on as a sentinel, where the daemon refuses a
 * missing container at create (pid, ipc, volumes-from, links) or accepts one (endpoint links, which
 * it resolves by name at start: references.ts), or refused with the daemon's answer where the daemon
 * would create a container that joins it (network and cgroup modes), so that a hidden container and
 * a missing one answer alike. The new container itself must be
 * visible, or the client could create what it cannot manage. Under create rules, what a visible
 * joined container has (host namespaces, privilege, devices, capabilities, host paths) is judged as
 * if the client had asked for it (decide-joins.ts); links share nothing and are not judged so.
 */
export async function decideCreate(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  const { resolver } = ctx;
  const body = await decodeFor(ctx, await input.readBody(), CONTAINER_CREATE);
  // What the rules and the owner checks judge must be what Podman mounts (mount-text.ts).
  if (ctx.create || ctx.owner) checkMountText(body);
  // The create rules first: what they refuse is refused whatever the containers it names.
  if (ctx.create) {
    checkContainerCreate(ctx.create, body);
    // On cgroup v1 hosts the daemon's default cgroup namespace is the host's: ask for a private one.
    if (!ctx.create.hostNamespaces.includes('cgroupns')) {
      const host = asObject(body.HostConfig) ?? newObject();
      if (host.CgroupnsMode === undefined || host.CgroupnsMode === '') host.CgroupnsMode = 'private';
      body.HostConfig = host;
    }
    // A kept MaskedPaths list masks what newer daemons mask by default too (system-paths.ts).
    const host = asObject(body.HostConfig);
    if (host?.MaskedPaths !== undefined && !ctx.create.securityOpt.includes('systempaths=unconfined')) {
      host.MaskedPaths = withAddedMasks(host.MaskedPaths) ?? null;
    }
  }
  // Resource maxima, and the defaults for what the create leaves unlimited (issue #23).
  if (ctx.limits) body.HostConfig = applyCreateLimits(ctx.limits, asObject(body.HostConfig));
  // No one labels themselves into a client (dockscope.client, issue #23).
  refuseReservedLabels(body.Labels, ctx);
  if (ctx.owner) containers.label(body, ctx.owner);
  /** Sentinels that make the daemon refuse the create as for a missing container. */
  const missing: MissingRef[] = [];
  /** Sentinels the daemon accepts (endpoint links, ignored legacy links): the create goes on. */
  const kept: MissingRef[] = [];
  const name = input.target.query.get('name') ?? '';
  if (!resolver.isVisible({ name, labels: asLabels(body.Labels) })) {
    throw errors.refused(
      'the new container would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    );
  }
  /** Visible containers the create joins: judged under the create rules for what they hand on. */
  const joins: Join[] = [];
  /**
   * The full id of a visible container, or a sentinel that makes the daemon answer as for a missing
   * one (a hidden container is never judged further: its answer must be a missing one's).
   */
  const pin = async (ref: string, join?: Omit<Join, 'id'>): Promise<string> => {
    const facts = await resolver.resolve(ref);
    if (facts?.visible) {
      if (join) joins.push({ ...join, id: facts.id });
      return facts.id;
    }
    const m = missingRef(ref, missing.length);
    missing.push(m);
    return m.sentinel;
  };
  const host = asObject(body.HostConfig);
  if (host) {
    // The daemon accepts a network or cgroup mode naming a missing container (the start fails later).
    for (const [key, kind] of [
      ['NetworkMode', 'network'],
      ['Cgroup', 'cgroup'],
    ] as const) {
      const ref = containerModeRef(host[key]);
      if (ref === null) continue;
      const facts = await resolver.resolve(ref);
      if (!facts?.visible) throw errors.asDaemon({ kind: 'missingJoin', mode: kind, ref });
      joins.push({ field: `HostConfig.${key}`, id: facts.id, kind, readOnly: false });
      host[key] = `${CONTAINER_MODE}${facts.id}`;
    }
    for (const [key, kind] of [
      ['PidMode', 'pid'],
      ['IpcMode', 'ipc'],
    ] as const) {
      const ref = containerModeRef(host[key]);
      if (ref !== null) {
        host[key] =
          `${CONTAINER_MODE}${await pin(ref, { field: `HostConfig.${key}`, kind, readOnly: false })}`;
      }
    }
    // Podman joins a container's UTS or user namespace by `container:<ref>` and looks it up at create,
    // so a hidden one answers as a missing one (measured on 4.3). dockerd stores the mode unread and
    // joins nothing: there it is left as typed.
    if (resolver.daemon.dialect.known()?.name !== 'docker') {
      for (const key of ['UTSMode', 'UsernsMode'] as const) {
        const ref = containerModeRef(host[key]);
        if (ref !== null) host[key] = `${CONTAINER_MODE}${await pin(ref)}`;
      }
    }
    if (Array.isArray(host.VolumesFrom)) {
      const out: Decoded[] = [];
      for (const [i, entry] of host.VolumesFrom.entries()) {
        if (typeof entry !== 'string') throw errors.badRequest('HostConfig.VolumesFrom must hold strings');
        // `ref` or `ref:ro` / `ref:rw`.
        const { ref, readOnly } = parseVolumesFrom(entry);
        const field = `HostConfig.VolumesFrom[${i}]`;
        out.push(`${await pin(ref, { field, kind: 'volumes', readOnly })}${entry.slice(ref.length)}`);
      }
      host.VolumesFrom = out;
    }
    if (Array.isArray(host.Links)) {
      // On a user-defined network the daemon ignores legacy links (registerLinks returns early), so
      // a sentinel there does not make the create fail: it only stands for the typed name.
      const ignored = isUserDefinedNetwork(host.NetworkMode);
      const out: Decoded[] = [];
      for (const entry of host.Links) {
        if (typeof entry !== 'string') throw errors.badRequest('HostConfig.Links must hold strings');
        const { name: ref, alias } = parseLink(entry);
        const before = missing.length;
        out.push(`${await pin(ref)}:${alias}`);
        if (ignored) kept.push(...missing.splice(before));
      }
      host.Links = out;
    }
  }
  const endpoints = asObject(asObject(body.NetworkingConfig)?.EndpointsConfig);
  for (const endpoint of Object.values(endpoints ?? {})) {
    const settings = asObject(endpoint);
    if (!settings || !Array.isArray(settings.Links)) continue;
    const out: Decoded[] = [];
    for (const link of settings.Links) out.push(await endpointLink(link, resolver, kept));
    settings.Links = out;
  }
  // Another owner's image is a missing one: the daemon answers the create as for a missing image.
  const image = ctx.owner ? await createImage(body.Image, ctx.owner, ctx, missing.length) : null;
  if (image) {
    missing.push(image.missing);
    body.Image = image.ref;
  }
  if (ctx.owner) await pinImageMounts(asObject(body.HostConfig), ctx.owner, ctx);
  const named = namedObjects(body);
  if (ctx.create && joins.length > 0) named.volumes.push(...(await checkJoins(ctx.create, joins, resolver)));
  // Last, because it may create a volume: only for a create that will go on as it is.
  if (ctx.create || ctx.owner) await checkNamed(named, ctx, missing);
  const canonical = serializeDecoded(body);
  const refs = [...missing, ...kept];
  if (refs.length > 0) return asMissing(input.raw, refs, canonical);
  return { path: input.raw, treatment: 'cutConflictId', body: canonical };
}

/**
 * What only the daemon can tell about a create: whose a named volume is, and whose (and what) a
 * user-defined network is.
 *
 * A named volume of an owner's create must be its own; one that does not exist yet is made first with
 * the owner label (the daemon would make it without). Without an owner, a named volume is allowed when
 * no container this client cannot see uses it: it may hold a hidden container's data. Either refusal
 * shows that the volume exists, which the daemon's own create would not (it would mount it).
 *
 * For an owner, a network that is not its own answers as one that does not exist. A network whose
 * driver is `host` is the host's network.
 */
async function checkNamed(
  named: Deferred,
  ctx: DecideContext,
  missing: readonly MissingRef[],
): Promise<void> {
  const { resolver, owner, create } = ctx;
  for (const volume of named.volumes) {
    const stored = await resolver.daemon.volume(volume.name);
    // Another owner's volume is refused before its stored options are judged: the refusal must not
    // tell an owner anything about a volume it cannot inspect (review of #19).
    if (owner && stored !== null && !isShown(volumes, stored.labels, owner)) {
      throw createRuleRefusal(
        'volumes',
        volume.field,
        `the volume ${JSON.stringify(volume.name)} is not one this client owns`,
      );
    }
    // An existing volume mounts as it was made, whatever the create says (an administrator's
    // `o=bind,device=/host/dir` volume binds that host path); one that does not exist is made empty.
    if (create && stored !== null) {
      checkStoredVolume(create, volume.field, volume.name, stored, volume.readOnly === true);
    }
    if (owner) {
      const labels = stored?.labels ?? null;
      if (labels === null) {
        // A create answered as for a missing container fails: it must not leave a volume behind. A
        // joined container's volume is the daemon's to find; it is never made for the client.
        if (missing.length > 0 || volume.inherited) continue;
        await makeOwnedVolume(volume, owner, ctx);
      } else if (!isShown(volumes, labels, owner)) {
        throw createRuleRefusal(
          'volumes',
          volume.field,
          `the volume ${JSON.stringify(volume.name)} is not one this client owns`,
        );
      }
    } else {
      const users = await resolver.daemon.volumeUsers(volume.name);
      if (users.some((user) => !resolver.isVisible(user))) {
        throw createRuleRefusal(
          'volumes',
          volume.field,
          `the volume ${JSON.stringify(volume.name)} is used by a container this client may not see`,
        );
      }
    }
  }
  for (const network of named.networks) {
    const found = await resolver.daemon.network(network.name);
    if (create && found !== null && !('ambiguous' in found) && found.driver === 'host') {
      checkHostNamespace(create, 'network', network.field);
    }
    if (!owner || (await ownersNetwork(network.name, owner, ctx, found)) !== null) continue;
    // The daemon creates a container on a network that does not exist (its start fails later): a
    // network that is not the client's, and one that does not exist, are refused alike, in the words
    // the start would use.
    throw errors.asDaemon({ kind: 'missingNetwork', ref: network.name });
  }
}

/** NetworkMode.IsUserDefined: not default, bridge, host, none or a container's. */
function isUserDefinedNetwork(mode: Decoded | undefined): boolean {
  if (typeof mode !== 'string' || mode === '') return false;
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !mode.startsWith(CONTAINER_MODE);
}

function asObject(value: Decoded | undefined): DecodedObject | null {
  return isDecodedObject(value) ? value : null;
}
