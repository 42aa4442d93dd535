import { errors } from '../errors.ts';
import type { Forward } from './decide.ts';
import type { MissingRef } from './missing.ts';
import type { ContainerResolver } from './resolver.ts';

/** A forward whose references were replaced by sentinels: the client gets the daemon's "missing" answer. */
export function asMissing(path: string, missing: readonly MissingRef[], body?: string): Forward {
  return body === undefined
    ? { path, response: 'missing', missing }
    : { path, response: 'missing', missing, body };
}

/**
 * Links of an endpoint are resolved by the daemon only when the container starts, so it accepts one
 * to a container that does not exist. dockscope cannot send such a link on with a sentinel (the
 * container would start later with a link to something else), so it refuses a link to a hidden or a
 * missing container alike, with the daemon's "No such container" answer.
 */
export async function requireLinkTarget(link: unknown, resolver: ContainerResolver): Promise<void> {
  if (typeof link !== 'string') throw errors.badRequest('links must be strings of the form name:alias');
  const name = parseLink(link).name;
  const facts = await resolver.resolve(name);
  if (!facts?.visible) throw errors.noSuchContainerAsDaemon(400, name);
}

/** runconfig/opts.ParseLink: `name`, `name:alias`, or the stored form `/name:/parent/alias`. */
export function parseLink(link: string): { name: string; alias: string } {
  const parts = link.split(':');
  if (parts.length > 2) throw errors.badRequest(`bad format for links: ${link}`);
  const [first = '', second] = parts;
  if (second === undefined) return { name: first, alias: first };
  if (first.startsWith('/'))
    return { name: first.slice(1), alias: second.slice(second.lastIndexOf('/') + 1) };
  return { name: first, alias: second };
}
