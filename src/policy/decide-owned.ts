import { LIST_FILTERS } from '../body/daemon-types.ts';
import { decodeBody } from '../body/decode-body.ts';
import { mapOf, serializeDecoded, string } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { RequestTarget } from '../routes/target.ts';
import type { DecideContext, DecideInput, Forward } from './decide.ts';
import { missingRef } from './missing.ts';
import type { Ownership } from './ownership.ts';
import { addOwnerFilter, isOwned, withOwnerLabel } from './ownership.ts';
import { asMissing } from './references.ts';

/**
 * Volumes, networks and prunes of a client with an owner: the daemon scopes lists and prunes itself
 * (a label filter is added), and a volume or network that is not the client's answers exactly as a
 * missing one (the request goes on with a sentinel in its place, as for containers).
 */

function prefix(target: RequestTarget): string {
  return target.version === null ? '' : `/v${target.version}`;
}

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
 * a client with an owner that sees what it owns (then only its own are pruned); volume and network
 * prunes of an owner are scoped to its own, and pass unchanged for a client without one.
 */
export function decidePrune(
  input: DecideInput,
  of: 'containers' | 'volumes' | 'networks',
  ctx: DecideContext,
): Forward {
  const { owner, resolver } = ctx;
  if (of === 'containers' && !(owner && (resolver.seesAll || resolver.includesOwned))) {
    throw errors.refused('pruning would remove containers this client cannot see');
  }
  if (!owner) return { path: input.raw, response: 'raw' };
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
  const facts = await ctx.resolver.directory.network(ref);
  const owned = facts !== null && isOwned(facts.labels, owner);
  const missing = owned ? null : missingRef(ref);
  const id = owned ? facts.id : (missing?.sentinel ?? '');
  return {
    path: (rest) => withQuery(`${prefix(input.target)}/networks/${id}${rest}`, input.target.query),
    missing,
  };
}

/** `/build`: the image it makes carries the owner label (the `labels` query, a JSON map). */
export function ownedBuild(input: DecideInput, owner: Ownership): string {
  const query = new URLSearchParams(input.target.query);
  const raw = query.get('labels');
  const given = raw ? decodeBody(raw, mapOf(string)) : undefined;
  query.set('labels', serializeDecoded(withOwnerLabel(given, owner, 'the labels query')));
  return withQuery(`${prefix(input.target)}/build`, query);
}
