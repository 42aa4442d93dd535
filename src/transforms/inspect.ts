import { identityFromInspect, isObject } from '../policy/container-facts.ts';
import type { ContainerResolver } from '../policy/resolver.ts';

export type InspectOutcome = { readonly visible: false } | { readonly visible: true; readonly body: unknown };

/**
 * Judges a container inspect body by its own Name and labels (no extra look-up, always fresh),
 * and blanks Config.Env when SCRUB_ENVS is on. A body that is not a container inspect is not shown.
 */
export function filterInspect(
  body: unknown,
  resolver: ContainerResolver,
  scrubEnvs: boolean,
): InspectOutcome {
  const identity = identityFromInspect(body);
  if (!identity || !isObject(body)) return { visible: false };
  const facts = resolver.remember(identity);
  if (!facts.visible) return { visible: false };
  if (scrubEnvs && isObject(body.Config)) body.Config.Env = [];
  return { visible: true, body };
}
