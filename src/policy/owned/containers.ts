import type { OwnedScope } from './scope.ts';
import { labelTopLevel, pinnedOr } from './scope.ts';

/**
 * Containers of a client with an owner carry its owner label from their create; whether the client
 * sees one is its container rules' to say (`containers: owned` makes them the owner's, and may add
 * others by name or label), so a container reference is pinned through the client's resolver, and
 * the list and events follow the rules (policy/decide.ts, event-visibility.ts) rather than the label.
 */
export const containers: OwnedScope = {
  type: 'container',
  eventsKeep: false,
  sharesUnlabelled: false,
  async labels(ref, directory) {
    const found = await directory.lookup(ref);
    return found && !('ambiguous' in found) ? (found.labels ?? {}) : null;
  },
  // Container events carry the container's labels among their attributes.
  eventLabels: (attributes) => attributes,
  async pin(ref, _owner, ctx, i = 0) {
    const facts = await ctx.resolver.resolve(ref);
    return pinnedOr(facts?.visible ? facts.id : null, ref, i);
  },
  listQuery: () => null,
  label: labelTopLevel,
  eventKey: (id) => `container:${id}`,
};
