import type { Decoded } from '../body/go-decode.ts';
import { isDecodedObject } from '../body/go-decode.ts';
import { errors, withRule } from '../errors.ts';
import type { DecideContext } from './forward.ts';

/**
 * Labels under `dockscope.` are dockscope's: `dockscope.client=<name>` makes a caller container that
 * client (issue #23), `dockscope.owner` is ownership's. A restricted client that could set them would
 * label itself into another client, so its creates may not; the owner label is ownership's
 * to judge (its own value passes, as tools that copy a container's labels send it).
 */
const RESERVED_PREFIX = 'dockscope.';

/**
 * Restricted: anything but a client that sees every container with no create rules and no owner (one
 * the configuration already trusts with privileged containers, root on the host).
 */
export function isRestricted(ctx: DecideContext): boolean {
  return ctx.create !== null || ctx.owner !== null || !ctx.resolver.seesAll;
}

/** Refuses (403) a restricted client's create `Labels` that set a `dockscope.*` label. */
export function refuseReservedLabels(labels: Decoded | undefined, ctx: DecideContext): void {
  if (!isRestricted(ctx) || !isDecodedObject(labels)) return;
  for (const key of Object.keys(labels)) {
    // Compared in any letter case: a key that differs only in case is refused too, not worth the doubt.
    if (!key.toLowerCase().startsWith(RESERVED_PREFIX) || key === ctx.owner?.key) continue;
    throw withRule(
      errors.refused(
        `Labels sets the label ${JSON.stringify(key)}: labels under dockscope. are dockscope's own, and this client may not set them`,
      ),
      'labels',
    );
  }
}
