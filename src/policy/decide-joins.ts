import { errors } from '../errors.ts';
import { identityFromInspect } from './container-facts.ts';
import type { CreateRules, NamedVolume } from './create-rules.ts';
import type { JoinKind } from './inherited-access.ts';
import { checkJoined, joinedContainer, nextInChain, unjudgedChain } from './inherited-access.ts';
import type { ContainerResolver } from './resolver.ts';

/** A visible container a create joins, pinned to the full id that was judged visible. */
export interface Join {
  /** The field of the client's request, e.g. `HostConfig.VolumesFrom[0]`. */
  readonly field: string;
  readonly id: string;
  readonly kind: JoinKind;
  /** `VolumesFrom` with `:ro`: every mount of the joined container becomes read-only. */
  readonly readOnly: boolean;
}

/**
 * Containers inspected for one create, chains included: a body may list many `VolumesFrom`, and each
 * inspect is an upstream request, so past this the create is refused rather than judged slowly.
 */
export const MAX_JOINED = 16;

/**
 * Judges what the joined containers would give the new one (see inherited-access.ts), each inspected
 * fresh by its full id. A container that joins another's namespace hands on that one's namespace: the
 * chain is followed, each container on it judged alike, and a chain through a container the client
 * may not see, or one that is gone, is refused (with the same words, so the two answer alike). The
 * first container needs no visibility check: the create is pinned to it as judged. Returns the named
 * volumes the joins mount, to be judged with the create's own.
 */
export async function checkJoins(
  rules: CreateRules,
  joins: readonly Join[],
  resolver: ContainerResolver,
): Promise<NamedVolume[]> {
  const volumes: NamedVolume[] = [];
  let inspected = 0;
  for (const join of joins) {
    const seen = new Set<string>();
    let ref = join.id;
    let at = join.field;
    for (let hop = 0; ; hop++) {
      if (++inspected > MAX_JOINED) {
        throw errors.refused(
          `a create may join at most ${MAX_JOINED} containers, counted along their own container: modes`,
        );
      }
      const body = await resolver.directory.inspect(ref);
      const identity = identityFromInspect(body);
      if (hop === 0 && identity === null) break; // gone since it was pinned: the daemon answers for its id
      if (identity === null || seen.has(identity.id) || (hop > 0 && !resolver.isVisible(identity))) {
        throw unjudgedChain(join.field, join.kind);
      }
      seen.add(identity.id);
      const joined = joinedContainer(body);
      // An answer without HostConfig is no inspect answer dockscope can judge: unknown, refused.
      if (joined === null) throw errors.refused(`${join.field}: the joined container cannot be judged`);
      at =
        hop === 0
          ? `${at}, container ${JSON.stringify(joined.name)}`
          : `${at} via ${JSON.stringify(joined.name)}`;
      volumes.push(...checkJoined(rules, at, joined, join.kind, join.readOnly));
      const next = nextInChain(joined, join.kind);
      if (next === null) break;
      ref = next;
    }
  }
  return volumes;
}
