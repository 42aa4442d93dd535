import { describe, expect, it } from 'vitest';
import { CONTAINER_CREATE } from '../../../src/body/daemon-types.ts';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { DockerApiError } from '../../../src/errors.ts';
import { checkContainerCreate } from '../../../src/policy/container-create-rules.ts';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { checkMountText } from '../../../src/policy/mount-text.ts';

const create = (hostConfig: unknown) =>
  decodeBody(JSON.stringify({ Image: 'busybox', HostConfig: hostConfig }), CONTAINER_CREATE);

function message(check: () => void): string | null {
  try {
    check();
    return null;
  } catch (error) {
    if (error instanceof DockerApiError) return `${error.status} ${error.message}`;
    throw error;
  }
}

const RULES: CreateRules = { ...NO_WAY_OUT, hostPaths: [{ path: '/srv', readOnly: true }] };

// Podman's readings, measured in test/e2e/podman-create-rules.test.ts; here each form, table-driven.
describe('create forms only Podman reads', () => {
  it.each([
    [{ Type: 'bind', Source: '/srv/a', Target: '/t,source=/etc' }, 'Target'],
    [{ Type: 'bind', Source: '/srv/a,source=/', Target: '/t' }, 'Source'],
    [{ Type: 'bind', Source: '/srv/a', Target: '/t', Consistency: 'default,U=true' }, 'Consistency'],
    [
      { Type: 'bind', Source: '/srv/a', Target: '/t', BindOptions: { Propagation: 'rprivate,source=/' } },
      'BindOptions.Propagation',
    ],
    [{ Type: 'volume', Source: 'v', Target: '/t\nx' }, 'Target'],
    [{ Type: 'volume', Source: 'v"', Target: '/t' }, 'Source'],
    [{ Type: 'tmpfs', Target: '/t,tmpfs-mode=4777' }, 'Target'],
  ])('a Mounts entry %j is refused naming %s', (mount, field) => {
    expect(message(() => checkMountText(create({ Mounts: [mount] })))).toBe(
      `403 dockscope: create rule "mounts" refuses HostConfig.Mounts[0].${field}: a comma, a double quote or a control character there is read as more mount options by Podman`,
    );
  });

  it('plain mount fields pass, and a mount’s driver options keep their commas', () => {
    const mounts = [
      {
        Type: 'bind',
        Source: '/srv/a',
        Target: '/t',
        Consistency: 'cached',
        BindOptions: { Propagation: 'rslave' },
      },
      {
        Type: 'volume',
        Source: 'v',
        Target: '/v',
        VolumeOptions: { DriverConfig: { Options: { o: 'addr=x,rw' } } },
      },
    ];
    expect(message(() => checkMountText(create({ Mounts: mounts })))).toBeNull();
  });

  it.each(['ro,U', 'U', 'idmap', 'O', 'ro,dev', 'suid', 'exec', 'copy', 'ro,'])(
    'the bind option list %s is refused',
    (mode) => {
      expect(message(() => checkContainerCreate(RULES, create({ Binds: [`/srv/a:/t:${mode}`] })))).toMatch(
        /^403 dockscope: create rule "hostPaths" refuses HostConfig\.Binds\[0\]: the bind option ".*" is not one dockerd knows$/,
      );
    },
  );

  it.each(['ro', 'ro,z', 'Z,ro,rprivate', 'ro,nocopy', 'ro,cached'])(
    'dockerd’s bind modes %s pass',
    (mode) => {
      expect(message(() => checkContainerCreate(RULES, create({ Binds: [`/srv/a:/t:${mode}`] })))).toBeNull();
    },
  );

  it.each([
    'slirp4netns:allow_host_loopback=true',
    'slirp4netns',
    'pasta',
    'pasta:--map-gw',
    'bridge:ip=10.0.0.2',
    'mynet:alias=a',
    'host:alias=a',
  ])('NetworkMode %s is refused unless the host network is allowed', (mode) => {
    expect(message(() => checkContainerCreate(RULES, create({ NetworkMode: mode })))).toMatch(
      /^403 dockscope: create rule "hostNamespaces" refuses HostConfig\.NetworkMode: Podman reads ".*" as a network mode of its own/,
    );
    const hostNet: CreateRules = { ...RULES, hostNamespaces: ['network'] };
    expect(message(() => checkContainerCreate(hostNet, create({ NetworkMode: mode })))).toBeNull();
  });

  it.each(['bridge', 'none', 'default', 'mynet', 'container:web'])(
    'NetworkMode %s is no Podman mode of its own',
    (mode) => {
      expect(message(() => checkContainerCreate(RULES, create({ NetworkMode: mode })))).toBeNull();
    },
  );

  it.each([
    ['json-file', 'path'],
    ['', 'PATH'],
    ['local', 'path=/etc/x'],
    ['json-file', 'syslog-address'],
    ['none', 'path'],
  ])('the %s driver’s log option %s is refused', (driver, key) => {
    const body = create({ LogConfig: { Type: driver, Config: { [key]: '/etc/cron.d/x' } } });
    expect(message(() => checkContainerCreate(RULES, body))).toMatch(
      /^403 dockscope: create rule "logDrivers" refuses HostConfig\.LogConfig\.Config: the log option .* is not allowed/,
    );
  });

  it('dockerd’s own log options pass; a driver the rules allow keeps its options but path', () => {
    const own = create({
      LogConfig: {
        Type: 'json-file',
        Config: { 'max-size': '1m', 'max-file': '3', tag: 't', mode: 'non-blocking' },
      },
    });
    expect(message(() => checkContainerCreate(RULES, own))).toBeNull();
    const syslog: CreateRules = { ...RULES, logDrivers: ['syslog'] };
    const allowed = create({
      LogConfig: { Type: 'syslog', Config: { 'syslog-address': 'udp://10.0.0.1:514' } },
    });
    expect(message(() => checkContainerCreate(syslog, allowed))).toBeNull();
    const path = create({ LogConfig: { Type: 'syslog', Config: { Path: '/etc/x' } } });
    expect(message(() => checkContainerCreate(syslog, path))).toContain(
      'Podman writes the output to that path of the host',
    );
  });
});
