import { errors } from '../errors.ts';
import type { NamedVolume } from './container-create-rules.ts';
import { identityFromInspect } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import type { JoinKind } from './inherited-access.ts';
import { alsoJoined, checkJoined, joinedContainer, nextInChain, unjudgedChain } from './inherited-access.ts';
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
    // Each step: a container to judge, the namespace it is joined for, and where the client named it.
    const steps: { ref: string; kind: JoinKind; at: string; first: boolean }[] = [
      { ref: join.id, kind: join.kind, at: join.field, first: true },
    ];
    for (let step = steps.shift(); step !== undefined; step = steps.shift()) {
      if (++inspected > MAX_JOINED) {
        throw errors.refused(
          `a create may join at most ${MAX_JOINED} containers, counted along their own container: modes`,
        );
      }
      const body = await resolver.daemon.inspect(step.ref);
      const identity = identityFromInspect(body);
      if (step.first && identity === null) continue; // gone since it was pinned: the daemon answers for its id
      if (identity === null || (!step.first && !resolver.isVisible(identity))) {
        throw unjudgedChain(join.field, step.kind);
      }
      // Seen before on this join: a cycle, or two modes that meet again (judged once).
      if (seen.has(`${step.kind} ${identity.id}`)) {
        if (step.kind === join.kind) throw unjudgedChain(join.field, step.kind);
        continue;
      }
      seen.add(`${step.kind} ${identity.id}`);
      const joined = joinedContainer(body);
      // An answer without HostConfig is no inspect answer dockscope can judge: unknown, refused.
      if (joined === null) throw errors.refused(`${join.field}: the joined container cannot be judged`);
      const at = step.first
        ? `${step.at}, container ${JSON.stringify(joined.name)}`
        : `${step.at} via ${JSON.stringify(joined.name)}`;
      volumes.push(...checkJoined(rules, at, joined, step.kind, join.readOnly && step.kind === 'volumes'));
      const next = nextInChain(joined, step.kind);
      if (next !== null) steps.push({ ref: next, kind: step.kind, at, first: false });
      // A pid join acts through the joined container's processes, in all of its namespaces.
      for (const other of alsoJoined(joined, step.kind)) steps.push({ ...other, at, first: false });
    }
  }
  return volumes;
}
