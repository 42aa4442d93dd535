import { errors } from '../errors.ts';
import type { ImageFacts } from '../upstream/daemon-client.ts';
import { createRuleRefusal } from './create-rules.ts';
import { checkRegistryRoute } from './decide-registry.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { prefix } from './forward.ts';
import type { ImageOwner } from './image-refs.ts';
import { imageOwner, mayManage, namesMade, pulledNames } from './image-refs.ts';
import { withOwnedChanges } from './owned-changes.ts';
import type { Ownership } from './ownership.ts';

/**
 * Whose image a reference names, and the names a request would make or move (issue #23): a tag, a
 * build's `t`, a commit's or an import's `repo:tag`, the name a pull stores. Moving a name held by an
 * image the client may not manage is image poisoning (the other job's next `docker run` starts this
 * job's code), so it is refused.
 */

interface JudgedImage {
  readonly facts: ImageFacts;
  readonly whose: ImageOwner;
}

/** The image a reference names now, and whose it is; null when the daemon finds none. */
export async function judgeImage(
  ref: string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<JudgedImage | null> {
  const facts = await ctx.resolver.daemon.image(ref);
  return facts ? { facts, whose: imageOwner(facts.labels, owner) } : null;
}

/**
 * The refusal of a name that points at an image the client may not manage. It shows that the name is
 * held, as a volume create of a held name does (docs/security.md): the daemon would move it, so no
 * missing answer exists.
 */
function nameHeld(name: string): never {
  throw errors.refused(
    `the name ${JSON.stringify(name)} points at an image this client does not own; it is not moved`,
  );
}

/**
 * Names a request would make or move (`repo:tag` of a tag, commit or import, each `t` of a build, the
 * name a pull stores): each must be free, the client's own, or (with a pull, or `sharedImages:
 * manage`) nobody's. `except` is the image being tagged: naming it again moves nothing.
 */
export async function checkTargets(
  names: readonly string[],
  owner: Ownership,
  ctx: DecideContext,
  options: { readonly except?: string; readonly sharedMayMove?: boolean } = {},
): Promise<void> {
  for (const name of names) {
    const held = await judgeImage(name, owner, ctx);
    if (held === null || held.facts.id === options.except) continue;
    if (held.whose === 'shared' && options.sharedMayMove) continue;
    if (!mayManage(held.whose, owner)) nameHeld(name);
  }
}

/**
 * `POST /images/create`: a pull, or an import (`fromSrc` may be a URL the daemon fetches). With an
 * owner, a pull stores the registry's image under its name: it may replace nobody's (a base image's
 * newer version), never another owner's; an import is labelled through its `changes`, and the name it
 * makes may not move one of an image the client may not manage.
 */
export async function decideImageCreate(input: DecideInput, ctx: DecideContext): Promise<Forwarding> {
  const { create, owner } = ctx;
  const query = input.target.query;
  await checkRegistryRoute(input, ctx);
  const source = query.get('fromSrc') ?? '';
  if (create && !create.fetch && source !== '' && source !== '-') {
    throw createRuleRefusal(
      'fetch',
      'the fromSrc query',
      "the daemon would fetch it from the host's network",
    );
  }
  if (!owner) return { path: input.raw, treatment: 'relay' };
  const from = query.get('fromImage');
  if (from) {
    await checkTargets(pulledNames(from, query.get('tag') ?? ''), owner, ctx, { sharedMayMove: true });
    return { path: input.raw, treatment: 'relay' };
  }
  // Without fromImage the daemon imports, and applies `changes` to the image's config.
  await checkTargets(namesMade(query), owner, ctx);
  return {
    path: `${prefix(input.target)}${input.target.path}?${withOwnedChanges(query, owner)}`,
    treatment: 'relay',
  };
}
