import { identityFromInspect, isObject } from '../policy/container-facts.ts';
import { restoreLinkSentinels } from '../policy/missing.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { HIDDEN_REF, linkNamesVisible } from './references.ts';

export type InspectOutcome = { readonly visible: false } | { readonly visible: true; readonly body: unknown };

export const MODES = ['NetworkMode', 'PidMode', 'IpcMode', 'Cgroup'] as const;
export const CONTAINER_MODE = 'container:';

/**
 * Judges a container inspect body by its own Name and labels (no extra look-up, always fresh), blanks
 * Config.Env when SCRUB_ENVS is on, and removes what the body says of other containers the client may
 * not see: a `container:<id>` mode (and, for a shared network namespace, the owner's id in the
 * resolv.conf, hosts and hostname paths and in Config.Hostname), VolumesFrom entries, and legacy links.
 * Each is replaced by `<hidden>`, for a hidden and a missing container alike (telling them apart would
 * tell the client the hidden one exists). A body that is not a container inspect is not shown.
 * inspect-text.ts does the same on the answer's text; this is the path for what its scan does not take on.
 */
export async function filterInspect(
  body: unknown,
  resolver: ContainerResolver,
  scrubEnvs: boolean,
  epoch?: number,
): Promise<InspectOutcome> {
  const identity = identityFromInspect(body);
  if (!identity || !isObject(body)) return { visible: false };
  const facts = resolver.remember(identity, epoch);
  if (!facts.visible) return { visible: false };
  const config = isObject(body.Config) ? body.Config : null;
  if (scrubEnvs && config) config.Env = [];
  await filterEndpointLinks(body, resolver);
  const host = isObject(body.HostConfig) ? body.HostConfig : null;
  if (!host) return { visible: true, body };
  const visibleRef = async (ref: string) => (await resolver.resolveOrNull(ref))?.visible ?? false;
  const hiddenIds = new Set<string>();
  for (const key of MODES) {
    const mode = host[key];
    if (typeof mode !== 'string' || !mode.startsWith(CONTAINER_MODE)) continue;
    const ref = mode.slice(CONTAINER_MODE.length);
    if (ref === '' || (await visibleRef(ref))) continue;
    host[key] = `${CONTAINER_MODE}${HIDDEN_REF}`;
    hiddenIds.add(ref);
  }
  if (Array.isArray(host.VolumesFrom))
    host.VolumesFrom = await visibleVolumesFrom(host.VolumesFrom, visibleRef);
  if (Array.isArray(host.Links)) host.Links = await visibleLegacyLinks(host.Links, resolver);
  if (hiddenIds.size > 0) {
    // The namespace owner's files and host name carry its id: full in the paths, short as the name.
    for (const key of ['ResolvConfPath', 'HostnamePath', 'HostsPath'] as const) {
      if (typeof body[key] === 'string') body[key] = hideIds(body[key], hiddenIds);
    }
    if (config && typeof config.Hostname === 'string') config.Hostname = hideIds(config.Hostname, hiddenIds);
  }
  return { visible: true, body };
}

/** `VolumesFrom` entries (`<ref>[:mode]`): one naming a container the client may not see shows `<hidden>`. */
export async function visibleVolumesFrom(
  entries: readonly unknown[],
  visibleRef: (ref: string) => Promise<boolean>,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') continue;
    const colon = entry.indexOf(':');
    const ref = colon === -1 ? entry : entry.slice(0, colon);
    out.push((await visibleRef(ref)) ? entry : `${HIDDEN_REF}${colon === -1 ? '' : entry.slice(colon)}`);
  }
  return out;
}

/** Legacy `HostConfig.Links`, stored as `/child:/parent/alias`: one to a container the client may not see is left out. */
export async function visibleLegacyLinks(
  links: readonly unknown[],
  resolver: ContainerResolver,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const link of links) {
    if (typeof link !== 'string') continue;
    const child = link.slice(0, Math.max(0, link.indexOf(':'))).replace(/^\//, '');
    if (await linkNamesVisible(child, resolver)) out.push(link);
  }
  return out;
}

/**
 * A network endpoint's links, as the client may see them: one sent with a link sentinel
 * (policy/references.ts) shows the name the client typed; any other names its target, and one whose
 * target the client may not see is left out (made on the daemon directly, it would name a hidden
 * container). A link to a missing container is left out alike, so the two cannot be told apart. None
 * left reads as the daemon's `null` for an endpoint without links.
 */
export async function visibleEndpointLinks(
  links: readonly unknown[],
  resolver: ContainerResolver,
): Promise<unknown[] | null> {
  const out: unknown[] = [];
  for (const link of links) {
    if (typeof link !== 'string') continue;
    const restored = restoreLinkSentinels(link);
    if (restored !== link) {
      out.push(restored);
      continue;
    }
    const colon = link.indexOf(':');
    if (await linkNamesVisible(colon === -1 ? link : link.slice(0, colon), resolver)) out.push(link);
  }
  return out.length > 0 ? out : null;
}

async function filterEndpointLinks(
  body: Record<string, unknown>,
  resolver: ContainerResolver,
): Promise<void> {
  const settings = isObject(body.NetworkSettings) ? body.NetworkSettings : null;
  const networks = settings && isObject(settings.Networks) ? settings.Networks : null;
  for (const endpoint of Object.values(networks ?? {})) {
    if (!isObject(endpoint) || !Array.isArray(endpoint.Links)) continue;
    endpoint.Links = await visibleEndpointLinks(endpoint.Links, resolver);
  }
}

/** The text with each id, full and short (12), replaced by `<hidden>`. */
export function hideIds(text: string, ids: ReadonlySet<string>): string {
  let out = text;
  for (const id of ids) {
    out = out.replaceAll(id, HIDDEN_REF);
    if (id.length >= 12) out = out.replaceAll(id.slice(0, 12), HIDDEN_REF);
  }
  return out;
}
