import { BlockList, isIP } from 'node:net';
import type { HostNames } from './host-names.ts';

/** The address lists of `from` and `trustedProxies`: fixed addresses and CIDRs, and host names. */

/** `::ffff:10.0.0.1` is 10.0.0.1. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Addresses and CIDRs, checked at once, and host names, looked up when due (host-names.ts). */
interface AddressList {
  readonly fixed: BlockList;
  readonly names: HostNames | null;
}

export function addressList(
  entries: readonly string[],
  what: string,
  hostNames: (names: readonly string[], what: string) => HostNames,
): AddressList {
  const list = new BlockList();
  const names: string[] = [];
  for (const entry of entries) {
    const parts = entry.split('/');
    if (parts.length > 2) throw new Error(`${what}: "${entry}" is not an address or a CIDR`);
    const [base = '', bits] = parts;
    const family = isIP(base);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(base, type);
      else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128))
          throw new Error(`${what}: "${entry}" is not a CIDR`);
        list.addSubnet(base, prefix, type);
      }
      continue;
    }
    if (bits !== undefined) throw new Error(`${what}: "${entry}" is not a CIDR`);
    // Digits and dots only is a mistyped address (10.0.0.256), never a host name: a name whose last
    // label is all digits cannot be a DNS name (RFC 1123 2.1), so it would match nothing, silently.
    if (/^[0-9.]+$/.test(entry)) throw new Error(`${what}: "${entry}" is not an IPv4 address`);
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(entry))
      throw new Error(`${what}: "${entry}" is neither an address, a CIDR nor a host name`);
    // A host name (a compose service, say): looked up when needed, never at start only (issue #22).
    names.push(entry);
  }
  return { fixed: list, names: names.length > 0 ? hostNames(names, what) : null };
}

/** Whether a peer is in the list: at once, or once its host names are looked up. */
export function inAddresses(list: AddressList, address: string | undefined): boolean | Promise<boolean> {
  if (address === undefined) return false;
  if (inList(list.fixed, address)) return true;
  return list.names ? list.names.holds(plainAddress(address)) : false;
}

export const inList = (list: BlockList, address: string | undefined) => {
  if (address === undefined) return false;
  const plain = plainAddress(address);
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
};
