import { describe, expect, it } from 'vitest';
import { CONTAINER_CREATE, NETWORK_CREATE, VOLUME_CREATE } from '../../../src/body/daemon-types.ts';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { DockerApiError } from '../../../src/errors.ts';
import { checkContainerCreate, namedObjects } from '../../../src/policy/container-create-rules.ts';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT, normalizeCapability } from '../../../src/policy/create-rules.ts';
import { checkVolumeCreate } from '../../../src/policy/mount-rules.ts';
import { checkNetworkCreate } from '../../../src/policy/network-rules.ts';

const create = (hostConfig: unknown, extra: Record<string, unknown> = {}) =>
  decodeBody(JSON.stringify({ Image: 'busybox', HostConfig: hostConfig, ...extra }), CONTAINER_CREATE);

function refusal(rules: CreateRules, body: ReturnType<typeof create>): DockerApiError {
  try {
    checkContainerCreate(rules, body);
  } catch (error) {
    if (error instanceof DockerApiError) return error;
    throw error;
  }
  throw new Error('not refused');
}

const ALLOWING: CreateRules = {
  ...NO_WAY_OUT,
  privileged: false,
  hostNamespaces: ['network'],
  hostPaths: [
    { path: '/srv/ci', readOnly: false },
    { path: '/srv/ci/secrets', readOnly: true },
    { path: '/etc/ssl', readOnly: true },
  ],
  capAdd: ['CAP_NET_ADMIN'],
  securityOpt: ['apparmor=ci-profile'],
  sysctls: ['net.ipv4.ip_unprivileged_port_start', 'net.core.*'],
  volumeDrivers: ['nfs-plugin'],
};

describe('create rules: every way out is refused with the rule and the field named', () => {
  it.each<[string, unknown, string, string]>([
    ['privileged', { Privileged: true }, 'privileged', 'HostConfig.Privileged'],
    ['privileged in another spelling', { privileged: true }, 'privileged', 'HostConfig.Privileged'],
    ['host network', { NetworkMode: 'host' }, 'hostNamespaces', 'HostConfig.NetworkMode'],
    ['host pid', { PidMode: 'host' }, 'hostNamespaces', 'HostConfig.PidMode'],
    ['host pid, upper case', { PIDMODE: 'HOST' }, 'hostNamespaces', 'HostConfig.PidMode'],
    ['host ipc', { IpcMode: 'host' }, 'hostNamespaces', 'HostConfig.IpcMode'],
    ['host uts', { UTSMode: 'host' }, 'hostNamespaces', 'HostConfig.UTSMode'],
    ['host userns', { UsernsMode: 'host' }, 'hostNamespaces', 'HostConfig.UsernsMode'],
    ['host cgroupns', { CgroupnsMode: 'host' }, 'hostNamespaces', 'HostConfig.CgroupnsMode'],
    // Podman joins the namespace at the path (test/e2e/podman.test.ts shows the host's pid namespace).
    ['Podman: pid by path', { PidMode: 'ns:/proc/1/ns/pid' }, 'hostNamespaces', 'HostConfig.PidMode'],
    ['Podman: net by path', { NetworkMode: 'ns:/proc/1/ns/net' }, 'hostNamespaces', 'HostConfig.NetworkMode'],
    ['Podman: ipc by path', { IpcMode: 'NS:/proc/1/ns/ipc' }, 'hostNamespaces', 'HostConfig.IpcMode'],
    ['Podman: uts by path', { UTSMode: 'ns:/proc/1/ns/uts' }, 'hostNamespaces', 'HostConfig.UTSMode'],
    [
      'Podman: userns by path',
      { UsernsMode: 'ns:/proc/1/ns/user' },
      'hostNamespaces',
      'HostConfig.UsernsMode',
    ],
    [
      'Podman: cgroupns by path',
      { CgroupnsMode: 'ns:/proc/1/ns/cgroup' },
      'hostNamespaces',
      'HostConfig.CgroupnsMode',
    ],
    ['a host bind', { Binds: ['/etc:/host-etc'] }, 'hostPaths', 'HostConfig.Binds[0]'],
    ['the root bind', { Binds: ['/:/host:ro'] }, 'hostPaths', 'HostConfig.Binds[0]'],
    ['a dot-dot bind', { Binds: ['/srv/ci/../../etc:/x'] }, 'hostPaths', 'HostConfig.Binds[0]'],
    ['a double-slash bind', { Binds: ['//etc:/x'] }, 'hostPaths', 'HostConfig.Binds[0]'],
    [
      'a bind mount',
      { Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/s' }] },
      'hostPaths',
      'HostConfig.Mounts[0].Source',
    ],
    [
      'a mount of an unknown type',
      { Mounts: [{ Type: 'npipe', Source: 'x', Target: '/s' }] },
      'mounts',
      'HostConfig.Mounts[0].Type',
    ],
    [
      'a volume mount with bind options',
      {
        Mounts: [
          {
            Type: 'volume',
            Target: '/x',
            VolumeOptions: {
              DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } },
            },
          },
        ],
      },
      'hostPaths',
      'HostConfig.Mounts[0].VolumeOptions.DriverConfig.Options.device',
    ],
    [
      'a volume mount of a block device',
      {
        Mounts: [
          {
            Type: 'volume',
            Target: '/x',
            VolumeOptions: { DriverConfig: { Options: { type: 'ext4', device: '/dev/sda1' } } },
          },
        ],
      },
      'devices',
      'HostConfig.Mounts[0].VolumeOptions.DriverConfig.Options',
    ],
    ['a volume driver', { VolumeDriver: 'evil' }, 'volumeDrivers', 'HostConfig.VolumeDriver'],
    ['a device', { Devices: [{ PathOnHost: '/dev/sda' }] }, 'devices', 'HostConfig.Devices'],
    ['a device cgroup rule', { DeviceCgroupRules: ['c *:* rwm'] }, 'devices', 'HostConfig.DeviceCgroupRules'],
    ['a GPU', { DeviceRequests: [{ Count: -1 }] }, 'devices', 'HostConfig.DeviceRequests'],
    ['an added capability', { CapAdd: ['SYS_ADMIN'] }, 'capAdd', 'HostConfig.CapAdd'],
    ['every capability', { CapAdd: 'ALL' }, 'capAdd', 'HostConfig.CapAdd'],
    ['a capability as one string', { capadd: 'sys_ptrace' }, 'capAdd', 'HostConfig.CapAdd'],
    // Read by 19.03 daemons only: the capability set itself.
    [
      'the capability set of a 19.03 daemon',
      { Capabilities: ['CAP_SYS_ADMIN'] },
      'capAdd',
      'HostConfig.Capabilities',
    ],
    // Read by 1.13 daemons only: a host binary bound in as init.
    ['an init binary from the host (1.13)', { InitPath: '/usr/bin/x' }, 'hostPaths', 'HostConfig.InitPath'],
    ['seccomp unconfined', { SecurityOpt: ['seccomp=unconfined'] }, 'securityOpt', 'HostConfig.SecurityOpt'],
    [
      'apparmor unconfined',
      { SecurityOpt: ['apparmor:unconfined'] },
      'securityOpt',
      'HostConfig.SecurityOpt',
    ],
    ['label disable', { SecurityOpt: ['label=disable'] }, 'securityOpt', 'HostConfig.SecurityOpt'],
    [
      'a custom seccomp profile',
      { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'] },
      'securityOpt',
      'HostConfig.SecurityOpt',
    ],
    [
      'systempaths unconfined',
      { MaskedPaths: [], ReadonlyPaths: [] },
      'securityOpt',
      'HostConfig.MaskedPaths',
    ],
    ['a sysctl', { Sysctls: { 'kernel.shmmax': '1' } }, 'sysctls', 'HostConfig.Sysctls'],
    [
      'no-new-privileges=false',
      { SecurityOpt: ['no-new-privileges=false'] },
      'securityOpt',
      'HostConfig.SecurityOpt',
    ],
    [
      'a syslog driver',
      { LogConfig: { Type: 'syslog', Config: { 'syslog-address': 'tcp://10.0.0.1:514' } } },
      'logDrivers',
      'HostConfig.LogConfig.Type',
    ],
    [
      'a logging driver by path',
      { logconfig: { type: '../../../tmp/x' } },
      'logDrivers',
      'HostConfig.LogConfig.Type',
    ],
    ['another runtime', { Runtime: 'nvidia' }, 'runtimes', 'HostConfig.Runtime'],
    [
      'OCI annotations',
      { Annotations: { 'org.systemd.property.x': 'y' } },
      'annotations',
      'HostConfig.Annotations',
    ],
    ['a cgroup parent', { CgroupParent: '/docker/other' }, 'cgroupParent', 'HostConfig.CgroupParent'],
    [
      'a cgroup parent (any letter case)',
      { cgroupparent: 'outside' },
      'cgroupParent',
      'HostConfig.CgroupParent',
    ],
  ])('%s', (_label, hostConfig, rule, field) => {
    const error = refusal(NO_WAY_OUT, create(hostConfig));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(
      new RegExp(`^dockscope: create rule "${rule}" refuses ${field.replace(/[.[\]]/g, '\\$&')}: `),
    );
  });

  it('an endpoint on the host network is the host network namespace', () => {
    const error = refusal(NO_WAY_OUT, create(null, { NetworkingConfig: { EndpointsConfig: { host: {} } } }));
    expect(error.message).toMatch(/^dockscope: create rule "hostNamespaces" refuses NetworkingConfig/);
  });
});

describe('create rules: what a client is allowed', () => {
  it.each<[string, unknown]>([
    ['nothing special', { NetworkMode: 'none', Binds: ['/data'] }],
    ['an allowed host namespace', { NetworkMode: 'host' }],
    ['a bind under an allowed prefix', { Binds: ['/srv/ci/cache:/cache:rw'] }],
    ['the allowed prefix itself', { Binds: ['/srv/ci:/ci'] }],
    ['a read-only bind of a read-only prefix', { Binds: ['/etc/ssl:/etc/ssl:ro'] }],
    [
      'a read-only bind mount',
      { Mounts: [{ Type: 'bind', Source: '/srv/ci/secrets/a', Target: '/a', ReadOnly: true }] },
    ],
    ['a tmpfs mount', { Mounts: [{ Type: 'tmpfs', Target: '/t' }] }],
    ['an anonymous volume mount', { Mounts: [{ Type: 'volume', Target: '/v' }] }],
    [
      'a tmpfs local volume',
      {
        Mounts: [
          {
            Type: 'volume',
            Target: '/v',
            VolumeOptions: { DriverConfig: { Options: { type: 'tmpfs', device: 'tmpfs' } } },
          },
        ],
      },
    ],
    ['an allowed capability in another spelling', { CapAdd: ['net_admin'] }],
    ['no-new-privileges', { SecurityOpt: ['no-new-privileges', 'no-new-privileges:true'] }],
    ['an allowed security option', { SecurityOpt: ['apparmor=ci-profile'] }],
    [
      'allowed sysctls',
      { Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.core.somaxconn': '1024' } },
    ],
    ['an allowed volume driver', { VolumeDriver: 'nfs-plugin' }],
    ['a visible container mode (judged as a reference)', { PidMode: 'container:web' }],
  ])('%s', (_label, hostConfig) => {
    expect(() => checkContainerCreate(ALLOWING, create(hostConfig))).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ['a bind outside the prefixes', { Binds: ['/srv/other:/x'] }, 'not under a path'],
    ['a prefix that is only a string prefix', { Binds: ['/srv/ci-other:/x'] }, 'not under a path'],
    [
      'a writable bind of a read-only subtree',
      { Binds: ['/srv/ci/secrets:/s'] },
      'may only be bound read-only',
    ],
    [
      'a read-only bind whose submounts stay writable',
      {
        Mounts: [
          {
            Type: 'bind',
            Source: '/etc/ssl',
            Target: '/s',
            ReadOnly: true,
            BindOptions: { ReadOnlyNonRecursive: true },
          },
        ],
      },
      'may only be bound read-only',
    ],
    ['a capability not listed', { CapAdd: ['SYS_ADMIN'] }, 'CAP_SYS_ADMIN'],
    ['a host namespace not listed', { PidMode: 'host' }, "host's pid namespace"],
  ])('still refused: %s', (_label, hostConfig, message) => {
    expect(refusal(ALLOWING, create(hostConfig)).message).toContain(message);
  });

  it('named volumes and user-defined networks are left for the daemon look-ups', () => {
    const deferred = namedObjects(
      create(
        {
          Binds: ['data:/data', 'conf:/conf:ro,z'],
          Mounts: [
            { Type: 'volume', Source: 'cache', Target: '/c' },
            { Type: 'volume', Source: 'seed', Target: '/s', ReadOnly: true },
          ],
          NetworkMode: 'ci-net',
        },
        { NetworkingConfig: { EndpointsConfig: { other: {} } } },
      ),
    );
    // How each is mounted: an existing volume is judged by what it is stored as, read-only or not.
    expect(deferred.volumes).toEqual([
      { field: 'HostConfig.Binds[0]', name: 'data', readOnly: false },
      { field: 'HostConfig.Binds[1]', name: 'conf', readOnly: true },
      { field: 'HostConfig.Mounts[0].Source', name: 'cache', readOnly: false },
      { field: 'HostConfig.Mounts[1].Source', name: 'seed', readOnly: true },
    ]);
    expect(deferred.networks.map((n) => n.name).sort()).toEqual(['ci-net', 'other']);
  });
});

describe('create rules: network create', () => {
  const network = (body: unknown) => decodeBody(JSON.stringify(body), NETWORK_CREATE);
  it.each<[string, unknown, RegExp]>([
    [
      'a driver named by a path (loaded as a plugin)',
      { Name: 'n', Driver: '../../../tmp/x' },
      /"networkDrivers" refuses Driver/,
    ],
    [
      'macvlan',
      { Name: 'n', Driver: 'macvlan', Options: { parent: 'eth0' } },
      /"networkDrivers" refuses Driver/,
    ],
    [
      'an IPAM driver by path',
      { Name: 'n', IPAM: { Driver: '../x' } },
      /"networkDrivers" refuses IPAM.Driver/,
    ],
    [
      "another network's bridge",
      { Name: 'n', Options: { 'com.docker.network.bridge.name': 'docker0' } },
      /"networkDrivers" refuses Options/,
    ],
  ])('refused: %s', (_l, body, message) => {
    expect(() => checkNetworkCreate(NO_WAY_OUT, network(body))).toThrow(message);
  });
  it.each<[string, unknown]>([
    ['a plain network', { Name: 'n' }],
    [
      'a bridge network, internal, with its subnet',
      {
        Name: 'n',
        Driver: 'bridge',
        Internal: true,
        IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24' }] },
      },
    ],
  ])('allowed: %s', (_l, body) => {
    expect(() => checkNetworkCreate(NO_WAY_OUT, network(body))).not.toThrow();
  });
  it('a listed driver is allowed, with its options', () => {
    expect(() =>
      checkNetworkCreate(
        { ...NO_WAY_OUT, networkDrivers: ['macvlan'] },
        network({ Driver: 'macvlan', Options: { parent: 'eth1' } }),
      ),
    ).not.toThrow();
  });
});

describe('create rules: volume create', () => {
  const volume = (body: unknown) => decodeBody(JSON.stringify(body), VOLUME_CREATE);
  const check = (rules: CreateRules, body: unknown) => () => checkVolumeCreate(rules, volume(body));
  it.each<[string, unknown, RegExp]>([
    [
      'a bind-type local volume',
      { Name: 'v', DriverOpts: { type: 'none', o: 'bind', device: '/etc' } },
      /"hostPaths" refuses DriverOpts.device/,
    ],
    [
      'a bind-type local volume in another key spelling',
      { name: 'v', driveropts: { o: 'bind', device: '/' } },
      /"hostPaths"/,
    ],
    [
      'a block device',
      { Name: 'v', DriverOpts: { type: 'ext4', device: '/dev/sda1' } },
      /"devices" refuses DriverOpts/,
    ],
    [
      'a network file system',
      { Name: 'v', DriverOpts: { type: 'nfs', o: 'addr=10.0.0.1', device: ':/export' } },
      /"devices"/,
    ],
    ['another driver', { Name: 'v', Driver: 'rclone' }, /"volumeDrivers" refuses Driver/],
    ['a cluster volume', { Name: 'v', ClusterVolumeSpec: {} }, /"swarm" refuses ClusterVolumeSpec/],
  ])('refused: %s', (_label, body, message) => {
    expect(check(NO_WAY_OUT, body)).toThrow(message);
  });
  it.each<[string, unknown]>([
    ['a plain volume', { Name: 'v' }],
    ['a tmpfs volume', { Name: 'v', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' } }],
    [
      'a bind under an allowed prefix',
      { Name: 'v', DriverOpts: { type: 'none', o: 'bind', device: '/srv/ci/v' } },
    ],
  ])('allowed: %s', (_label, body) => {
    expect(check(ALLOWING, body)).not.toThrow();
  });
});

describe('normalizeCapability', () => {
  it.each([
    ['sys_admin', 'CAP_SYS_ADMIN'],
    ['CAP_NET_RAW', 'CAP_NET_RAW'],
    [' net_admin ', 'CAP_NET_ADMIN'],
    ['all', 'ALL'],
  ])('%s is %s', (name, normal) => {
    expect(normalizeCapability(name)).toBe(normal);
  });
});

// The daemon's own lists, as inspect shows them (a 20.10 daemon) and Watchtower sends them back.
const MASKED_20_10 = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

describe('create rules: system paths as a recreate from an inspect sends them (issue #22)', () => {
  it.each<[string, unknown]>([
    ["the daemon's own lists", { MaskedPaths: MASKED_20_10, ReadonlyPaths: READONLY }],
    [
      'more than the defaults, in another order',
      { MaskedPaths: ['/proc/extra', ...MASKED_20_10].reverse(), ReadonlyPaths: [...READONLY, '/x'] },
    ],
  ])('%s pass', (_label, hostConfig) => {
    expect(() => checkContainerCreate(NO_WAY_OUT, create(hostConfig))).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    [
      'an empty MaskedPaths',
      { MaskedPaths: [] },
      'MaskedPaths: it changes which host paths are masked (systempaths): it leaves out /proc/asound',
    ],
    [
      'a MaskedPaths without /proc/kcore',
      { MaskedPaths: MASKED_20_10.filter((p) => p !== '/proc/kcore') },
      'MaskedPaths: it changes which host paths are masked (systempaths): it leaves out /proc/kcore',
    ],
    [
      'a ReadonlyPaths without /proc/sysrq-trigger',
      { MaskedPaths: MASKED_20_10, ReadonlyPaths: READONLY.slice(0, 4) },
      'ReadonlyPaths: it changes which host paths are masked (systempaths): it leaves out /proc/sysrq-trigger',
    ],
  ])('%s is refused, naming the path', (_label, hostConfig, message) => {
    const error = refusal(NO_WAY_OUT, create(hostConfig));
    expect(error.message).toBe(`dockscope: create rule "securityOpt" refuses HostConfig.${message}`);
  });
});
