import { LIST_FILTERS } from '../../body/daemon-types.ts';
import { decodeBody } from '../../body/decode-body.ts';
import type { DecodedObject } from '../../body/go-decode.ts';
import type { RequestTarget } from '../../routes/target.ts';
import type { ContainerDirectory } from '../directory.ts';
import type { DecideContext } from '../forward.ts';
import type { MissingRef } from '../missing.ts';
import { missingRef } from '../missing.ts';
import type { Ownership } from '../ownership.ts';
import { addOwnerFilter, withOwnerLabel } from '../ownership.ts';

/**
 * Ownership of one resource kind (issue #21): what makes an object of the kind a client's own, how a
 * reference to one is pinned, how its list is scoped, how a create of one is labelled, and the key an
 * event of it is remembered by. One file per kind in policy/owned/; a kind brought under ownership is
 * one more file, plus its call sites.
 */
export interface OwnedScope {
  /** The event `Type` of the kind (`volume`, `network`, ...). */
  readonly type: string;
  /** Whether an object no owner labelled is shown to an owner (images: the shared base images). */
  readonly sharesUnlabelled: boolean;
  /**
   * Whether an event stream keeps its first decision about an object for the stream's life (volumes
   * and networks: their labels are fixed at create; a create event is judged afresh, a name can be
   * made again), or judges each event afresh (images, swarm objects), falling back on the kept
   * decision once the object is gone.
   */
  readonly eventsKeep: boolean;
  /** The labels of the object a reference names, looked up now; null when there is none. */
  labels(ref: string, directory: ContainerDirectory): Promise<Labels | null>;
  /** The labels an event carries for its object, when it carries them; undefined: look them up. */
  eventLabels(attributes: Labels, owner: Ownership): Labels | undefined;
  /**
   * What a request naming `ref` is sent with: the full id of an object the client may touch, or the
   * sentinel of a missing one (another owner's answers exactly as one that does not exist). The i-th
   * sentinel of its request.
   */
  pin(ref: string, owner: Ownership, ctx: DecideContext, i?: number): Promise<Pinned>;
  /** The list's query with the owner's label filter; null: the list is filtered on its answer. */
  listQuery(target: RequestTarget, owner: Ownership): URLSearchParams | null;
  /** A create's body with the owner label set where the kind keeps its labels (another value refused). */
  label(body: DecodedObject, owner: Ownership): DecodedObject;
  /** The key an event's object is remembered by for the life of one stream. */
  eventKey(actorId: string): string;
}

export type Labels = Readonly<Record<string, unknown>>;

/** A reference as it is sent on: the judged id (missing null), or a sentinel for a missing object. */
export interface Pinned {
  readonly ref: string;
  readonly missing: MissingRef | null;
}

/** Whose an object is for an owner: its own, nobody's (no owner label), or another owner's. */
type Whose = 'own' | 'shared' | 'foreign';

export function whose(labels: Labels | null | undefined, owner: Ownership): Whose {
  const value = labels?.[owner.key];
  if (value === undefined) return 'shared';
  return value === owner.owner ? 'own' : 'foreign';
}

/** Whether an owner sees an object of the scope's kind with these labels (null: it does not exist). */
export function isShown(scope: OwnedScope, labels: Labels | null, owner: Ownership): boolean {
  if (labels === null) return false;
  const w = whose(labels, owner);
  return w === 'own' || (w === 'shared' && scope.sharesUnlabelled);
}

/** The request's query with the owner's label filter added to `filters` (the daemon scopes the list). */
export function ownerQuery(target: RequestTarget, owner: Ownership): URLSearchParams {
  const query = new URLSearchParams(target.query);
  const raw = query.get('filters');
  // Refuses duplicate keys, so that JSON.parse reads what the daemon's decoder reads.
  if (raw) decodeBody(raw, LIST_FILTERS);
  query.set('filters', addOwnerFilter(raw, owner));
  return query;
}

/** What a reference is sent as: the id judged, or (null) the i-th sentinel, standing for `ref`. */
export function pinnedOr(id: string | null, ref: string, i: number): Pinned {
  if (id !== null) return { ref: id, missing: null };
  const missing = missingRef(ref, i);
  return { ref: missing.sentinel, missing };
}

/** A create body whose top-level `Labels` get the owner label (the kinds whose spec keeps them there). */
export function labelTopLevel(body: DecodedObject, owner: Ownership): DecodedObject {
  body.Labels = withOwnerLabel(body.Labels, owner, 'Labels');
  return body;
}
