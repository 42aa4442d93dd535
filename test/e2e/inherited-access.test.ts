import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { createServer } from 'node:net';
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
import { removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * Issue #19: a create that joins a visible container gets what that container has, and a create that
 * names an administrator's existing volume gets what that volume binds. Each is first shown on the
 * daemon (the joining container reads the host), then refused through dockscope with the rule and the
 * field named, by the CLI and by a raw body in another key spelling; the allowed forms still work.
 */
describe('inherited access: joined containers and existing volumes', () => {
  const p = uniquePrefix('ia');
  const names: string[] = [];
  const volumes: string[] = [];
  const daemon = { socketPath: dockerSocket };
  let dir: string;
  let scoped: RunningDockscope;
  let ruled: Dockscope;
  let ruledHost: string;
  let listener: Server;
  let port = 0;
  let n = 0;
  const next = () => {
    const name = `${p}-c${n++}`;
    names.push(name);
    return name;
  };
  const existsOnDaemon = async (name: string) =>
    (await rawRequest(daemon, 'GET', `/containers/${name}/json`)).status === 200;
  /** Runs a container on the daemon itself (the threat), and returns what it printed. */
  const onDaemon = (args: string[]) => dockerOk(dockerHost, ['run', '--rm', ...args]);
  const runSleeping = async (name: string, args: string[]) => {
    names.push(name);
    await dockerOk(dockerHost, ['run', '-d', '--name', name, ...args, image, 'sleep', '3600']);
  };
  /** A create through dockscope's scoped client by the CLI: its stderr, after checking nothing was made. */
  const refusedCli = async (args: string[]) => {
    const name = next();
    const res = await dockerCli(scoped.host, ['create', '--name', name, ...args, image, 'true']);
    expect(res.code).not.toBe(0);
    expect(await existsOnDaemon(name)).toBe(false);
    return res.stderr;
  };
  /** A raw create body through the scoped client: status and message, after checking nothing was made. */
  const refusedRaw = async (host: string) => {
    const name = next();
    const body = `{"Image":"${image}","Cmd":["true"],"HostConfig":{${host}}}`;
    const res = await rawRequest({ url: scoped.url }, 'POST', `/containers/create?name=${name}`, body);
    expect(await existsOnDaemon(name)).toBe(false);
    return { status: res.status, message: (json(res) as { message: string }).message };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-inherit-'));
    await mkdir(join(dir, 'host'));
    await mkdir(join(dir, 'ro'));
    await writeFile(join(dir, 'host', 'file'), 'host-secret\n');
    await writeFile(join(dir, 'ro', 'file'), 'ro-content\n');
    // A listener on the host's loopback: a container sees it in /proc/net/tcp only in the host's network.
    listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    port = (listener.address() as AddressInfo).port;
    const none = ['--network', 'none'];
    // Visible containers an administrator made on the daemon: a monitoring agent binding a host path,
    // one in the host's network, one that joined that one, one in the host's pid namespace, a plain one.
    await runSleeping(`${p}-agent`, [...none, '-v', `${join(dir, 'host')}:/host`]);
    await runSleeping(`${p}-roagent`, [...none, '-v', `${join(dir, 'ro')}:/ro`]);
    await runSleeping(`${p}-hostnet`, ['--network', 'host']);
    await runSleeping(`${p}-via`, ['--network', `container:${p}-hostnet`]);
    await runSleeping(`${p}hidden`, none);
    await runSleeping(`${p}-via-hidden`, ['--network', `container:${p}hidden`]);
    await runSleeping(`${p}-hostpid`, [...none, '--pid', 'host']);
    volumes.push(`${p}-plainvol`);
    await runSleeping(`${p}-plain`, [...none, '-v', `${p}-plainvol:/data`]);
    await dockerOk(dockerHost, ['exec', `${p}-plain`, 'sh', '-c', 'echo plain-data > /data/f']);
    // The administrator's bind-type volumes, unused.
    for (const [name, path] of [
      [`${p}-adminvol`, join(dir, 'host')],
      [`${p}-roadminvol`, join(dir, 'ro')],
    ] as const) {
      volumes.push(name);
      await dockerOk(dockerHost, [
        'volume',
        'create',
        ...['--opt', 'type=none', '--opt', 'o=bind', '--opt', `device=${path}`],
        name,
      ]);
    }
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci
    containers: { names: [${p}-] }
    create:
      hostPaths: [{ path: ${join(dir, 'ro')}, readOnly: true }]
`;
    ruled = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    ruledHost = `tcp://${ruled.addresses.ci}`;
  });

  afterAll(async () => {
    await Promise.all([scoped?.close(), ruled?.close()]);
    await removeContainers(dockerHost, names);
    if (volumes.length > 0) await dockerCli(dockerHost, ['volume', 'rm', '-f', ...volumes]);
    await new Promise((resolve) => listener?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("--volumes-from an agent that binds a host path: on the daemon it reads the host's file; refused", async () => {
    expect(
      await onDaemon(['--network', 'none', '--volumes-from', `${p}-agent`, image, 'cat', '/host/file']),
    ).toBe('host-secret\n');
    const refusal = `create rule "hostPaths" refuses HostConfig.VolumesFrom[0], container "${p}-agent" Mounts[0].Source: the host path ${join(dir, 'host')} is not under a path this client may bind (it may bind none)`;
    expect(await refusedCli(['--network', 'none', '--volumes-from', `${p}-agent`])).toContain(
      `dockscope: ${refusal}`,
    );
    // Read-only changes nothing where no host path may be bound; the lower-case key is the daemon's too.
    expect(await refusedRaw(`"volumesfrom":["${p}-agent:ro"]`)).toEqual({
      status: 403,
      message: `dockscope: ${refusal}`,
    });
  });

  it("--network container: of a host-network container (or of one that joined it): on the daemon it is the host's network; refused", async () => {
    const socket = new RegExp(
      `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`,
    );
    for (const joined of [`${p}-hostnet`, `${p}-via`]) {
      expect(await onDaemon(['--network', `container:${joined}`, image, 'cat', '/proc/net/tcp'])).toMatch(
        socket,
      );
    }
    expect(await refusedCli(['--network', `container:${p}-hostnet`])).toContain(
      `dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode, container "${p}-hostnet" HostConfig.NetworkMode: it joins the host's network namespace`,
    );
    expect(await refusedRaw(`"networkmode":"container:${p}-via"`)).toEqual({
      status: 403,
      message: `dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode, container "${p}-via" via "${p}-hostnet" HostConfig.NetworkMode: it joins the host's network namespace`,
    });
  });

  it('a chain through a container the client may not see is refused, in the words for a gone one', async () => {
    // On the daemon the join works (the hidden container's network is none: nothing to judge but that).
    expect(await onDaemon(['--network', `container:${p}-via-hidden`, image, 'true'])).toBe('');
    expect(await refusedRaw(`"NetworkMode":"container:${p}-via-hidden"`)).toEqual({
      status: 403,
      message:
        'dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode: it shares the network namespace of a container this client may not see or that is gone, which dockscope cannot judge',
    });
  });

  it("--pid container: of a host-pid container: on the daemon it sees the host's processes; refused", async () => {
    const cmdline = await onDaemon([
      '--network',
      'none',
      '--pid',
      `container:${p}-hostpid`,
      image,
      'cat',
      `/proc/${process.pid}/cmdline`,
    ]);
    // This test's own process, seen from inside the container.
    expect(cmdline).toBe(await readFile(`/proc/${process.pid}/cmdline`, 'utf8'));
    const refusal = `dockscope: create rule "hostNamespaces" refuses HostConfig.PidMode, container "${p}-hostpid" HostConfig.PidMode: it joins the host's pid namespace`;
    expect(await refusedCli(['--network', 'none', '--pid', `container:${p}-hostpid`])).toContain(refusal);
    expect(await refusedRaw(`"PIDMODE":"container:${p}-hostpid"`)).toEqual({ status: 403, message: refusal });
  });

  it("--pid container: of a host-network container (or of one that joined it): on the daemon its processes are in the host's network; refused", async () => {
    // A shared pid namespace reaches the joined container's processes, and /proc/1/net is the network
    // namespace of its pid 1: the host's. (Through ptrace it can act there too; review of #19.)
    const socket = new RegExp(
      `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`,
    );
    for (const joined of [`${p}-hostnet`, `${p}-via`]) {
      expect(
        await onDaemon([
          '--network',
          'none',
          '--pid',
          `container:${joined}`,
          image,
          'cat',
          '/proc/1/net/tcp',
        ]),
      ).toMatch(socket);
    }
    expect(await refusedCli(['--network', 'none', '--pid', `container:${p}-hostnet`])).toContain(
      `dockscope: create rule "hostNamespaces" refuses HostConfig.PidMode, container "${p}-hostnet" HostConfig.NetworkMode: it joins the host's network namespace`,
    );
    expect(await refusedRaw(`"pidmode":"container:${p}-via"`)).toEqual({
      status: 403,
      message: `dockscope: create rule "hostNamespaces" refuses HostConfig.PidMode, container "${p}-via" via "${p}-hostnet" HostConfig.NetworkMode: it joins the host's network namespace`,
    });
  });

  it("an administrator's bind-type volume: on the daemon it reads the host directory; refused by name and as a mount", async () => {
    expect(await onDaemon(['--network', 'none', '-v', `${p}-adminvol:/x`, image, 'cat', '/x/file'])).toBe(
      'host-secret\n',
    );
    const what = `volume "${p}-adminvol" Options.device: the host path ${join(dir, 'host')} is not under a path this client may bind (it may bind none)`;
    expect(await refusedCli(['--network', 'none', '-v', `${p}-adminvol:/x:ro`])).toContain(
      `dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], ${what}`,
    );
    expect(await refusedRaw(`"mounts":[{"type":"volume","source":"${p}-adminvol","target":"/x"}]`)).toEqual({
      status: 403,
      message: `dockscope: create rule "hostPaths" refuses HostConfig.Mounts[0].Source, ${what}`,
    });
  });

  it('under a read-only host path: read-only joins and mounts work, writable ones are refused', async () => {
    const run = (args: string[]) =>
      dockerCli(ruledHost, ['run', '--rm', '--network', 'none', '--name', next(), ...args]);
    const ro = join(dir, 'ro');
    expect((await run(['-v', `${p}-roadminvol:/x:ro`, image, 'cat', '/x/file'])).stdout).toBe('ro-content\n');
    expect((await run(['--volumes-from', `${p}-roagent:ro`, image, 'cat', '/ro/file'])).stdout).toBe(
      'ro-content\n',
    );
    expect((await run(['-v', `${p}-roadminvol:/x`, image, 'true'])).stderr).toContain(
      `dockscope: create rule "hostPaths" refuses HostConfig.Binds[0], volume "${p}-roadminvol" Options.device: the host path ${ro} may only be bound read-only`,
    );
    expect((await run(['--volumes-from', `${p}-roagent`, image, 'true'])).stderr).toContain(
      `dockscope: create rule "hostPaths" refuses HostConfig.VolumesFrom[0], container "${p}-roagent" Mounts[0].Source: the host path ${ro} may only be bound read-only`,
    );
  });

  it('joining a plain visible container and mounting a normal named volume still work', async () => {
    const run = (args: string[]) => dockerCli(scoped.host, ['run', '--rm', '--name', next(), ...args]);
    const fromIt = await run([
      '--network',
      'none',
      '--volumes-from',
      `${p}-plain:ro`,
      image,
      'cat',
      '/data/f',
    ]);
    expect(fromIt).toMatchObject({ code: 0, stdout: 'plain-data\n' });
    const byName = await run(['--network', 'none', '-v', `${p}-plainvol:/v`, image, 'cat', '/v/f']);
    expect(byName).toMatchObject({ code: 0, stdout: 'plain-data\n' });
    // Its processes: pid 1 of the joined pid namespace is the plain container's sleep.
    const shared = await run([
      '--network',
      `container:${p}-plain`,
      '--pid',
      `container:${p}-plain`,
      image,
      'cat',
      '/proc/1/cmdline',
    ]);
    expect(shared).toMatchObject({ code: 0, stdout: 'sleep\x003600\x00' });
  });

  it('--volumes-from a hidden container that binds a host path answers as for a missing one', async () => {
    names.push(`${p}hidden-agent`);
    await dockerOk(dockerHost, [
      'create',
      '--network',
      'none',
      '--name',
      `${p}hidden-agent`,
      '-v',
      `${join(dir, 'host')}:/host`,
      image,
      'true',
    ]);
    const hidden = await refusedCli(['--network', 'none', '--volumes-from', `${p}hidden-agent`]);
    const missing = await refusedCli(['--network', 'none', '--volumes-from', `${p}hidden-nosuch`]);
    expect(hidden).toContain(`No such container: ${p}hidden-agent`);
    expect(hidden.replace(`${p}hidden-agent`, 'X')).toBe(missing.replace(`${p}hidden-nosuch`, 'X'));
  });
});
