import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface Inspect {
  HostConfig: Record<string, unknown> & { Mounts?: { Type: string; Source: string }[] | null };
}

/**
 * A client that may create containers must not get out to the host through them. Each way out is
 * first shown to work on the daemon itself (the container is created with the host's privilege), then
 * refused through dockscope with the rule and the field named, and no container is created.
 */
describe('create rules: no way out to the host', () => {
  const p = uniquePrefix('cr');
  const names: string[] = [];
  const volumes: string[] = [];
  let dir: string;
  let scoped: RunningDockscope;
  let optedOut: RunningDockscope;
  let ruled: Dockscope;
  let ruledHost: string;
  let n = 0;
  const daemon = { socketPath: dockerSocket };
  const next = () => {
    const name = `${p}-c${n++}`;
    names.push(name);
    return name;
  };
  const inspectOnDaemon = async (name: string) =>
    json(await rawRequest(daemon, 'GET', `/containers/${name}/json`)) as Inspect;
  const existsOnDaemon = async (name: string) =>
    (await rawRequest(daemon, 'GET', `/containers/${name}/json`)).status === 200;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-create-'));
    await mkdir(join(dir, 'rw'));
    await mkdir(join(dir, 'ro'));
    await writeFile(join(dir, 'rw', 'file'), 'rw-content\n');
    await writeFile(join(dir, 'ro', 'file'), 'ro-content\n');
    // A hidden container whose named volume holds a secret.
    await dockerOk(dockerHost, ['volume', 'create', `${p}-secretvol`]);
    volumes.push(`${p}-secretvol`);
    names.push(`${p}hidden`);
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--network',
      'none',
      '--name',
      `${p}hidden`,
      '-v',
      `${p}-secretvol:/data`,
      image,
      'sh',
      '-c',
      'echo vol-secret > /data/s; exec sleep 3600',
    ]);
    await createContainer(dockerHost, image, { name: `${p}-vis` });
    names.push(`${p}-vis`);
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
    optedOut = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-`,
      CREATE_RULES: 'off',
    });
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci
    containers: { names: [${p}-] }
    create:
      hostPaths: [${join(dir, 'rw')}, { path: ${join(dir, 'ro')}, readOnly: true }]
      capAdd: [NET_ADMIN]
`;
    ruled = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    ruledHost = `tcp://${ruled.addresses.ci}`;
  });

  afterAll(async () => {
    await Promise.all([scoped?.close(), optedOut?.close(), ruled?.close()]);
    await removeContainers(dockerHost, names);
    if (volumes.length > 0) await dockerCli(dockerHost, ['volume', 'rm', '-f', ...volumes]);
    await rm(dir, { recursive: true, force: true });
  });

  // The CLI flag, what the daemon stores for it, and the rule that refuses it.
  const flags: [string, string[], (i: Inspect) => unknown, unknown, string][] = [
    ['--privileged', ['--privileged'], (i) => i.HostConfig.Privileged, true, 'privileged'],
    [
      '-v /etc:/host-etc',
      ['-v', '/etc:/host-etc'],
      (i) => i.HostConfig.Binds,
      ['/etc:/host-etc'],
      'hostPaths',
    ],
    [
      '--mount type=bind',
      ['--mount', 'type=bind,src=/etc,dst=/host-etc'],
      (i) => i.HostConfig.Mounts?.[0]?.Source,
      '/etc',
      'hostPaths',
    ],
    ['--pid host', ['--pid', 'host'], (i) => i.HostConfig.PidMode, 'host', 'hostNamespaces'],
    ['--network host', ['--network', 'host'], (i) => i.HostConfig.NetworkMode, 'host', 'hostNamespaces'],
    ['--ipc host', ['--ipc', 'host'], (i) => i.HostConfig.IpcMode, 'host', 'hostNamespaces'],
    ['--uts host', ['--uts', 'host'], (i) => i.HostConfig.UTSMode, 'host', 'hostNamespaces'],
    ['--userns host', ['--userns', 'host'], (i) => i.HostConfig.UsernsMode, 'host', 'hostNamespaces'],
    [
      '--cap-add SYS_ADMIN',
      ['--cap-add', 'SYS_ADMIN'],
      (i) => i.HostConfig.CapAdd,
      ['CAP_SYS_ADMIN'],
      'capAdd',
    ],
    [
      '--device',
      ['--device', '/dev/null:/dev/xnull'],
      (i) => (i.HostConfig.Devices as { PathOnHost: string }[] | null)?.[0]?.PathOnHost,
      '/dev/null',
      'devices',
    ],
    [
      '--security-opt seccomp=unconfined',
      ['--security-opt', 'seccomp=unconfined'],
      (i) => i.HostConfig.SecurityOpt,
      ['seccomp=unconfined'],
      'securityOpt',
    ],
    [
      '--security-opt apparmor=unconfined',
      ['--security-opt', 'apparmor=unconfined'],
      (i) => i.HostConfig.SecurityOpt,
      ['apparmor=unconfined'],
      'securityOpt',
    ],
    [
      '--security-opt systempaths=unconfined',
      ['--security-opt', 'systempaths=unconfined'],
      (i) => i.HostConfig.MaskedPaths,
      [],
      'securityOpt',
    ],
    [
      '--sysctl kernel.shmmax',
      ['--sysctl', 'kernel.shmmax=1000000'],
      (i) => i.HostConfig.Sysctls,
      { 'kernel.shmmax': '1000000' },
      'sysctls',
    ],
    [
      "-v of a hidden container's named volume",
      ['-v', `${p}-secretvol:/stolen`],
      (i) => i.HostConfig.Binds,
      [`${p}-secretvol:/stolen`],
      'volumes',
    ],
  ];

  it.each(flags)(
    'docker create %s: works on the daemon, refused through dockscope',
    async (_l, args, stored, value, rule) => {
      const direct = next();
      await dockerOk(dockerHost, ['create', '--name', direct, ...args, image, 'true']);
      expect(stored(await inspectOnDaemon(direct))).toEqual(value);
      const through = next();
      const res = await dockerCli(scoped.host, ['create', '--name', through, ...args, image, 'true']);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`dockscope: create rule "${rule}" refuses HostConfig.`);
      expect(await existsOnDaemon(through)).toBe(false);
    },
  );

  it("the threat of the named volume: on the daemon it reads the hidden container's data", async () => {
    const res = await dockerOk(dockerHost, [
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      `${p}-secretvol:/stolen`,
      image,
      'cat',
      '/stolen/s',
    ]);
    expect(res).toContain('vol-secret');
  });

  it('docker run --volumes-from a hidden container answers as for a missing one', async () => {
    const through = next();
    const res = await dockerCli(scoped.host, [
      'create',
      '--name',
      through,
      '--volumes-from',
      `${p}hidden`,
      image,
      'true',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`No such container: ${p}hidden`);
    expect(await existsOnDaemon(through)).toBe(false);
  });

  // Raw bodies with keys spelled as the daemon still reads them (Go folds case, ſ and K).
  const bodies: [string, string, (i: Inspect) => unknown, unknown, string][] = [
    [
      'PRIVILEGED in upper case',
      '"hostconfig":{"PRIVILEGED":true}',
      (i) => i.HostConfig.Privileged,
      true,
      'privileged',
    ],
    [
      'pidmode in lower case',
      '"HostConfig":{"pidmode":"host"}',
      (i) => i.HostConfig.PidMode,
      'host',
      'hostNamespaces',
    ],
    [
      'NetworKMode with K (U+212A)',
      '"HostConfig":{"NetworKMode":"host"}',
      (i) => i.HostConfig.NetworkMode,
      'host',
      'hostNamespaces',
    ],
    [
      'Hoſtconfig with ſ (U+017F) and binds',
      '"Hoſtconfig":{"binds":["/etc:/x"]}',
      (i) => i.HostConfig.Binds,
      ['/etc:/x'],
      'hostPaths',
    ],
    [
      'mounts with lower-case keys',
      '"HostConfig":{"mounts":[{"type":"bind","source":"/","target":"/host"}]}',
      (i) => i.HostConfig.Mounts?.[0]?.Source,
      '/',
      'hostPaths',
    ],
    [
      'CapAdd as one string',
      '"HostConfig":{"CAPADD":"sys_admin"}',
      (i) => i.HostConfig.CapAdd,
      ['sys_admin'],
      'capAdd',
    ],
    [
      'ſecurityopt',
      '"HostConfig":{"ſecurityopt":["seccomp=unconfined"]}',
      (i) => i.HostConfig.SecurityOpt,
      ['seccomp=unconfined'],
      'securityOpt',
    ],
    [
      'devices in lower case',
      '"HostConfig":{"devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/x","CgroupPermissions":"rwm"}]}',
      (i) => (i.HostConfig.Devices as { PathOnHost: string }[] | null)?.[0]?.PathOnHost,
      '/dev/null',
      'devices',
    ],
  ];

  it.each(bodies)(
    'a raw body with %s: the daemon reads it, dockscope refuses it',
    async (_l, host, stored, value, rule) => {
      const body = `{"Image":"${image}","Cmd":["true"],${host}}`;
      const direct = next();
      expect((await rawRequest(daemon, 'POST', `/containers/create?name=${direct}`, body)).status).toBe(201);
      expect(stored(await inspectOnDaemon(direct))).toEqual(value);
      const through = next();
      const res = await rawRequest({ url: scoped.url }, 'POST', `/containers/create?name=${through}`, body);
      expect(res.status).toBe(403);
      expect((json(res) as { message: string }).message).toMatch(
        new RegExp(`^dockscope: create rule "${rule}" refuses `),
      );
      expect(await existsOnDaemon(through)).toBe(false);
    },
  );

  it('docker exec --privileged into a visible container is refused', async () => {
    // The daemon makes a privileged exec of it (this test host cannot run one, so its record shows it).
    const made = await rawRequest(
      daemon,
      'POST',
      `/containers/${p}-vis/exec`,
      '{"privileged":true,"Cmd":["true"]}',
    );
    expect(made.status).toBe(201);
    const execId = (json(made) as { Id: string }).Id;
    const record = json(await rawRequest(daemon, 'GET', `/exec/${execId}/json`)) as {
      ProcessConfig: { privileged: boolean };
    };
    expect(record.ProcessConfig.privileged).toBe(true);
    const res = await dockerCli(scoped.host, ['exec', '--privileged', `${p}-vis`, 'true']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('dockscope: create rule "privileged" refuses Privileged');
    const raw = await rawRequest(
      { url: scoped.url },
      'POST',
      `/containers/${p}-vis/exec`,
      '{"PRIVILEGED":true,"Cmd":["true"]}',
    );
    expect(raw.status).toBe(403);
    expect((await dockerCli(scoped.host, ['exec', `${p}-vis`, 'echo', 'ok'])).stdout).toBe('ok\n');
  });

  it('a bind-type local volume is refused (it would mount /etc later in any container)', async () => {
    const args = ['volume', 'create', '--opt', 'type=none', '--opt', 'o=bind', '--opt', 'device=/etc'];
    await dockerOk(dockerHost, [...args, `${p}-direct-bindvol`]);
    volumes.push(`${p}-direct-bindvol`);
    expect(
      await dockerOk(dockerHost, [
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${p}-direct-bindvol:/x`,
        image,
        'cat',
        '/x/hostname',
      ]),
    ).not.toBe('');
    const res = await dockerCli(scoped.host, [...args, `${p}-bindvol`]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('dockscope: create rule "hostPaths" refuses DriverOpts.device');
    expect((await rawRequest(daemon, 'GET', `/volumes/${p}-bindvol`)).status).toBe(404);
    // The same in another key spelling.
    const raw = await rawRequest(
      { url: scoped.url },
      'POST',
      '/volumes/create',
      `{"name":"${p}-bindvol","DRIVEROPTS":{"o":"bind","device":"/"}}`,
    );
    expect(raw.status).toBe(403);
    expect((await rawRequest(daemon, 'GET', `/volumes/${p}-bindvol`)).status).toBe(404);
  });

  it('a plugin install is refused: docker plugin create, and the pull of docker plugin install', async () => {
    const plugin = join(dir, 'plugin');
    await mkdir(join(plugin, 'rootfs'), { recursive: true });
    await writeFile(
      join(plugin, 'config.json'),
      JSON.stringify({
        description: 'test',
        interface: { types: ['docker.volumedriver/1.0'], socket: 'p.sock' },
        entrypoint: ['/bin/sh'],
        linux: { capabilities: ['CAP_SYS_ADMIN'] },
      }),
    );
    // The threat: on the daemon a plugin with the host's CAP_SYS_ADMIN is installed.
    await dockerOk(dockerHost, ['plugin', 'create', `${p}/direct`, plugin]);
    const inspected = await dockerOk(dockerHost, [
      'plugin',
      'inspect',
      '-f',
      '{{.Config.Linux.Capabilities}}',
      `${p}/direct`,
    ]);
    expect(inspected.trim()).toBe('[CAP_SYS_ADMIN]');
    await dockerOk(dockerHost, ['plugin', 'rm', `${p}/direct`]);
    // With some weight in it, as real plugins have: the CLI is still uploading when it is refused, and
    // must read the refusal, not a reset.
    await writeFile(join(plugin, 'rootfs', 'weight'), Buffer.alloc(4 * 1024 * 1024));
    const res = await dockerCli(scoped.host, ['plugin', 'create', `${p}/through`, plugin]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('dockscope: create rule "plugins" refuses POST /plugins/create');
    expect((await dockerCli(dockerHost, ['plugin', 'inspect', `${p}/through`])).code).not.toBe(0);
    // A large upload refused before it is read still gets its answer (the body is drained first).
    const big = await rawRequest(
      { url: scoped.url },
      'POST',
      `/plugins/create?name=${p}/big`,
      Buffer.alloc(6 * 1024 * 1024),
      { 'content-type': 'application/x-tar' },
    );
    expect(big.status).toBe(403);
    expect((json(big) as { message: string }).message).toContain('create rule "plugins"');
    const pull = await rawRequest(
      { url: scoped.url },
      'POST',
      '/v1.41/plugins/pull?remote=example/plugin',
      '[]',
    );
    expect(pull.status).toBe(403);
    expect((json(pull) as { message: string }).message).toContain('create rule "plugins"');
  });

  it('swarm services and joining a swarm are refused', async () => {
    for (const path of ['/services/create', '/swarm/join', '/swarm/init']) {
      const res = await rawRequest({ url: scoped.url }, 'POST', path, '{}');
      expect(res.status, path).toBe(403);
      expect((json(res) as { message: string }).message).toContain(
        `create rule "swarm" refuses POST ${path}`,
      );
    }
  });

  it('a build with --network host is refused', async () => {
    const res = await rawRequest({ url: scoped.url }, 'POST', '/build?networkmode=host', '', {
      'content-type': 'application/x-tar',
    });
    expect(res.status).toBe(403);
    expect((json(res) as { message: string }).message).toContain(
      'create rule "hostNamespaces" refuses the networkmode query',
    );
  });

  describe('the daemon reaching out from the host: plugins by path, logging drivers, fetched URLs', () => {
    let server: Server;
    let tcp: NetServer;
    const hits: string[] = [];
    const logged: string[] = [];
    let port = 0;
    let tcpPort = 0;
    beforeAll(async () => {
      // Answers as a network driver plugin would, and records what the daemon asks.
      server = createServer((req, res) => {
        hits.push(`${req.method} ${req.url}`);
        req.resume();
        res.setHeader('content-type', 'application/vnd.docker.plugins.v1+json');
        if (req.url === '/Plugin.Activate') res.end('{"Implements":["NetworkDriver"]}');
        else if (req.url === '/NetworkDriver.GetCapabilities') res.end('{"Scope":"local"}');
        else res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
      tcp = createNetServer((socket) => socket.on('data', (d) => logged.push(d.toString())));
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      tcpPort = (tcp.address() as AddressInfo).port;
      await mkdir(join(dir, 'plug'), { recursive: true });
      await writeFile(join(dir, 'plug', 'x.spec'), `http://127.0.0.1:${port}`);
    });
    afterAll(async () => {
      await dockerCli(dockerHost, ['network', 'rm', `${p}-plugnet`]);
      await new Promise((resolve) => server.close(resolve));
      await new Promise((resolve) => tcp.close(resolve));
    });
    // The daemon joins a driver name to its plugin directory: "../../.." climbs out of it.
    const driverPath = () => `../../..${join(dir, 'plug')}/x`;

    it('a network driver named by a path: the daemon loads it as a plugin; dockscope refuses it', async () => {
      const body = (name: string) => JSON.stringify({ Name: name, Driver: driverPath() });
      const direct = await rawRequest(daemon, 'POST', '/networks/create', body(`${p}-plugnet`));
      expect(direct.status, direct.body).toBe(201);
      expect(hits).toContain('POST /Plugin.Activate');
      expect(hits).toContain('POST /NetworkDriver.CreateNetwork');
      const before = hits.length;
      const res = await rawRequest({ url: scoped.url }, 'POST', '/networks/create', body(`${p}-plugnet2`));
      expect(res.status).toBe(403);
      expect((json(res) as { message: string }).message).toMatch(
        /^dockscope: create rule "networkDrivers" refuses Driver: /,
      );
      const ipam = await rawRequest(
        { url: scoped.url },
        'POST',
        '/networks/create',
        JSON.stringify({ Name: `${p}-n3`, ipam: { driver: driverPath() } }),
      );
      expect((json(ipam) as { message: string }).message).toMatch(
        /create rule "networkDrivers" refuses IPAM.Driver/,
      );
      const cli = await dockerCli(scoped.host, [
        'network',
        'create',
        '-d',
        'macvlan',
        '-o',
        'parent=eth0',
        `${p}-n4`,
      ]);
      expect(cli.stderr).toContain('create rule "networkDrivers" refuses Driver');
      expect(hits.length).toBe(before);
    });

    it("a syslog logging driver sends the container's output over the host's network; dockscope refuses it", async () => {
      const args = ['--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${tcpPort}`];
      await dockerOk(dockerHost, [
        'run',
        '--rm',
        '--network',
        'none',
        ...args,
        image,
        'echo',
        `${p}-logged-out`,
      ]);
      await waitFor('the syslog line', async () => logged.join('').includes(`${p}-logged-out`));
      const res = await dockerCli(scoped.host, [
        'run',
        '--rm',
        '--network',
        'none',
        '--name',
        next(),
        ...args,
        image,
        'echo',
        'x',
      ]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(
        'create rule "logDrivers" refuses HostConfig.LogConfig.Type: the logging driver "syslog"',
      );
      const plugin = await rawRequest(
        { url: scoped.url },
        'POST',
        `/containers/create?name=${next()}`,
        JSON.stringify({ Image: image, HostConfig: { logconfig: { type: driverPath() } } }),
      );
      expect((json(plugin) as { message: string }).message).toContain('create rule "logDrivers"');
    });

    it("/build?remote= and /images/create?fromSrc= make the daemon fetch from the host's network; dockscope refuses both", async () => {
      const url = `http://127.0.0.1:${port}/fetched`;
      await rawRequest(daemon, 'POST', `/build?remote=${encodeURIComponent(url)}`, '');
      await rawRequest(
        daemon,
        'POST',
        `/images/create?fromSrc=${encodeURIComponent(url)}&repo=${p}-imported`,
        '',
      );
      expect(hits.filter((h) => h === 'GET /fetched').length).toBe(2);
      const before = hits.length;
      const build = await rawRequest(
        { url: scoped.url },
        'POST',
        `/build?remote=${encodeURIComponent(url)}`,
        '',
      );
      expect(build.status).toBe(403);
      expect((json(build) as { message: string }).message).toContain(
        'create rule "fetch" refuses the remote query',
      );
      const imported = await rawRequest(
        { url: scoped.url },
        'POST',
        `/images/create?fromSrc=${encodeURIComponent(url)}&repo=${p}-imported`,
        '',
      );
      expect(imported.status).toBe(403);
      expect((json(imported) as { message: string }).message).toContain(
        'create rule "fetch" refuses the fromSrc query',
      );
      expect(hits.length).toBe(before);
    });
  });

  it("a create gets a private cgroup namespace (the daemon's default on cgroup v1 hosts is the host's)", async () => {
    const direct = next();
    await dockerOk(dockerHost, ['create', '--network', 'none', '--name', direct, image, 'true']);
    const info = json(await rawRequest(daemon, 'GET', '/info')) as { CgroupVersion?: string };
    const stored = (await inspectOnDaemon(direct)).HostConfig.CgroupnsMode;
    expect(stored).toBe(info.CgroupVersion === '1' ? 'host' : 'private');
    const through = next();
    await dockerOk(scoped.host, ['create', '--network', 'none', '--name', through, image, 'true']);
    expect((await inspectOnDaemon(through)).HostConfig.CgroupnsMode).toBe('private');
    // Asked for explicitly, the host's is refused.
    const res = await dockerCli(scoped.host, [
      'create',
      '--network',
      'none',
      '--name',
      next(),
      '--cgroupns',
      'host',
      image,
      'true',
    ]);
    expect(res.stderr).toContain('create rule "hostNamespaces" refuses HostConfig.CgroupnsMode');
  });

  it("a cgroup parent puts the container's cgroup where the client says; dockscope refuses it", async () => {
    // The threat on the daemon: the container's cgroup is made under the parent named (here a new one
    // beside /docker; the cgroup of another container would do as well, and share its limits).
    const direct = next();
    const run = await dockerCli(dockerHost, [
      'run',
      '--network',
      'none',
      '--cgroupns',
      'host',
      '--cgroup-parent',
      `${p}-parent`,
      '--name',
      direct,
      image,
      'cat',
      '/proc/self/cgroup',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`/${p}-parent/`);
    const res = await dockerCli(scoped.host, [
      'create',
      '--network',
      'none',
      '--cgroup-parent',
      `${p}-parent`,
      '--name',
      next(),
      image,
      'true',
    ]);
    expect(res.stderr).toContain('create rule "cgroupParent" refuses HostConfig.CgroupParent');
  });

  it('the swarm join tokens (GET /swarm) are refused', async () => {
    const res = await rawRequest({ url: scoped.url }, 'GET', '/swarm');
    expect(res.status).toBe(403);
    expect((json(res) as { message: string }).message).toContain('create rule "swarm" refuses GET /swarm');
  });

  it('CREATE_RULES=off lets a privileged create through (for a socket proxy that refuses creates itself)', async () => {
    const name = next();
    await dockerOk(optedOut.host, ['create', '--name', name, '--privileged', image, 'true']);
    expect((await inspectOnDaemon(name)).HostConfig.Privileged).toBe(true);
  });

  it('the allowed forms work: a bind under an allowed prefix, a read-only bind of a read-only one, an allowed capability', async () => {
    const run = (args: string[]) =>
      dockerCli(ruledHost, ['run', '--rm', '--network', 'none', '--name', next(), ...args]);
    const rw = await run(['-v', `${join(dir, 'rw')}:/w`, image, 'cat', '/w/file']);
    expect(rw.stdout).toBe('rw-content\n');
    const ro = await run(['-v', `${join(dir, 'ro')}:/r:ro`, image, 'cat', '/r/file']);
    expect(ro.stdout).toBe('ro-content\n');
    const cap = await run(['--cap-add', 'NET_ADMIN', image, 'true']);
    expect(cap.code).toBe(0);
    const mount = await run([
      '--mount',
      `type=bind,src=${join(dir, 'ro')},dst=/r,readonly`,
      image,
      'cat',
      '/r/file',
    ]);
    expect(mount.stdout).toBe('ro-content\n');
    // And what stays refused for this client.
    const writable = await run(['-v', `${join(dir, 'ro')}:/r`, image, 'true']);
    expect(writable.stderr).toContain(
      `create rule "hostPaths" refuses HostConfig.Binds[0]: the host path ${join(dir, 'ro')} may only be bound read-only`,
    );
    const other = await run(['--cap-add', 'SYS_ADMIN', image, 'true']);
    expect(other.stderr).toContain(
      'create rule "capAdd" refuses HostConfig.CapAdd: the capability CAP_SYS_ADMIN',
    );
    const outside = await run(['-v', `${dir}:/d`, image, 'true']);
    expect(outside.stderr).toContain('create rule "hostPaths"');
  });
});
