import { COMMIT_CONFIG } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { mapOf, newObject, serializeDecoded, string } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import { BUILTIN_NETWORK_MODES } from './create-rules.ts';
import { checkTargets } from './decide-image-names.ts';
import type { DecideContext, DecideInput, Forwarding } from './forward.ts';
import { prefix, withQuery } from './forward.ts';
import { targetName } from './image-refs.ts';
import { missingRef } from './missing.ts';
import { images } from './owned/images.ts';
import { ownersNetwork } from './owned/networks.ts';
import type { OwnedScope } from './owned/scope.ts';
import { ownerQuery } from './owned/scope.ts';
import { withOwnedChanges } from './owned-changes.ts';
import type { Ownership } from './ownership.ts';
import { withOwnerLabel } from './ownership.ts';
import { decodeFor } from './read-body.ts';

/**
 * Lists, prunes, commits and builds of a client with an owner: the daemon scopes lists and prunes
 * itself (a label filter is added, policy/owned/scope.ts), commits and builds label the image they
 * make. Each kind's own scope is in policy/owned/.
 */

/**
 * A list of an owned kind (`GET /volumes`, `GET /networks`): only the owner's, by the scope's query
 * (the daemon filters); a kind whose list is filtered on its answer goes on as sent.
 */
export function ownedList(
  input: DecideInput,
  scope: OwnedScope,
  owner: Ownership,
  treatment: Forwarding['treatment'],
): Forwarding {
  const query = scope.listQuery(input.target, owner);
  if (query === null) return { path: input.raw, treatment };
  return { path: withQuery(`${prefix(input.target)}${input.target.path}`, query), treatment };
}

/**
 * Prunes. Container prune would remove stopped containers the client cannot see: it is allowed only to
 * a client that sees every container, or to one with an owner that sees what it owns (then only its
 * own are pruned); volume, network and image prunes of an owner are scoped to its own (images: those
 * built or committed through it), and pass unchanged for a client without one. The build cache is shared and carries no owner: an owner's
 * build cache prune is sent with a filter no cache record matches, so the daemon answers it and
 * prunes nothing (`docker system prune` of one CI job must not pull the cache from under another's
 * running build).
 */
export function decidePrune(
  input: DecideInput,
  of: 'containers' | 'volumes' | 'networks' | 'images' | 'build',
  ctx: DecideContext,
): Forwarding {
  const { owner, resolver } = ctx;
  // A client that sees every container removes only what it could see (issue #20: docker-py's
  // containers.prune() and `docker system prune` with no rules were refused).
  if (of === 'containers' && !resolver.seesAll && !(owner && resolver.includesOwned)) {
    throw errors.refused('pruning would remove containers this client cannot see');
  }
  if (!owner) return { path: input.raw, treatment: 'relay' };
  if (of === 'build') {
    const nothing = new URLSearchParams({
      filters: JSON.stringify({ id: { [missingRef('').sentinel]: true } }),
    });
    return { path: withQuery(`${prefix(input.target)}/build/prune`, nothing), treatment: 'relay' };
  }
  return {
    path: withQuery(`${prefix(input.target)}/${of}/prune`, ownerQuery(input.target, owner)),
    treatment: 'relay',
  };
}

/**
 * `POST /commit` of an owner: the image carries its owner label, in the config body and as the last of
 * the `changes` (which the daemon applies over the body), and `changes` may not set it to another
 * value (`owned-changes.ts`). Returns the query and the body to forward.
 */
export async function ownedCommit(
  input: DecideInput,
  query: URLSearchParams,
  owner: Ownership,
  ctx: Pick<DecideContext, 'resolver'>,
): Promise<{ query: URLSearchParams; body: string }> {
  const judged = withOwnedChanges(query, owner);
  const text = await input.readBody();
  const body =
    text.trim() === '' || text.trim() === 'null' ? newObject() : await decodeFor(ctx, text, COMMIT_CONFIG);
  images.label(body, owner);
  return { query: judged, body: serializeDecoded(body) };
}

/**
 * `/build`: the image it makes carries the owner label (the `labels` query, a JSON map), and its steps
 * run on a network of the client's (or a built-in one), pinned to its id. A network that is not the
 * client's is refused in the same words whether it exists or not.
 */
export async function ownedBuild(input: DecideInput, owner: Ownership, ctx: DecideContext): Promise<string> {
  const query = new URLSearchParams(input.target.query);
  const mode = query.get('networkmode') ?? '';
  if (!BUILTIN_NETWORK_MODES.has(mode) && !mode.startsWith('container:')) {
    const facts = await ownersNetwork(mode, owner, ctx);
    if (!facts) {
      throw errors.refused(
        `the build's networkmode ${JSON.stringify(mode)} is not one of this client's networks`,
      );
    }
    query.set('networkmode', facts.id);
  }
  // Each `t` names the image made: none may move a name of an image the client may not manage.
  await checkTargets(
    query.getAll('t').flatMap((t) => targetName(t, '') ?? []),
    owner,
    ctx,
  );
  const raw = query.get('labels');
  const given = raw ? decodeBody(raw, mapOf(string)) : undefined;
  query.set('labels', serializeDecoded(withOwnerLabel(given, owner, 'the labels query')));
  return withQuery(`${prefix(input.target)}/build`, query);
}
