import type { ContainerResolver } from '../policy/resolver.ts';

/** What stands in a visible answer where it named a container the client may not see. */
export const HIDDEN_REF = '<hidden>';

/** Whether a container named by a link (its name) is one the client may see. */
export async function linkNamesVisible(name: string, resolver: ContainerResolver): Promise<boolean> {
  return name !== '' && ((await resolver.resolveOrNull(name))?.visible ?? false);
}

/**
 * A container's `Names` in a list: its own name, and `/<parent>/<alias>` for every legacy link another
 * container (the parent) made to it. A link entry names the parent, so one whose parent the client may
 * not see is removed. Lists are filtered as they stream, with no look-up, so the parent is judged by
 * its name alone: a parent visible only through its labels loses its link entries too (fail closed).
 */
export function visibleNames(names: readonly unknown[], nameVisible: (name: string) => boolean): unknown[] {
  return names.filter((entry) => {
    if (typeof entry !== 'string') return false;
    const bare = entry.replace(/^\//, '');
    const slash = bare.indexOf('/');
    return slash === -1 || nameVisible(bare.slice(0, slash));
  });
}
