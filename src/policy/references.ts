import type { Decoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { MissingRef } from './missing.ts';
import { linkSentinel } from './missing.ts';
import type { ContainerResolver } from './resolver.ts';

/**
 * A link of a network endpoint (create's `EndpointsConfig.*.Links`, network connect's
 * `EndpointConfig.Links`). The daemon stores it by name and resolves it when the container starts, so
 * it accepts one to a container that does not exist (issue #20: dockscope answered 400). A link to a
 * visible container goes on as typed; one to a hidden or missing container goes on with a link
 * sentinel that carries the typed name (missing.ts), so the daemon accepts it as it accepts a missing
 * name, the link never reaches a hidden container, and answers that echo it get the typed name back.
 * Returns the link to forward; the sentinel is added to `refs` for the answer to this request.
 */
export async function endpointLink(
  link: Decoded,
  resolver: ContainerResolver,
  refs: MissingRef[],
): Promise<string> {
  if (typeof link !== 'string') throw errors.badRequest('links must be strings of the form name:alias');
  const { name } = parseLink(link);
  const facts = await resolver.resolve(name);
  if (facts?.visible) return link;
  const sentinel = linkSentinel(name);
  if (!refs.some((r) => r.sentinel === sentinel)) refs.push({ sentinel, typed: name.toWellFormed() });
  // Only the name is replaced: `name`, `name:alias` and the stored `/name:/parent/alias` keep their form.
  const at = link.startsWith('/') ? 1 : 0;
  return `${link.slice(0, at)}${sentinel}${link.slice(at + name.length)}`;
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
