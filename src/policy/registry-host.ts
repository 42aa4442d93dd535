import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { withDeadline } from '../deadline.ts';
import { errors } from '../errors.ts';
import type { CreateRules } from './create-rules.ts';
import { createRuleRefusal } from './create-rules.ts';

/**
 * Registries the daemon talks to on a client's behalf (issue #19): a pull, a push, a distribution
 * inspect, a search and a login connect from the daemon's own network namespace, the host's. A
 * registry name on the host's loopback (or a link-local address, such as a cloud's metadata service)
 * reaches services that listen only there, and the daemon relays their answers in its errors; it even
 * speaks plain HTTP to them, since it treats loopback registries as insecure by default. Under the
 * create rules such registries are refused unless `fetch` is allowed.
 */

/** The registry of Docker Hub, which needs no look-up. */
const DEFAULT_REGISTRIES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The registry host of an image reference or search term, as reference.splitDockerDomain reads it:
 * the first component when it has a `.` or `:`, is `localhost`, or (newer daemons) has an upper-case
 * letter; otherwise Docker Hub.
 */
export function registryOfReference(reference: string): string {
  const slash = reference.indexOf('/');
  if (slash === -1) return 'docker.io';
  const first = reference.slice(0, slash);
  const isDomain = /[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first;
  return isDomain ? first : 'docker.io';
}

/** The registry host of a login's `serveraddress`, as registry.Service.Auth reads it (a URL's host). */
export function registryOfServerAddress(address: string): string {
  if (address === '') return 'docker.io';
  const url = /^https?:\/\//.test(address) ? address : `https://${address}`;
  try {
    return new URL(url).host;
  } catch {
    throw errors.badRequest(`the server address ${JSON.stringify(address)} is not a registry address`);
  }
}

/** `host`, `host:port`, `[v6]:port` → the host alone, lower case, without brackets. */
export function hostOnly(registry: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(registry);
  if (bracketed) return (bracketed[1] ?? '').toLowerCase();
  const colon = registry.lastIndexOf(':');
  const host = colon !== -1 && registry.indexOf(':') === colon ? registry.slice(0, colon) : registry;
  return host.toLowerCase();
}

const HOST_LOCAL = new BlockList();
HOST_LOCAL.addSubnet('127.0.0.0', 8, 'ipv4');
HOST_LOCAL.addSubnet('0.0.0.0', 8, 'ipv4');
HOST_LOCAL.addSubnet('169.254.0.0', 16, 'ipv4');
HOST_LOCAL.addAddress('::1', 'ipv6');
HOST_LOCAL.addAddress('::', 'ipv6');
HOST_LOCAL.addSubnet('fe80::', 10, 'ipv6');
// The same v4 ranges mapped into v6 (::ffff:127.0.0.1).
HOST_LOCAL.addSubnet('::ffff:7f00:0', 104, 'ipv6');
HOST_LOCAL.addSubnet('::ffff:0:0', 104, 'ipv6');
HOST_LOCAL.addSubnet('::ffff:a9fe:0', 112, 'ipv6');

/** Loopback, unspecified (which connects to the host itself) and link-local addresses, v4 and v6. */
export function isHostLocalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return HOST_LOCAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

type Lookup = (host: string) => Promise<readonly string[]>;

/** Every address a name resolves to (getaddrinfo, as the daemon's resolver would mostly answer). */
const systemLookup: Lookup = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

const LOOKUP_TIMEOUT_MS = 5_000;
/**
 * Look-ups in flight at once, in all: getaddrinfo runs on libuv's thread pool (4 threads, shared with
 * file writes) and cannot be cancelled, so a client naming slow-to-resolve registries must not take it
 * over (review of #19). Past it a registry is refused at once.
 */
const MAX_LOOKUPS = 2;
let lookups = 0;

/**
 * Refuses a registry the daemon would reach on the host's loopback or a link-local address, unless
 * the create rules allow `fetch`. A literal address is judged as it is; a name by what it resolves to
 * now, and a name that does not resolve (or not within 5 s) is refused: dockscope cannot tell where the
 * daemon would go. A name that resolves differently for the daemon later (DNS rebinding) is a known
 * limit (docs/security.md).
 */
export async function checkRegistry(
  rules: CreateRules | null,
  registry: string,
  field: string,
  resolve: Lookup = systemLookup,
): Promise<void> {
  if (!rules || rules.fetch) return;
  const host = hostOnly(registry);
  if (DEFAULT_REGISTRIES.has(host)) return;
  const refuse = (why: string) => createRuleRefusal('fetch', field, why);
  if (isIP(host) !== 0) {
    if (isHostLocalAddress(host))
      throw refuse(`the registry ${registry} is on the host's loopback or link-local network`);
    return;
  }
  let addresses: readonly string[];
  if (lookups >= MAX_LOOKUPS) {
    throw errors.busy(`dockscope is resolving ${MAX_LOOKUPS} registry names already; try again shortly`);
  }
  lookups++;
  const done = () => {
    lookups--;
  };
  const lookup = resolve(host);
  // The slot is held until the look-up itself ends, not only until this request gave up on it.
  lookup.then(done, done);
  try {
    addresses = await withDeadline(lookup, LOOKUP_TIMEOUT_MS, () => new Error('timeout'));
  } catch {
    throw refuse(
      `the registry ${registry} could not be resolved, so dockscope cannot tell that it is not on the host's loopback`,
    );
  }
  const local = addresses.find(isHostLocalAddress);
  if (local !== undefined) {
    throw refuse(
      `the registry ${registry} resolves to ${local}, on the host's loopback or link-local network`,
    );
  }
}
