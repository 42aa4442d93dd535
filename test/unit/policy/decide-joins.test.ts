import { describe, expect, it } from 'vitest';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import { MAX_JOINED } from '../../../src/policy/decide-joins.ts';
import { sentinel } from '../../../src/policy/missing.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { StubContainer, StubVolume } from '../support/stub-resolver.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const RULES: CreateRules = { ...NO_WAY_OUT, hostPaths: [{ path: '/srv/config', readOnly: true }] };
const plain = { HostConfig: { NetworkMode: 'none' }, Mounts: [] };

const CONTAINERS: StubContainer[] = [
  { id: id('1'), name: 'web-plain', inspect: plain },
  { id: id('2'), name: 'web-hostnet', inspect: { HostConfig: { NetworkMode: 'host' }, Mounts: [] } },
  // Joins web-hostnet's network by name, as a container made on the daemon directly may.
  {
    id: id('3'),
    name: 'web-via',
    inspect: { HostConfig: { NetworkMode: 'container:web-hostnet' }, Mounts: [] },
  },
  { id: id('4'), name: 'web-via-hidden', inspect: { HostConfig: { NetworkMode: `container:${id('9')}` } } },
  { id: id('5'), name: 'web-via-gone', inspect: { HostConfig: { NetworkMode: `container:${id('8')}` } } },
  {
    id: id('6'),
    name: 'web-config',
    inspect: {
      HostConfig: {},
      Mounts: [{ Type: 'bind', Source: '/srv/config', Destination: '/c', RW: true }],
    },
  },
  {
    id: id('7'),
    name: 'web-vol',
    inspect: { HostConfig: {}, Mounts: [{ Type: 'volume', Name: 'shared', Destination: '/v', RW: true }] },
  },
  // Hidden: not a web- name. Its network is none; it is refused all the same.
  { id: id('9'), name: 'db', inspect: { HostConfig: { NetworkMode: 'none', Privileged: true }, Mounts: [] } },
  {
    id: id('a'),
    name: 'db-vol',
    inspect: { HostConfig: {}, Mounts: [{ Type: 'volume', Name: 'shared', Destination: '/v', RW: true }] },
  },
  {
    id: id('b'),
    name: 'web-adminvol',
    inspect: { HostConfig: {}, Mounts: [{ Type: 'volume', Name: 'adminvol', Destination: '/a', RW: true }] },
  },
];

const VOLUMES: Record<string, StubVolume> = {
  shared: { Driver: 'local' },
  plainvol: { Driver: 'local', Options: null },
  adminvol: { Driver: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } },
  configvol: { Driver: 'local', Options: { type: 'none', o: 'bind', device: '/srv/config' } },
};

const cast = () => stubResolver(CONTAINERS, { names: ['web'], labels: [] }, {}, VOLUMES);

async function create(hostConfig: object, s = cast()): Promise<Forwarding> {
  const raw = '/containers/create?name=web-new';
  const target = parseTarget(raw);
  const route = classify('POST', target);
  if (!route) throw new Error('no route');
  const body = JSON.stringify({ Image: 'i', HostConfig: hostConfig });
  return decide(
    { method: 'POST', target, route, raw, readBody: async () => body },
    { resolver: s.resolver, create: RULES, owner: null },
  );
}

async function refusal(hostConfig: object): Promise<string> {
  try {
    await create(hostConfig);
  } catch (error) {
    return `${(error as { status: number }).status} ${(error as Error).message}`;
  }
  throw new Error('not refused');
}

describe('decide: a create is judged by what the containers it joins hand on', () => {
  it.each<[string, object, string]>([
    [
      'the network of a host-network container',
      { NetworkMode: 'container:web-hostnet' },
      '403 dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode, container "web-hostnet" HostConfig.NetworkMode: it joins the host\'s network namespace',
    ],
    [
      'the network of one that joined it (transitively)',
      { NetworkMode: 'container:web-via' },
      '403 dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode, container "web-via" via "web-hostnet" HostConfig.NetworkMode: it joins the host\'s network namespace',
    ],
    [
      'the volumes of one binding a read-only path, writable',
      { VolumesFrom: ['web-config'] },
      '403 dockscope: create rule "hostPaths" refuses HostConfig.VolumesFrom[0], container "web-config" Mounts[0].Source: the host path /srv/config may only be bound read-only',
    ],
    [
      'the volumes of one sharing a volume with a hidden container',
      { volumesfrom: ['web-vol:ro'] },
      '403 dockscope: create rule "volumes" refuses HostConfig.VolumesFrom[0], container "web-vol" Mounts[0].Name: the volume "shared" is used by a container this client may not see',
    ],
    [
      "the volumes of one mounting an administrator's bind volume",
      { VolumesFrom: ['web-adminvol:ro'] },
      '403 dockscope: create rule "hostPaths" refuses HostConfig.VolumesFrom[0], container "web-adminvol" Mounts[0].Name, volume "adminvol" Options.device: the host path /etc is not under a path this client may bind',
    ],
    [
      "an administrator's bind volume by name",
      { Binds: ['adminvol:/x:ro'] },
      '403 dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], volume "adminvol" Options.device: the host path /etc is not under a path this client may bind',
    ],
    [
      "an administrator's bind volume as a mount",
      { Mounts: [{ Type: 'volume', Source: 'adminvol', Target: '/x' }] },
      '403 dockscope: create rule "hostPaths" refuses HostConfig.Mounts[0].Source, volume "adminvol" Options.device: the host path /etc',
    ],
    [
      'a bind volume of a read-only path, mounted writable',
      { Binds: ['configvol:/x'] },
      '403 dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], volume "configvol" Options.device: the host path /srv/config may only be bound read-only',
    ],
  ])('refused: %s', async (_label, host, expected) => {
    expect((await refusal(host)).startsWith(expected), await refusal(host)).toBe(true);
  });

  it('a chain through a hidden container and one through a gone container are refused alike', async () => {
    const hidden = await refusal({ NetworkMode: 'container:web-via-hidden' });
    const gone = await refusal({ NetworkMode: 'container:web-via-gone' });
    expect(hidden).toBe(
      '403 dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode: it shares the network namespace of a container this client may not see or that is gone, which dockscope cannot judge',
    );
    expect(gone).toBe(hidden);
  });

  it('allowed: a plain container, a read-only join of a read-only bind, existing volumes of no host path', async () => {
    const f = await create({
      NetworkMode: 'container:web-plain',
      PidMode: 'container:web-plain',
      VolumesFrom: ['web-config:ro', 'web-plain'],
      Binds: ['plainvol:/p', 'configvol:/c:ro', 'newvol:/n'],
    });
    expect(f.treatment).toBe('cutConflictId');
    expect(JSON.parse(f.body ?? '').HostConfig).toMatchObject({
      NetworkMode: `container:${id('1')}`,
      PidMode: `container:${id('1')}`,
      VolumesFrom: [`${id('6')}:ro`, id('1')],
    });
  });

  it('a hidden joined container is never inspected beyond its look-up: it answers as a missing one', async () => {
    const s = cast();
    const f = await create({ PidMode: 'container:db', VolumesFrom: ['db'] }, s);
    expect(f).toMatchObject({
      treatment: 'restoreMissing',
      missing: [
        { sentinel: sentinel(0), typed: 'db' },
        { sentinel: sentinel(1), typed: 'db' },
      ],
    });
    expect(s.paths.filter((p) => p.startsWith(`/containers/${id('9')}`))).toEqual([]);
  });

  it(`past ${MAX_JOINED} containers inspected, a create is refused rather than judged slowly`, async () => {
    const many = Array.from({ length: MAX_JOINED + 1 }, () => 'web-plain');
    expect(await refusal({ VolumesFrom: many })).toBe(
      `403 dockscope: a create may join at most ${MAX_JOINED} containers, counted along their own container: modes`,
    );
    expect((await create({ VolumesFrom: many.slice(1) })).treatment).toBe('cutConflictId');
  });
});

describe('an owner and an existing volume it does not own (review of #19)', () => {
  it('is refused as not its own, before anything of the volume is judged or said', async () => {
    const s = cast();
    const raw = '/containers/create?name=web-new';
    const target = parseTarget(raw);
    const route = classify('POST', target);
    if (!route) throw new Error('no route');
    const body = JSON.stringify({ Image: 'i', HostConfig: { Binds: ['adminvol:/x:ro'] } });
    const owner = { key: 'dockscope.owner', owner: 'ci-a' };
    const error = await decide(
      { method: 'POST', target, route, raw, readBody: async () => body },
      { resolver: s.resolver, create: RULES, owner },
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      'dockscope: create rule "volumes" refuses HostConfig.Binds[0]: the volume "adminvol" is not one this client owns',
    );
    expect((error as Error).message).not.toContain('/etc');
  });
});
