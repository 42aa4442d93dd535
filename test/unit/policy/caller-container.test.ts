import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../../src/config/config.ts';
import type { CallerContainer } from '../../../src/policy/caller-container.ts';
import {
  canonicalAddress,
  compileContainerMatch,
  endpointsAt,
  networksHolding,
  ownClientLabel,
  readListedContainer,
} from '../../../src/policy/caller-container.ts';
import type { Caller } from '../../../src/policy/clients.ts';
import { compileClients } from '../../../src/policy/clients.ts';
import { staleBy } from '../../../src/policy/container-watch.ts';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

const container = (c: Partial<CallerContainer>): CallerContainer => ({
  id: 'a'.repeat(64),
  name: 'web',
  labels: {},
  imageId: 'sha256:1',
  client: null,
  ...c,
});

describe('canonicalAddress: one spelling per address', () => {
  it.each([
    ['10.0.0.5', '10.0.0.5'],
    ['::ffff:10.0.0.5', '10.0.0.5'],
    ['fd00::5', 'fd00:0:0:0:0:0:0:5'],
    ['FD00:0000::0005', 'fd00:0:0:0:0:0:0:5'],
    ['fd00:0:0:0:0:0:0:5', 'fd00:0:0:0:0:0:0:5'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['64:ff9b::10.0.0.5', '64:ff9b:0:0:0:0:a00:5'],
    ['fe80::1', ''],
    ['fe80::1%eth0', ''],
    ['not-an-address', ''],
    ['', ''],
  ])('%s → %s', (text, expected) => {
    expect(canonicalAddress(text)).toBe(expected);
  });
});

describe('the address look-up: networks, endpoints, the container entry', () => {
  const networks = [
    { Id: 'n1', IPAM: { Config: [{ Subnet: '10.1.2.0/24', Gateway: '10.1.2.1' }] } },
    { Id: 'n2', IPAM: { Config: [{ Subnet: '10.1.0.0/16' }, { Subnet: 'fd00::/64' }] } },
    { Id: 'host', IPAM: { Config: [] } },
    { Id: 'odd', IPAM: { Config: [{ Subnet: 'bogus' }] } },
  ];
  it('the networks whose subnets hold the address, IPv4 and IPv6', () => {
    expect(networksHolding(networks, '10.1.2.7')).toEqual(['n1', 'n2']);
    expect(networksHolding(networks, '10.1.9.7')).toEqual(['n2']);
    expect(networksHolding(networks, canonicalAddress('fd00::7'))).toEqual(['n2']);
    expect(networksHolding(networks, '192.168.0.1')).toEqual([]);
    expect(networksHolding(null, '10.1.2.7')).toEqual([]);
  });
  it('the endpoints at the address, prefix length cut, IPv6 compared canonically', () => {
    const inspect = {
      Containers: {
        c1: { IPv4Address: '10.1.2.7/24', IPv6Address: '' },
        c2: { IPv4Address: '10.1.2.8/24', IPv6Address: 'fd00::0007/64' },
      },
    };
    expect(endpointsAt(inspect, '10.1.2.7')).toEqual(['c1']);
    expect(endpointsAt(inspect, canonicalAddress('fd00::7'))).toEqual(['c2']);
    expect(endpointsAt(inspect, '10.1.2.9')).toEqual([]);
    expect(endpointsAt({ Containers: null }, '10.1.2.7')).toEqual([]);
  });
  it('a list entry read as an identity: its own name, labels and image', () => {
    expect(
      readListedContainer({
        Id: 'x',
        Names: ['/web/db', '/db'],
        Labels: { a: '1', n: 2 },
        ImageID: 'sha256:9',
      }),
    ).toEqual({ id: 'x', name: 'db', labels: { a: '1' }, imageId: 'sha256:9' });
    expect(readListedContainer({ Names: ['/db'] })).toBeNull();
  });
});

describe('the profile label counts only when the container itself was given it', () => {
  it.each([
    [{ 'dockscope.client': 'ops' }, {}, 'ops'],
    [{ 'dockscope.client': 'ops' }, { 'dockscope.client': 'ops' }, null],
    [{ 'dockscope.client': 'ops' }, { 'dockscope.client': 'dev' }, null],
    [{ 'dockscope.client': 'ops' }, null, null],
    [{ 'dockscope.client': '' }, {}, null],
    [{ other: 'ops' }, {}, null],
  ])('container %o, image %o → %s', (labels, imageLabels, expected) => {
    expect(ownClientLabel(labels, imageLabels)).toBe(expected);
  });
});

describe('compileContainerMatch', () => {
  it('no container never matches; names and labels as containers: reads them', () => {
    const byName = compileContainerMatch(
      { containers: { names: ['traefik'], labels: [], match: 'exact' }, profileLabel: false },
      'proxy',
    );
    expect(byName(null)).toBe(false);
    expect(byName(undefined)).toBe(false);
    expect(byName(container({ name: 'traefik' }))).toBe(true);
    expect(byName(container({ name: 'traefik2' }))).toBe(false);
    const byLabel = compileContainerMatch(
      {
        containers: { names: [], labels: [{ key: 'role', value: 'dash' }], match: 'exact' },
        profileLabel: false,
      },
      'dash',
    );
    expect(byLabel(container({ labels: { role: 'dash' } }))).toBe(true);
    expect(byLabel(container({ labels: { role: 'dashboard' } }))).toBe(false);
  });
  it('profileLabel: the label must name this very client, and names and labels must hold too', () => {
    const any = compileContainerMatch({ containers: 'all', profileLabel: true }, 'ops');
    expect(any(container({ client: 'ops' }))).toBe(true);
    expect(any(container({ client: 'ops2' }))).toBe(false);
    expect(any(container({ client: null, labels: { 'dockscope.client': 'ops' } }))).toBe(false);
    const named = compileContainerMatch(
      { containers: { names: ['web'], labels: [], match: 'exact' }, profileLabel: true },
      'ops',
    );
    expect(named(container({ name: 'web', client: 'ops' }))).toBe(true);
    expect(named(container({ name: 'db', client: 'ops' }))).toBe(false);
  });
});

describe('container clients among the others', () => {
  const directory = new ContainerDirectory(
    { display: 'stub' } as unknown as Upstream,
    1000,
    pino({ level: 'silent' }),
  );
  const client = (name: string, match: ClientConfig['match']): ClientConfig => ({
    name,
    match,
    containers: 'all',
    create: null,
    owner: null,
    scrubEnvs: false,
  });
  const caller = (c: Partial<Caller>): Caller => ({
    listener: 'apps',
    address: '10.1.2.7',
    headers: {},
    ...c,
  });
  it('a caller is its label’s client only where allowed; no container falls through; look-ups only where needed', async () => {
    const clients = await compileClients(
      [
        client('ops', { listener: ['apps'], container: { containers: 'all', profileLabel: true } }),
        client('admin', { listener: ['admin'] }),
        client('rest', { listener: ['apps'] }),
      ],
      directory,
    );
    expect((await clients.identify(caller({ container: container({ client: 'ops' }) }))).name).toBe('ops');
    expect((await clients.identify(caller({ container: container({ client: 'admin' }) }))).name).toBe('rest');
    expect((await clients.identify(caller({ container: null }))).name).toBe('rest');
    expect((await clients.identify(caller({}))).name).toBe('rest');
    expect(clients.needsContainer(caller({}))).toBe(true);
    expect(clients.needsContainer(caller({ listener: 'admin' }))).toBe(false);
    expect(clients.needsContainer(caller({ address: undefined }))).toBe(false);
  });
});

describe('staleBy: what an event makes stale', () => {
  const id = 'c'.repeat(64);
  it.each([
    [{ Type: 'container', Action: 'rename', Actor: { ID: id } }, { identity: id }],
    [
      { Type: 'container', Action: 'destroy', Actor: { ID: id } },
      { identity: id, addresses: id },
    ],
    [{ Type: 'container', Action: 'die', Actor: { ID: id } }, { addresses: id }],
    [
      { Type: 'network', Action: 'disconnect', Actor: { ID: 'n', Attributes: { container: id } } },
      { addresses: id },
    ],
    [
      { Type: 'network', Action: 'connect', Actor: { ID: 'n', Attributes: { container: id } } },
      { addresses: 'all' },
    ],
    [{ Type: 'network', Action: 'destroy', Actor: { ID: 'n', Attributes: {} } }, {}],
    [{ Type: 'container', Action: 'start', Actor: { ID: id } }, {}],
    ['junk', {}],
  ])('%o → %o', (event, expected) => {
    expect(staleBy(event)).toEqual(expected);
  });
});
