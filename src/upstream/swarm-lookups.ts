import { asLabels, isObject } from '../policy/container-facts.ts';
import type { ContainerIdentity } from '../policy/matcher.ts';
import type { SwarmKind } from '../routes/route.ts';
import type { DaemonClient } from './daemon-client.ts';

/**
 * Swarm objects as the container rules see them (issue #24): a service, secret or config by its
 * `Spec.Name` and `Spec.Labels`, judged by the client's compiled matcher exactly as a container's name
 * and labels are. Nothing here is cached: unlike a container's, a service's labels change with every
 * `docker service update --label-add`, so each decision looks them up fresh.
 */
export interface SwarmIdentity extends ContainerIdentity {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** What a look-up found: the object, none (or an error the daemon will repeat), or a shared id prefix. */
type SwarmFound = SwarmIdentity | null | { readonly ambiguous: true };

/** The daemon's word for one object of a kind, as its error messages spell it. */
export const SINGULAR: Readonly<Record<SwarmKind, string>> = {
  services: 'service',
  secrets: 'secret',
  configs: 'config',
};

/** The identity of a service, secret or config as the daemon answers it; null when the body is not one. */
export function swarmIdentity(body: unknown): SwarmIdentity | null {
  if (!isObject(body) || typeof body.ID !== 'string' || body.ID === '') return null;
  const spec = isObject(body.Spec) ? body.Spec : {};
  return {
    id: body.ID,
    name: typeof spec.Name === 'string' ? spec.Name : '',
    labels: asLabels(spec.Labels),
  };
}

/** A task's own id and the service it belongs to; null when the body is not a task. */
export function taskIdentity(body: unknown): { readonly id: string; readonly serviceId: string } | null {
  if (!isObject(body) || typeof body.ID !== 'string' || body.ID === '') return null;
  return { id: body.ID, serviceId: typeof body.ServiceID === 'string' ? body.ServiceID : '' };
}

function messageOf(body: unknown): string {
  return isObject(body) && typeof body.message === 'string' ? body.message : '';
}

/** daemon/cluster/helpers.go: "<kind> <ref> is ambiguous (<n> matches found)", an InvalidParameter. */
function isAmbiguous(status: number, body: unknown): boolean {
  return status === 400 && / is ambiguous \(\d+ matches found\)$/.test(messageOf(body));
}

const filterQuery = (key: string, value: string) =>
  `filters=${encodeURIComponent(JSON.stringify({ [key]: { [value]: true } }))}`;

/**
 * A swarm object by full id, name or id prefix, in the daemon's own order. Any answer but the object
 * or an ambiguous prefix reads as none: the request then goes on with a sentinel and the daemon gives
 * its own answer (404, or the 503 of a node that is no swarm manager), as for a missing object.
 */
export async function lookupSwarmObject(
  daemon: DaemonClient,
  of: SwarmKind,
  ref: string,
): Promise<SwarmFound> {
  if (!ref.isWellFormed() || ref === '') return null;
  const res = await daemon.getJson(`/${of}/${encodeURIComponent(ref)}`);
  if (res.status === 200) return swarmIdentity(res.body);
  return isAmbiguous(res.status, res.body) ? { ambiguous: true } : null;
}

/** Every object of a kind whose id starts with `prefix` (the daemon's `id` filter matches prefixes). */
export async function swarmObjectsByPrefix(
  daemon: DaemonClient,
  of: SwarmKind,
  prefix: string,
): Promise<SwarmIdentity[]> {
  return byIdPrefix(daemon, of, prefix, swarmIdentity);
}

/** Every entry of a list whose id starts with `prefix`, read by `parse` (the daemon's `id` filter). */
async function byIdPrefix<T extends { readonly id: string }>(
  daemon: DaemonClient,
  of: SwarmKind | 'tasks',
  prefix: string,
  parse: (entry: unknown) => T | null,
): Promise<T[]> {
  const res = await daemon.getJson(`/${of}?${filterQuery('id', prefix)}`);
  if (res.status !== 200 || !Array.isArray(res.body)) return [];
  const out: T[] = [];
  for (const entry of res.body) {
    const found = parse(entry);
    if (found?.id.startsWith(prefix)) out.push(found);
  }
  return out;
}

/** A task by full id, name or id prefix: its id and service, none, or a shared prefix. */
export async function lookupTask(
  daemon: DaemonClient,
  ref: string,
): Promise<{ readonly id: string; readonly serviceId: string } | null | { readonly ambiguous: true }> {
  if (!ref.isWellFormed() || ref === '') return null;
  const res = await daemon.getJson(`/tasks/${encodeURIComponent(ref)}`);
  if (res.status === 200) return taskIdentity(res.body);
  return isAmbiguous(res.status, res.body) ? { ambiguous: true } : null;
}

/** Every task whose id starts with `prefix`. */
export async function tasksByPrefix(
  daemon: DaemonClient,
  prefix: string,
): Promise<{ readonly id: string; readonly serviceId: string }[]> {
  return byIdPrefix(daemon, 'tasks', prefix, taskIdentity);
}

/**
 * The ids of every service the predicate keeps, from one list request; null when the daemon does not
 * answer with a list (its answer to the client's request will say why).
 */
export async function visibleServiceIds(
  daemon: DaemonClient,
  visible: (identity: SwarmIdentity) => boolean,
): Promise<ReadonlySet<string> | null> {
  const res = await daemon.getJson('/services');
  if (res.status !== 200 || !Array.isArray(res.body)) return null;
  const out = new Set<string>();
  for (const entry of res.body) {
    const identity = swarmIdentity(entry);
    if (identity && visible(identity)) out.add(identity.id);
  }
  return out;
}
