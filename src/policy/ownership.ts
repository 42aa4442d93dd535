import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject, newObject } from '../body/go-decode.ts';
import { DockerApiError } from '../errors.ts';

/**
 * Ownership: every container, volume, network and built image a client creates carries the owner
 * label with the client's owner value, set by dockscope; a client cannot set it itself. Containers
 * are then visible by it (`containers: owned`), and volumes and networks are scoped by it.
 */
export interface Ownership {
  /** The label key, `dockscope.owner` unless configured otherwise. */
  readonly key: string;
  readonly owner: string;
  /**
   * Images no owner labelled (pulled or loaded base images) are read and run by every owner; with
   * `manage` this client may also remove and tag them and move their names (issue #23). Default `use`.
   */
  readonly sharedImages?: 'use' | 'manage';
}

export const DEFAULT_OWNER_LABEL = 'dockscope.owner';

export function isOwned(labels: Readonly<Record<string, unknown>> | null | undefined, o: Ownership): boolean {
  return labels?.[o.key] === o.owner;
}

/**
 * The labels a create is forwarded with: the client's, with the owner label set. A client that gives
 * the label another value is refused (the same value is what dockscope would set: tools that copy a
 * container's labels send it).
 */
export function withOwnerLabel(labels: Decoded | undefined, o: Ownership, field: string): DecodedObject {
  const out = newObject();
  if (isObject(labels)) Object.assign(out, labels);
  const given = out[o.key];
  if (given !== undefined && given !== o.owner) throw ownerLabelRefusal(field, o);
  out[o.key] = o.owner;
  return out;
}

/** The refusal of a client's own value for the owner label, wherever it gave one. */
export function ownerLabelRefusal(field: string, o: Ownership): DockerApiError {
  return new DockerApiError(
    403,
    `dockscope: ${field} sets the label ${o.key}, which dockscope sets to this client's owner (${o.owner})`,
    'refused',
  );
}

/** The daemon reads filters in one form or the other for the whole object, never a mix. */
export function isLegacyForm(filters: Record<string, unknown>): boolean {
  return Object.values(filters).some(Array.isArray);
}

/** A filter's values in the form of the rest: `["a"]` (legacy) or `{"a": true}`. */
export function filterValues(values: readonly string[], legacy: boolean): string[] | Record<string, true> {
  return legacy ? [...values] : Object.fromEntries(values.map((v) => [v, true]));
}

/**
 * A `filters` query with `label=<key>=<owner>` added, for lists and prunes the daemon scopes itself
 * (its label filters must all hold). Both forms of filters.Args are kept: `{"label":{"a=b":true}}`
 * and the legacy `{"label":["a=b"]}`. The caller has checked the JSON has no duplicate keys.
 */
export function addOwnerFilter(raw: string | null, o: Ownership): string {
  const filters = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
    throw new DockerApiError(400, 'dockscope: filters must be a JSON object', 'invalid');
  }
  const wanted = `${o.key}=${o.owner}`;
  const label = filters.label;
  if (Array.isArray(label)) filters.label = [...label, wanted];
  else if (label === undefined && isLegacyForm(filters)) filters.label = [wanted];
  else if (label !== undefined && (typeof label !== 'object' || label === null)) {
    throw new DockerApiError(400, 'dockscope: the label filter must be an object or a list', 'invalid');
  } else filters.label = { ...(label as Record<string, unknown> | undefined), [wanted]: true };
  return JSON.stringify(filters);
}

/**
 * A create of a name another client's volume or network holds: the daemon would answer with that
 * object (or make a second one). Refused, which shows that the name is taken, as the daemon's own
 * conflict does; nothing else of the object is shown.
 */
export function nameTaken(kind: 'volume' | 'network', name: string): DockerApiError {
  return new DockerApiError(
    409,
    `dockscope: a ${kind} named ${JSON.stringify(name)} exists and is not this client's`,
    'refused',
  );
}
