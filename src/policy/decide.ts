import { NETWORK_CREATE, VOLUME_CREATE } from '../body/daemon-types.ts';
import { serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import { createRuleRefusal } from './create-rules.ts';
import { decideBuild, decideBuildCancel } from './decide-build.ts';
import { decideContainer, decideLinkRemoval, decideNetworkConnect } from './decide-container.ts';
import { decideList } from './decide-container-list.ts';
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
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { asMissing, prefix, ROUTE_TREATMENT, withQuery } from './forward.ts';
import { namesMade } from './image-refs.ts';
import { missingRef } from './missing.ts';
import { checkVolumeCreate } from './mount-rules.ts';
import { checkNetworkCreate } from './network-rules.ts';
import { refuseLoad } from './owned/images.ts';
import { networks, ownedNetwork, ownedNetworkCreate } from './owned/networks.ts';
import { decideVolume, ownedVolumeCreate, volumes } from './owned/volumes.ts';
import { decodeFor } from './read-body.ts';

export type { DecideContext, DecideInput, Forwarding, TreatmentName } from './forward.ts';

/** Decides a request before anything is forwarded: default deny, and every container reference checked. */
export async function decide(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  const { route, raw } = input;
  const { resolver, create, owner } = ctx;
  switch (route.kind) {
    case 'plain': {
      // A login, search or distribution inspect makes the daemon contact a registry.
      const body = await checkRegistryRoute(input, ctx);
      // Removing a volume, image or network that is in use answers with the ids of the users.
      const treatment = input.method === 'DELETE' ? 'cutErrorIds' : 'relay';
      return body === undefined ? { path: raw, treatment } : { path: raw, treatment, body };
    }
    case 'refused':
      throw errors.refused(route.reason);
    case 'containerList':
      return decideList(input, resolver);
    case 'networkList':
      return owner
        ? ownedList(input, networks, owner, 'filterNetworkList')
        : { path: raw, treatment: 'filterNetworkList' };
    case 'volumeList':
      return owner ? ownedList(input, volumes, owner, 'relay') : { path: raw, treatment: 'relay' };
    case 'networkInspect': {
      if (!owner) return { path: raw, treatment: 'filterNetworkInspect' };
      const network = await ownedNetwork(input, route.id, owner, ctx);
      return network.missing
        ? asMissing(network.path(''), [network.missing])
        : { path: network.path(''), treatment: 'filterNetworkInspect' };
    }
    case 'networkDelete': {
      if (!owner) return { path: raw, treatment: 'cutErrorIds' };
      const network = await ownedNetwork(input, route.id, owner, ctx);
      return network.missing
        ? asMissing(network.path(''), [network.missing])
        : { path: network.path(''), treatment: 'cutErrorIds' };
    }
    case 'volume':
      return decideVolume(input, route.name, ctx);
    case 'prune':
      return decidePrune(input, route.of, ctx);
    // Forwarded as they are; the response is filtered by the transform of the same name.
    case 'events':
    case 'info':
    case 'systemDf':
      return { path: raw, treatment: ROUTE_TREATMENT[route.kind] };
    case 'imageInspect':
    case 'imageHistory':
      return owner
        ? ownedImageRead(input, route, owner, ctx)
        : { path: raw, treatment: ROUTE_TREATMENT[route.kind] };
    case 'imageList':
      return owner ? ownedImageList(input, owner, ctx) : { path: raw, treatment: 'relay' };
    case 'imageTag':
      return owner ? ownedImageTag(input, route.name, owner, ctx) : { path: raw, treatment: 'relay' };
    case 'imageDelete':
      return owner
        ? ownedImageDelete(input, route.name, owner, ctx)
        : { path: raw, treatment: 'cutErrorIds' };
    case 'imageLoad':
      if (owner) refuseLoad(owner);
      return { path: raw, treatment: 'relay' };
    case 'container':
      return decideContainer(input, route, ctx);
    case 'containerLink':
      return decideLinkRemoval(input, route, resolver);
    case 'exec': {
      const owner = await resolver.execContainer(route.id);
      if (owner?.visible) return { path: raw, treatment: 'relay' };
      const ref = missingRef(route.id);
      return asMissing(
        withQuery(`${prefix(input.target)}/exec/${ref.sentinel}/${route.action}`, input.target.rawQuery),
        [ref],
      );
    }
    case 'containerCreate':
      return decideCreate(input, ctx);
    // Swarm objects (issue #24): decide-swarm.ts.
    case 'swarmList':
      return owner
        ? ownedList(input, OWNED_SWARM[route.of], owner, 'filterSwarmList')
        : { path: raw, treatment: 'filterSwarmList' };
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
      if (!owner) return { path: raw, treatment: 'relay', body: serializeDecoded(body) };
      return { path: raw, treatment: 'checkVolumeOwner', body: await ownedVolumeCreate(body, owner, ctx) };
    }
    case 'networkCreate': {
      const body = await decodeFor(ctx, await input.readBody(), NETWORK_CREATE);
      if (create) checkNetworkCreate(create, body);
      if (!owner) return { path: raw, treatment: 'relay', body: serializeDecoded(body) };
      return { path: raw, treatment: 'dropNetworkWarning', body: await ownedNetworkCreate(body, owner, ctx) };
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
      return { path: raw, treatment: 'relay' };
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
          treatment: 'relay',
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
      return { path: raw, treatment: 'relay' };
    case 'imageCreate':
      return decideImageCreate(input, ctx);
    case 'networkConnect':
      return decideNetworkConnect(input, route, ctx);
    case 'imageExport':
    case 'imagePush':
      return decideImageOut(input, route, ctx);
  }
}
