import { BlockList, isIP } from 'node:net';
import { plainAddress } from './address-list.ts';
import { asLabels, isObject } from './container-facts.ts';
import type { VisibilityRules } from './matcher.ts';
import { buildVisibility, ownName } from './matcher.ts';

/**
 * The label by which a caller container picks its client (issue #23), when that client's entry
 * allows it (`match.container.profileLabel: true`).
 */
export const CLIENT_LABEL = 'dockscope.client';

/** The container a TCP caller's source address belongs to, as the daemon lists it. */
export interface CallerContainer {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Its image id: what its labels may have been inherited from. */
  readonly imageId: string;
  /**
   * The value of its `dockscope.client` label when the container itself was given it; null when it
   * has none, or when its image carries that label (a Dockerfile `LABEL` that a restricted client
   * built or committed: dockscope does not read build contexts, so an inherited value counts for
   * nothing).
   */
  readonly client: string | null;
}

/** The `match.container` key of a client: which caller containers it is. */
export interface CallerContainerRules {
  /** Name and label rules as `containers:` has them; 'all': any container (profileLabel alone). */
  readonly containers: VisibilityRules | 'all';
  /** Whether a caller labelled `dockscope.client=<this client's name>` is this client. */
  readonly profileLabel: boolean;
}

/**
 * An address in one spelling: `::ffff:10.0.0.1` is 10.0.0.1, an IPv6 address is its eight groups in
 * lower case without leading zeros (the daemon and Node may compress one differently). '' when the
 * text is no address, or a link-local IPv6 one (scoped to an interface, never a container's identity).
 */
export function canonicalAddress(text: string): string {
  const plain = plainAddress(text);
  const family = isIP(plain);
  if (family === 4) return plain;
  if (family !== 6 || plain.includes('%') || /^fe[89ab]/i.test(plain)) return '';
  let text6 = plain.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4 forms other than the mapped prefix) as two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text6);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text6 = `${text6.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text6.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16)).join(':');
}

/** A container's identity as its `GET /containers/json` entry gives it. */
export type ListedContainer = Omit<CallerContainer, 'client'>;

/** Reads one entry of `GET /containers/json`; null when it is not one. */
export function readListedContainer(entry: unknown): ListedContainer | null {
  if (!isObject(entry) || typeof entry.Id !== 'string') return null;
  const names = Array.isArray(entry.Names) ? entry.Names.filter((n) => typeof n === 'string') : [];
  return {
    id: entry.Id,
    name: ownName(names),
    labels: asLabels(entry.Labels),
    imageId: typeof entry.ImageID === 'string' ? entry.ImageID : '',
  };
}

/** Whether an IPAM subnet (`10.1.2.0/24`, `fd00::/64`) holds a canonical address. */
function subnetHolds(subnet: string, address: string): boolean {
  const [base = '', bits = ''] = subnet.split('/');
  const family = isIP(base);
  if (family === 0 || family !== isIP(address) || !/^\d+$/.test(bits)) return false;
  const list = new BlockList();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  try {
    list.addSubnet(base, Number(bits), type);
  } catch {
    return false;
  }
  return list.check(address, type);
}

/** The ids of the networks of a `GET /networks` answer whose subnets hold the address. */
export function networksHolding(body: unknown, address: string): string[] {
  if (!Array.isArray(body)) return [];
  const out: string[] = [];
  for (const network of body) {
    if (!isObject(network) || typeof network.Id !== 'string' || !isObject(network.IPAM)) continue;
    const configs = Array.isArray(network.IPAM.Config) ? network.IPAM.Config : [];
    const holds = configs.some(
      (c) => isObject(c) && typeof c.Subnet === 'string' && subnetHolds(c.Subnet, address),
    );
    if (holds) out.push(network.Id);
  }
  return out;
}

/**
 * The ids of the containers a network inspect shows at the address. Its `Containers` are the
 * network's endpoints, there from the moment a container is connected: before its process runs,
 * while the daemon's container list still shows it `created` with no address (Docker 20.10).
 */
export function endpointsAt(body: unknown, address: string): string[] {
  if (!isObject(body) || !isObject(body.Containers)) return [];
  const out: string[] = [];
  for (const [id, endpoint] of Object.entries(body.Containers)) {
    if (!isObject(endpoint)) continue;
    for (const key of ['IPv4Address', 'IPv6Address'] as const) {
      const value = endpoint[key];
      const text = typeof value === 'string' ? (value.split('/')[0] ?? '') : '';
      if (text !== '' && canonicalAddress(text) === address) out.push(id);
    }
  }
  return out;
}

/** The client label's value when the container itself carries it (not when its image does). */
export function ownClientLabel(
  labels: Readonly<Record<string, string>>,
  imageLabels: Readonly<Record<string, string>> | null,
): string | null {
  const value = labels[CLIENT_LABEL];
  if (value === undefined || value === '') return null;
  // Unreadable image labels (an image removed since): the value cannot be told from an inherited one.
  if (imageLabels === null || imageLabels[CLIENT_LABEL] !== undefined) return null;
  return value;
}

/**
 * Compiles a client's `match.container` into the check of a caller's container. No container (a
 * unix socket, an address no running container has, or one several have) never matches.
 */
export function compileContainerMatch(
  rules: CallerContainerRules,
  client: string,
): (container: CallerContainer | null | undefined) => boolean {
  const visible = buildVisibility(rules.containers);
  return (container) => {
    if (!container) return false;
    if (rules.profileLabel && container.client !== client) return false;
    return visible(container);
  };
}
