import { COMMIT_CONFIG, LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { mapOf, newObject, serializeDecoded, string } from '../body/go-decode.ts';
import { DockerApiError, errors } from '../errors.ts';
import type { RequestTarget } from '../routes/target.ts';
import { BUILTIN_NETWORK_MODES } from './create-rules.ts';
import { checkTargets } from './decide-image-names.ts';
import type { ContainerDirectory, NetworkFacts } from './directory.ts';
import type { DecideContext, DecideInput, Forward } from './forward.ts';
import { asMissing, prefix } from './forward.ts';
import { targetName } from './image-refs.ts';
import { missingRef } from './missing.ts';
import { withOwnedChanges } from './owned-changes.ts';
import type { Ownership } from './ownership.ts';
import { addOwnerFilter, isOwned, withOwnerLabel } from './ownership.ts';
import { decodeFor } from './read-body.ts';

/**
 * Volumes, networks and prunes of a client with an owner: the daemon scopes lists and prunes itself
 * (a label filter is added), and a volume or network that is not the client's answers exactly as a
 * missing one (the request goes on with a sentinel in its place, as for containers).
 */

function withQuery(path: string, query: URLSearchParams): string {
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The request's query with the owner's label filter added to `filters`. */
export function ownerQuery(target: RequestTarget, owner: Ownership): URLSearchParams {
  const query = new URLSearchParams(target.query);
  const raw = query.get('filters');
  // Refuses duplicate keys, so that JSON.parse reads what the daemon's decoder reads.
  if (raw) decodeBody(raw, LIST_FILTERS);
  query.set('filters', addOwnerFilter(raw, owner));
  return query;
}

/** `GET /volumes`, `GET /networks`: only the owner's. */
export function ownedList(input: DecideInput, owner: Ownership, response: Forward['response']): Forward {
  return {
    path: withQuery(`${prefix(input.target)}${input.target.path}`, ownerQuery(input.target, owner)),
    response,
  };
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
): Forward {
  const { owner, resolver } = ctx;
  // A client that sees every container removes only what it could see (issue #20: docker-py's
  // containers.prune() and `docker system prune` with no rules were refused).
  if (of === 'containers' && !resolver.seesAll && !(owner && resolver.includesOwned)) {
    throw errors.refused('pruning would remove containers this client cannot see');
  }
  if (!owner) return { path: input.raw, response: 'raw' };
  if (of === 'build') {
    const nothing = new URLSearchParams({
      filters: JSON.stringify({ id: { [missingRef('').sentinel]: true } }),
    });
    return { path: withQuery(`${prefix(input.target)}/build/prune`, nothing), response: 'raw' };
  }
  return {
    path: withQuery(`${prefix(input.target)}/${of}/prune`, ownerQuery(input.target, owner)),
    response: 'raw',
  };
}

/** `GET` or `DELETE /volumes/{name}`. */
export async function decideVolume(input: DecideInput, name: string, ctx: DecideContext): Promise<Forward> {
  const response = input.method === 'DELETE' ? 'errorIds' : 'raw';
  if (!ctx.owner) return { path: input.raw, response };
  const labels = await ctx.resolver.directory.volumeLabels(name);
  if (labels && isOwned(labels, ctx.owner)) return { path: input.raw, response };
  const ref = missingRef(name);
  return asMissing(withQuery(`${prefix(input.target)}/volumes/${ref.sentinel}`, input.target.query), [ref]);
}

/**
 * A route naming a network (`GET`/`DELETE /networks/{id}`, connect, disconnect): the client's own is
 * pinned to its full id; another's answers as a missing one.
 */
export async function ownedNetwork(
  input: DecideInput,
  ref: string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<{
  readonly path: (rest: string) => string;
  readonly missing: ReturnType<typeof missingRef> | null;
}> {
  const facts = await ownersNetwork(ref, owner, ctx);
  const missing = facts ? null : missingRef(ref);
  const id = facts ? facts.id : (missing?.sentinel ?? '');
  return {
    path: (rest) => withQuery(`${prefix(input.target)}/networks/${id}${rest}`, input.target.query),
    missing,
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
  body.Labels = withOwnerLabel(body.Labels, owner, 'Labels');
  return { query: judged, body: serializeDecoded(body) };
}

/**
 * The owner's network a reference names, or null when it names none of the owner's. An id prefix
 * several networks share (the daemon refuses it, counting the others' too) is resolved among the
 * owner's networks: one is that one, none is a missing network, several is the daemon's refusal
 * counting the owner's only.
 */
export async function ownersNetwork(
  ref: string,
  owner: Ownership,
  ctx: DecideContext,
  /** The daemon's answer for `ref`, when the caller has already asked for it. */
  known?: Awaited<ReturnType<ContainerDirectory['network']>>,
): Promise<NetworkFacts | null> {
  const directory = ctx.resolver.directory;
  const found = known !== undefined ? known : await directory.network(ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return isOwned(found.labels, owner) ? found : null;
  const mine = (await directory.networksLabelled(`${owner.key}=${owner.owner}`)).filter(
    (n) => n.id.startsWith(ref) || n.name === ref,
  );
  if (mine.length > 1) {
    throw new DockerApiError(
      400,
      `network ${ref} is ambiguous (${mine.length} matches found based on ID prefix)`,
      'invalid',
    );
  }
  return mine[0] ?? null;
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
