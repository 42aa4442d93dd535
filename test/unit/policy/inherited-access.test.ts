import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import type { NamedVolume } from '../../../src/policy/container-create-rules.ts';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import type { JoinedContainer, JoinKind, StoredVolume } from '../../../src/policy/inherited-access.ts';
import {
  checkJoined,
  checkStoredVolume,
  containerModeRef,
  joinedContainer,
  nextInChain,
  parseVolumesFrom,
  unjudgedChain,
} from '../../../src/policy/inherited-access.ts';

const RULES: CreateRules = {
  ...NO_WAY_OUT,
  hostPaths: [
    { path: '/srv/ci', readOnly: false },
    { path: '/srv/config', readOnly: true },
  ],
  capAdd: ['NET_ADMIN'],
  volumeDrivers: ['nfs-plugin'],
};

const joined = (hostConfig: Record<string, unknown>, mounts: unknown[] = []): JoinedContainer => ({
  name: 'agent',
  hostConfig,
  mounts,
});

const bind = (source: string, rw: boolean, destination = '/d') => ({
  Type: 'bind',
  Source: source,
  Destination: destination,
  RW: rw,
});

/** The refusal's rule and message, or the volumes handed on when allowed. */
function judge(
  j: JoinedContainer,
  kind: JoinKind,
  readOnly = false,
  rules = RULES,
): NamedVolume[] | { rule: string | undefined; message: string } {
  try {
    return checkJoined(rules, 'HostConfig.X, container "agent"', j, kind, readOnly);
  } catch (error) {
    if (error instanceof DockerApiError) return { rule: error.rule, message: error.message };
    throw error;
  }
}

describe('inherited access: how the daemon reads a join', () => {
  it.each<[string, { ref: string; readOnly: boolean }]>([
    ['agent', { ref: 'agent', readOnly: false }],
    ['agent:ro', { ref: 'agent', readOnly: true }],
    ['agent:rw', { ref: 'agent', readOnly: false }],
    ['agent:ro,z', { ref: 'agent', readOnly: true }],
    ['agent:Z,ro', { ref: 'agent', readOnly: true }],
    ['agent:z', { ref: 'agent', readOnly: false }],
    // Split at the first colon only: the rest is the mode the daemon validates.
    ['agent:ro:x', { ref: 'agent', readOnly: false }],
  ])('VolumesFrom %s', (entry, expected) => {
    expect(parseVolumesFrom(entry)).toEqual(expected);
  });

  it.each<[unknown, string | null]>([
    ['container:web', 'web'],
    ['container:web:x', 'web:x'],
    ['container:', ''],
    ['host', null],
    ['Container:web', null],
    [undefined, null],
    [7, null],
  ])('container mode %j names %j', (mode, ref) => {
    expect(containerModeRef(mode)).toBe(ref);
  });

  it.each<[string, unknown]>([
    ['no object', null],
    ['no HostConfig', { Name: '/a', Mounts: [] }],
    ['no Name', { HostConfig: {}, Mounts: [] }],
    ['Mounts not a list', { Name: '/a', HostConfig: {}, Mounts: {} }],
  ])('an inspect answer with %s cannot be judged', (_label, body) => {
    expect(joinedContainer(body)).toBeNull();
  });

  it('an inspect answer: its name without the slash, its HostConfig and Mounts', () => {
    expect(joinedContainer({ Name: '/agent', HostConfig: { Privileged: false }, Mounts: null })).toEqual({
      name: 'agent',
      hostConfig: { Privileged: false },
      mounts: [],
    });
  });

  it.each<[JoinKind, Record<string, unknown>, string | null]>([
    ['network', { NetworkMode: 'container:b' }, 'b'],
    ['network', { NetworkMode: 'host', PidMode: 'container:b' }, null],
    ['pid', { PidMode: 'container:b' }, 'b'],
    ['ipc', { IpcMode: 'container:b' }, 'b'],
    ['cgroup', { Cgroup: 'container:b' }, 'b'],
    // A joined container's own VolumesFrom are in its Mounts already.
    ['volumes', { VolumesFrom: ['b'], NetworkMode: 'container:b' }, null],
  ])('a %s join goes on to what %j names', (kind, hostConfig, next) => {
    expect(nextInChain(joined(hostConfig), kind)).toBe(next);
  });
});

describe('inherited access: what a joined container hands on is judged by the client rules', () => {
  it.each<[string, JoinedContainer, JoinKind, boolean, string, string]>([
    [
      'host network, joined by network',
      joined({ NetworkMode: 'host' }),
      'network',
      false,
      'hostNamespaces',
      'refuses HostConfig.X, container "agent" HostConfig.NetworkMode: it joins the host\'s network namespace',
    ],
    [
      'host pid, joined by pid',
      joined({ PidMode: 'host' }),
      'pid',
      false,
      'hostNamespaces',
      "HostConfig.PidMode: it joins the host's pid namespace",
    ],
    [
      'host ipc, joined by ipc',
      joined({ IpcMode: 'host' }),
      'ipc',
      false,
      'hostNamespaces',
      "HostConfig.IpcMode: it joins the host's ipc namespace",
    ],
    [
      'a host cgroup namespace, joined by cgroup',
      joined({ CgroupnsMode: 'host' }),
      'cgroup',
      false,
      'hostNamespaces',
      "HostConfig.CgroupnsMode: it joins the host's cgroupns namespace",
    ],
    [
      'privileged, joined by volumes',
      joined({ Privileged: true }),
      'volumes',
      false,
      'privileged',
      'HostConfig.Privileged: it joins a privileged container',
    ],
    [
      'a device, joined by network',
      joined({ Devices: [{ PathOnHost: '/dev/sda' }] }),
      'network',
      false,
      'devices',
      'HostConfig.Devices:',
    ],
    [
      'a GPU',
      joined({ DeviceRequests: [{ Count: -1 }] }),
      'pid',
      false,
      'devices',
      'HostConfig.DeviceRequests:',
    ],
    [
      'an added capability not allowed',
      joined({ CapAdd: ['SYS_ADMIN'] }),
      'ipc',
      false,
      'capAdd',
      'it joins a container with the capability CAP_SYS_ADMIN',
    ],
    [
      'the docker socket bound',
      joined({}, [bind('/var/run/docker.sock', true)]),
      'volumes',
      false,
      'hostPaths',
      'HostConfig.X, container "agent" Mounts[0].Source: the host path /var/run/docker.sock is not under',
    ],
    // A pid join can ptrace the joined container's processes: it acts in all of their namespaces.
    [
      'host uts, joined by pid',
      joined({ UTSMode: 'host' }),
      'pid',
      false,
      'hostNamespaces',
      'HostConfig.UTSMode',
    ],
    [
      'host network, joined by pid',
      joined({ NetworkMode: 'host' }),
      'pid',
      false,
      'hostNamespaces',
      'HostConfig.NetworkMode',
    ],
    [
      'an unconfined seccomp profile, joined by pid',
      joined({ SecurityOpt: ['seccomp=unconfined'] }),
      'pid',
      false,
      'securityOpt',
      'it joins a container with the security option "seccomp=unconfined"',
    ],
    [
      'unmasked system paths, joined by pid',
      joined({ MaskedPaths: [], ReadonlyPaths: [] }),
      'pid',
      false,
      'securityOpt',
      'HostConfig.MaskedPaths: it joins a container whose system paths are not masked',
    ],
    [
      // Through its processes' /proc/<pid>/root, a shared pid namespace reaches its mounts too.
      'a host path, joined by pid',
      joined({}, [bind('/etc', false)]),
      'pid',
      false,
      'hostPaths',
      'Mounts[0].Source: the host path /etc',
    ],
    [
      'a writable bind of a read-only prefix',
      joined({}, [bind('/srv/config', true)]),
      'volumes',
      false,
      'hostPaths',
      'the host path /srv/config may only be bound read-only',
    ],
    [
      'a read-only bind that leaves the mounts below it writable',
      joined({ Mounts: [{ Type: 'bind', Target: '/d', BindOptions: { ReadOnlyNonRecursive: true } }] }, [
        bind('/srv/config', false),
      ]),
      'volumes',
      true,
      'hostPaths',
      'may only be bound read-only',
    ],
    [
      'a mount type no rule judges',
      joined({}, [{ Type: 'npipe', Source: 'x', Destination: '/x', RW: true }]),
      'volumes',
      false,
      'mounts',
      'Mounts[0].Type: the mount type "npipe"',
    ],
    [
      'a volume mount point without a name',
      joined({}, [{ Type: 'volume', Destination: '/x', RW: true }]),
      'volumes',
      false,
      'mounts',
      'Mounts[0]: a volume mount point without a name',
    ],
  ])('refused: %s', (_label, j, kind, readOnly, rule, message) => {
    const result = judge(j, kind, readOnly);
    expect(result).toMatchObject({ rule: `create rule ${rule}` });
    expect((result as { message: string }).message).toMatch(/^dockscope: create rule "[a-zA-Z]+" refuses /);
    expect((result as { message: string }).message).toContain(message);
  });

  it.each<[string, JoinedContainer, JoinKind, boolean]>([
    [
      'a plain container',
      joined({ NetworkMode: 'none', PidMode: '', CapAdd: null, Devices: [] }),
      'network',
      false,
    ],
    // Only the namespace the join shares counts: a host pid does not travel with the network.
    ['host pid, joined by network', joined({ PidMode: 'host' }), 'network', false],
    ['host network, joined by volumes', joined({ NetworkMode: 'host' }), 'volumes', false],
    ['host uts, joined by ipc', joined({ UTSMode: 'host' }), 'ipc', false],
    // The daemon's default on cgroup v1 hosts: every administrator's container has it.
    ['host cgroupns, joined by pid', joined({ CgroupnsMode: 'host' }), 'pid', false],
    // The defaults the daemon stores are masked paths, not unmasked ones.
    [
      'default masked paths, joined by pid',
      joined({ MaskedPaths: ['/proc/kcore'], ReadonlyPaths: ['/proc/sys'] }),
      'pid',
      false,
    ],
    ['an allowed capability', joined({ CapAdd: ['CAP_NET_ADMIN'] }), 'ipc', false],
    ['a bind under a writable prefix', joined({}, [bind('/srv/ci/cache', true)]), 'volumes', false],
    ['a read-only bind of a read-only prefix', joined({}, [bind('/srv/config', false)]), 'volumes', false],
    // The daemon's m.RW && ReadWrite(mode): ":ro" makes a writable bind read-only.
    [
      '":ro" of a writable bind of a read-only prefix',
      joined({}, [bind('/srv/config', true)]),
      'volumes',
      true,
    ],
    ['tmpfs and image mounts', joined({}, [{ Type: 'tmpfs' }, { Type: 'image' }]), 'volumes', false],
  ])('allowed: %s', (_label, j, kind, readOnly) => {
    expect(judge(j, kind, readOnly)).toEqual([]);
  });

  it('named volumes are handed on, read-only as the join makes them, for the daemon look-ups', () => {
    const j = joined({}, [
      { Type: 'volume', Name: 'data', Destination: '/data', RW: true },
      { Type: 'volume', Name: 'seed', Destination: '/seed', RW: false },
    ]);
    expect(judge(j, 'volumes')).toEqual([
      {
        field: 'HostConfig.X, container "agent" Mounts[0].Name',
        name: 'data',
        readOnly: false,
        inherited: true,
      },
      {
        field: 'HostConfig.X, container "agent" Mounts[1].Name',
        name: 'seed',
        readOnly: true,
        inherited: true,
      },
    ]);
    expect(judge(j, 'volumes', true)).toMatchObject([{ readOnly: true }, { readOnly: true }]);
  });

  it('a chain that cannot be followed is refused in the same words for every reason', () => {
    const e = unjudgedChain('HostConfig.NetworkMode', 'network');
    expect(e.status).toBe(403);
    expect(e.rule).toBe('create rule hostNamespaces');
    expect(e.message).toBe(
      'dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode: it shares the network namespace of a container this client may not see or that is gone, which dockscope cannot judge',
    );
  });
});

describe('inherited access: an existing volume is judged by what it is stored as', () => {
  const stored = (driver: string, options: Record<string, string> = {}): StoredVolume => ({
    driver,
    options,
  });
  function verdict(volume: StoredVolume, readOnly: boolean): string {
    try {
      checkStoredVolume(RULES, 'HostConfig.Binds[0]', 'adminvol', volume, readOnly);
      return 'allowed';
    } catch (error) {
      if (error instanceof DockerApiError) return error.message;
      throw error;
    }
  }

  it.each<[string, StoredVolume, boolean, string]>([
    ['a plain local volume', stored('local'), false, 'allowed'],
    ['a tmpfs local volume', stored('local', { type: 'tmpfs', device: 'tmpfs' }), false, 'allowed'],
    [
      'a bind of /etc',
      stored('local', { type: 'none', o: 'bind', device: '/etc' }),
      true,
      'dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], volume "adminvol" Options.device: the host path /etc is not under a path this client may bind',
    ],
    ['a bind of an allowed path', stored('local', { o: 'bind', device: '/srv/ci/x' }), false, 'allowed'],
    [
      'a writable mount of a read-only path',
      stored('local', { type: 'none', o: 'bind', device: '/srv/config' }),
      false,
      'dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], volume "adminvol" Options.device: the host path /srv/config may only be bound read-only',
    ],
    [
      'a read-only mount of a read-only path',
      stored('local', { o: 'bind', device: '/srv/config' }),
      true,
      'allowed',
    ],
    ['a volume made read-only', stored('local', { o: 'bind,ro', device: '/srv/config' }), false, 'allowed'],
    [
      'NFS',
      stored('local', { type: 'nfs', o: 'addr=10.0.0.1,rw', device: ':/export' }),
      false,
      'dockscope: create rule "devices" refuses HostConfig.Binds[0], volume "adminvol" Options: a local volume of type "nfs" mounts a device or file system of the host',
    ],
    [
      'a block device',
      stored('local', { type: 'ext4', device: '/dev/sda1' }),
      true,
      'dockscope: create rule "devices" refuses HostConfig.Binds[0], volume "adminvol" Options: a local volume of type "ext4"',
    ],
    ['an allowed driver', stored('nfs-plugin', { share: 'x' }), false, 'allowed'],
    [
      'another driver',
      stored('sshfs'),
      false,
      'dockscope: create rule "volumeDrivers" refuses HostConfig.Binds[0], volume "adminvol" Driver: the volume is of the driver "sshfs", which is not allowed',
    ],
    [
      // A stored driver is always named; none is no driver dockscope knows.
      'no driver',
      stored(''),
      false,
      'dockscope: create rule "volumeDrivers" refuses HostConfig.Binds[0], volume "adminvol" Driver: the volume is of the driver "", which is not allowed',
    ],
  ])('%s', (_label, volume, readOnly, expected) => {
    const result = verdict(volume, readOnly);
    if (expected === 'allowed') expect(result).toBe('allowed');
    else expect(result.startsWith(expected), result).toBe(true);
  });
});
