import type { ContainerIdentity } from './matcher.ts';
import { ownName, stripSlash } from './matcher.ts';

/** What dockscope needs to know about a container to decide on it. */
export interface ContainerFacts extends ContainerIdentity {
  readonly id: string;
  readonly visible: boolean;
}

export const FULL_ID = /^[0-9a-f]{64}$/;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asLabels(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * The identity of a `GET /containers/json` entry, its id '' when it has none (it then names no
 * container a reference can reach); null when the entry is not an object.
 */
export function listedIdentity(summary: unknown): (ContainerIdentity & { id: string }) | null {
  if (!isObject(summary)) return null;
  const names = Array.isArray(summary.Names)
    ? summary.Names.filter((n): n is string => typeof n === 'string')
    : [];
  return {
    id: typeof summary.Id === 'string' ? summary.Id : '',
    name: ownName(names),
    labels: asLabels(summary.Labels),
  };
}

/** Reads the identity out of a container inspect body; null when the body is not one. */
export function identityFromInspect(body: unknown): (ContainerIdentity & { id: string }) | null {
  if (!isObject(body) || typeof body.Id !== 'string' || typeof body.Name !== 'string') return null;
  const config = isObject(body.Config) ? body.Config : {};
  return { id: body.Id, name: stripSlash(body.Name), labels: asLabels(config.Labels) };
}
