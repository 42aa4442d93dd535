import { errors } from '../../errors.ts';
import type { SwarmKind } from '../../routes/route.ts';
import type { SwarmIdentity } from '../../upstream/swarm-lookups.ts';
import { lookupSwarmObject, SINGULAR, swarmObjectsByPrefix } from '../../upstream/swarm-lookups.ts';
import type { DecideContext } from '../forward.ts';
import type { Ownership } from '../ownership.ts';
import type { ContainerResolver } from '../resolver.ts';
import type { OwnedScope } from './scope.ts';
import { labelTopLevel, ownerQuery, pinnedOr, whose } from './scope.ts';

/**
 * What services, secrets and configs share under ownership (issue #24): an object is the client's
 * when its `Spec.Labels` carry the owner label, and a client with an owner sees only its own, within
 * its container rules (a service's name and labels are judged by them as a container's are). Another
 * owner's, and one of nobody's, answer exactly as a missing one. Looked up fresh: a swarm object's
 * labels change with every update.
 */
export function swarmScope(of: SwarmKind): OwnedScope {
  const scope: OwnedScope = {
    type: SINGULAR[of],
    sharesUnlabelled: false,
    eventsKeep: false,
    async labels(ref, directory) {
      const found = await lookupSwarmObject(directory.daemon, of, ref);
      return found && !('ambiguous' in found) ? found.labels : null;
    },
    // Swarm events carry the object's name, not its labels.
    eventLabels: () => undefined,
    async pin(ref, owner, ctx, i = 0) {
      return pinnedOr(await shownObjectId(ctx.resolver, owner, of, ref), ref, i);
    },
    // The daemon's service, secret and config lists take label filters, all of which must hold.
    listQuery: ownerQuery,
    label: labelTopLevel,
    eventKey: (id) => `${of}:${id}`,
  };
  return scope;
}

/**
 * Whether a client sees a swarm object: by its container rules, and with an owner only its own. For
 * answers (lists, inspects, events) as well as decisions.
 */
export function isSwarmShown(
  resolver: ContainerResolver,
  owner: Ownership | null,
  identity: SwarmIdentity | null,
): boolean {
  if (identity === null || !resolver.isVisible(identity)) return false;
  return owner === null || whose(identity.labels, owner) === 'own';
}

/** Whether every swarm object is shown as it is (no rules, no owner): nothing needs judging. */
export function seesAllSwarm(ctx: Pick<DecideContext, 'resolver' | 'owner'>): boolean {
  return ctx.resolver.seesAll && ctx.owner === null;
}

/**
 * A reference resolved among the objects this client may see, in the daemon's order (full id, name, id
 * prefix): the full id of a shown one, or null for a hidden, another owner's or missing one. An id
 * prefix several objects share is resolved among the shown ones only, so that the daemon's "ambiguous
 * (n matches)" never counts the others.
 */
export async function shownObjectId(
  resolver: ContainerResolver,
  owner: Ownership | null,
  of: SwarmKind,
  ref: string,
): Promise<string | null> {
  const found = await lookupSwarmObject(resolver.daemon, of, ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return isSwarmShown(resolver, owner, found) ? found.id : null;
  const shown = (await swarmObjectsByPrefix(resolver.daemon, of, ref)).filter((o) =>
    isSwarmShown(resolver, owner, o),
  );
  if (shown.length > 1)
    throw errors.asDaemon({ kind: 'ambiguous', what: SINGULAR[of], ref, count: shown.length });
  return shown[0]?.id ?? null;
}
