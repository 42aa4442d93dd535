import { describe, expect, it } from 'vitest';
import { addressList, inAddresses, inList, plainAddress } from '../../../src/policy/address-list.ts';
import { HostNames } from '../../../src/policy/host-names.ts';

/** Host names resolved by a fixed table, never by DNS; the names asked for are recorded. */
function hostNamesFrom(table: Record<string, string[]>) {
  const made: { names: readonly string[]; what: string }[] = [];
  const make = (names: readonly string[], what: string) => {
    made.push({ names, what });
    return new HostNames(names, {
      ttlMs: 60_000,
      missMemoMs: 0,
      timeoutMs: 1000,
      lookup: async (name) => {
        const found = table[name];
        if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        return found.map((address) => ({ address }));
      },
    });
  };
  return { make, made };
}

const noNames = () => {
  throw new Error('no host name expected');
};

describe('address lists of from and trustedProxies', () => {
  it.each([
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '::1'],
    // Not an IPv4 after the prefix: left as it is.
    ['::ffff:abcd', '::ffff:abcd'],
    ['::ffff:10.0.0', '::ffff:10.0.0'],
  ])('plainAddress(%s) is %s', (address, expected) => {
    expect(plainAddress(address)).toBe(expected);
  });

  it.each([
    // entries, address, in the list
    [['10.0.0.1'], '10.0.0.1', true],
    [['10.0.0.1'], '10.0.0.2', false],
    [['10.0.0.1'], '::ffff:10.0.0.1', true],
    [['10.0.0.0/8'], '10.255.255.255', true],
    [['10.0.0.0/8'], '11.0.0.0', false],
    [['172.18.0.0/16'], '::ffff:172.18.3.4', true],
    [['192.168.1.7/32'], '192.168.1.7', true],
    [['192.168.1.7/32'], '192.168.1.8', false],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['0.0.0.0/0'], '::1', false],
    [['::1'], '::1', true],
    [['::1'], '127.0.0.1', false],
    [['fd00::/8'], 'fd12::5', true],
    [['fd00::/8'], 'fe80::1', false],
    [['10.0.0.1'], 'not-an-address', false],
    [['10.0.0.1'], '', false],
    [[], '10.0.0.1', false],
  ])('addressList(%j) holds %s: %s', (entries, address, expected) => {
    const list = addressList(entries, 'from', noNames);
    expect(list.names).toBeNull();
    expect(inList(list.fixed, address)).toBe(expected);
    expect(inAddresses(list, address)).toBe(expected);
  });

  it('no address (a unix socket peer) is in no list', () => {
    const list = addressList(['0.0.0.0/0'], 'from', noNames);
    expect(inList(list.fixed, undefined)).toBe(false);
    expect(inAddresses(list, undefined)).toBe(false);
  });

  it.each([
    ['10.0.0.0/8/1', 'from: "10.0.0.0/8/1" is not an address or a CIDR'],
    ['10.0.0.0/33', 'from: "10.0.0.0/33" is not a CIDR'],
    ['fd00::/129', 'from: "fd00::/129" is not a CIDR'],
    ['10.0.0.0/', 'from: "10.0.0.0/" is not a CIDR'],
    ['10.0.0.0/8a', 'from: "10.0.0.0/8a" is not a CIDR'],
    ['10.0.0.0/-1', 'from: "10.0.0.0/-1" is not a CIDR'],
    ['10.0.0.0/ 8', 'from: "10.0.0.0/ 8" is not a CIDR'],
    ['homepage/24', 'from: "homepage/24" is not a CIDR'],
    ['-homepage', 'from: "-homepage" is neither an address, a CIDR nor a host name'],
    ['homepage.', 'from: "homepage." is neither an address, a CIDR nor a host name'],
    ['home page', 'from: "home page" is neither an address, a CIDR nor a host name'],
    ['', 'from: "" is neither an address, a CIDR nor a host name'],
    ['10.0.0.256', 'from: "10.0.0.256" is not an IPv4 address'],
    ['10.0.0', 'from: "10.0.0" is not an IPv4 address'],
    ['homepage', null],
  ])('the entry %j is refused at start: %s', (entry, message) => {
    if (message === null) {
      // A well-formed host name: looked up, never refused.
      const names = hostNamesFrom({});
      expect(addressList([entry], 'from', names.make).names).not.toBeNull();
      return;
    }
    expect(() => addressList([entry], 'from', noNames)).toThrow(new Error(message));
  });

  it('the list’s name is in its error', () => {
    expect(() => addressList(['x/1'], 'trustedProxies', noNames)).toThrow(
      new Error('trustedProxies: "x/1" is not a CIDR'),
    );
  });

  it('host names are handed over together, with the list’s name, and matched once looked up', async () => {
    const names = hostNamesFrom({ homepage: ['172.18.0.5'], 'web_1.local': ['fd00::5'] });
    const list = addressList(['10.0.0.1', 'homepage', 'web_1.local'], 'clients.ops.match.from', names.make);
    expect(names.made).toEqual([{ names: ['homepage', 'web_1.local'], what: 'clients.ops.match.from' }]);
    expect(inAddresses(list, '10.0.0.1')).toBe(true);
    expect(await inAddresses(list, '172.18.0.5')).toBe(true);
    expect(await inAddresses(list, '::ffff:172.18.0.5')).toBe(true);
    expect(await inAddresses(list, 'fd00::5')).toBe(true);
    expect(await inAddresses(list, '172.18.0.6')).toBe(false);
    // The fixed list alone does not hold the names' addresses.
    expect(inList(list.fixed, '172.18.0.5')).toBe(false);
  });
});
