import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { Server as NetServer } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PodmanService } from '../harness/podman.ts';
import { importBusyboxIntoPodman, podmanOk, startPodman } from '../harness/podman.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscopeFile } from './support/dockscope.ts';
import { uniquePrefix } from './support/fixtures.ts';
import type { RawResponse } from './support/http.ts';
import { json, rawRequest } from './support/http.ts';

const dockerSocket = inject('dockerSocket');
const dockerImage = inject('image');

/** Status and body with Podman's per-request X-Reference-Id and the Date left out. */
function answer(res: RawResponse, ref: string) {
  const headers: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = (res.rawHeaders[i] ?? '').toLowerCase();
    if (name === 'date' || name === 'x-reference-id') continue;
    headers.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  }
  return { status: res.status, headers, body: res.body.split(ref).join('<ref>') };
}

/**
 * Create rules with Podman as the upstream (review of issue #24): what Podman's compat API reads that
 * dockerd does not. Each way out is first run on Podman itself (the container gets the host's /etc, a
 * hidden container's volume, the host's loopback, or chowns a read-only host path), then sent through
 * dockscope, which refuses it; dockerd's own answer to the same input shows what refusing costs there.
 */
describe('Podman under create rules: the ways out that only Podman reads', () => {
  const p = uniquePrefix('pcr');
  let podman: PodmanService;
  let image: string;
  let dir: string;
  let ruled: RunningDockscope;
  let owned: RunningDockscope;
  let loopback: NetServer;
  let loopbackPort = 0;
  let hiddenId = '';
  let n = 0;
  const pod = () => ({ socketPath: podman.socketPath });
  const body = (hostConfig: Record<string, unknown>, cmd: string[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ Image: image, Cmd: cmd, HostConfig: hostConfig, ...extra });

  /** Creates, starts and waits for a container on Podman itself; its output. */
  async function runOnPodman(payload: string): Promise<string> {
    const name = `${p}-d${n++}`;
    const created = await rawRequest(pod(), 'POST', `/v1.41/containers/create?name=${name}`, payload);
    expect(created.status, created.body).toBe(201);
    const started = await rawRequest(pod(), 'POST', `/v1.41/containers/${name}/start`);
    expect(started.status, started.body).toBe(204);
    await rawRequest(pod(), 'POST', `/v1.41/containers/${name}/wait`);
    return podmanOk(podman, ['logs', name]);
  }

  /** The same create through dockscope: refused, and no container made. */
  async function refusedThrough(payload: string): Promise<string> {
    const name = `${p}-r${n++}`;
    const res = await rawRequest(
      { url: ruled.url },
      'POST',
      `/v1.41/containers/create?name=${name}`,
      payload,
    );
    expect(res.status, res.body).toBe(403);
    expect((await rawRequest(pod(), 'GET', `/v1.41/containers/${name}/json`)).status).toBe(404);
    return (json(res) as { message: string }).message;
  }

  /** dockerd's answer to the same create (the test daemon of the global setup). */
  async function onDocker(hostConfig: Record<string, unknown>, start = false): Promise<RawResponse> {
    const name = `${p}-k${n++}`;
    let res = await rawRequest(
      { socketPath: dockerSocket },
      'POST',
      `/containers/create?name=${name}`,
      JSON.stringify({ Image: dockerImage, Cmd: ['true'], HostConfig: hostConfig }),
    );
    if (start && res.status === 201) {
      res = await rawRequest({ socketPath: dockerSocket }, 'POST', `/containers/${name}/start`);
    }
    await rawRequest({ socketPath: dockerSocket }, 'DELETE', `/containers/${name}?force=1&v=1`);
    return res;
  }

  beforeAll(async () => {
    podman = await startPodman();
    image = await importBusyboxIntoPodman(podman);
    dir = await mkdtemp(join(tmpdir(), 'ds-pcr-'));
    for (const sub of ['rw', 'ro']) {
      await mkdir(join(dir, sub));
      await writeFile(join(dir, sub, 'file'), `${sub}\n`);
    }
    // A hidden container whose volume holds a secret.
    await podmanOk(podman, ['volume', 'create', `${p}secretvol`]);
    hiddenId = (
      await podmanOk(podman, [
        'run',
        '-d',
        '--name',
        `${p}hidden`,
        '--hostname',
        'hidden-host',
        '-v',
        `${p}secretvol:/data`,
        image,
        'sh',
        '-c',
        'echo vol-secret > /data/s; exec sleep 3600',
      ])
    ).trim();
    // A service on the host's loopback only, as a socket proxy on 127.0.0.1 would be.
    loopback = createServer((c) => c.end('host-loopback\n'));
    await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
    loopbackPort = (loopback.address() as { port: number }).port;
    ruled = await startTestDockscopeFile(`
upstream: ${podman.host}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci
    containers: { names: [${p}-] }
    create:
      hostPaths: [${join(dir, 'rw')}, { path: ${join(dir, 'ro')}, readOnly: true }]
`);
    owned = await startTestDockscopeFile(`
upstream: ${podman.host}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci-a
    containers: owned
    owner: ci-a
`);
  });

  afterAll(async () => {
    await owned?.close();
    await ruled?.close();
    loopback?.close();
    await podman?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a comma in a mount field binds the host’s /etc on Podman (a later source= wins): refused', async () => {
    const rw = join(dir, 'rw');
    const ls = ['sh', '-c', 'ls /t/passwd'];
    for (const mount of [
      { Type: 'bind', Source: rw, Target: '/t,source=/etc' },
      { Type: 'bind', Source: rw, Target: '/t', Consistency: 'default,source=/etc' },
      { Type: 'bind', Source: rw, Target: '/t', BindOptions: { Propagation: 'rprivate,source=/etc' } },
    ]) {
      const payload = body({ Mounts: [mount] }, ls);
      expect(await runOnPodman(payload)).toBe('/t/passwd\n');
      expect(await refusedThrough(payload)).toMatch(
        /^dockscope: create rule "mounts" refuses HostConfig\.Mounts\[0\]\.(Target|Consistency|BindOptions\.Propagation): a comma/,
      );
    }
    // dockerd reads the field as it is: a target named "/t,source=/etc" (created, nothing more).
    expect(
      (await onDocker({ Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/t,source=/etc' }] })).status,
    ).toBe(201);
  });

  it('a new volume whose mount text adds volume-opt binds the host’s /etc, no host path named: refused', async () => {
    const target = '/t,volume-opt=o=bind,volume-opt=device=/etc,volume-opt=type=none';
    const payload = (vol: string) =>
      body({ Mounts: [{ Type: 'volume', Source: vol, Target: target }] }, ['ls', '/t/passwd']);
    expect(await runOnPodman(payload(`${p}-newvol1`))).toBe('/t/passwd\n');
    expect(await refusedThrough(payload(`${p}-newvol2`))).toContain('HostConfig.Mounts[0].Target: a comma');
    expect((await rawRequest(pod(), 'GET', `/v1.41/volumes/${p}-newvol2`)).status).toBe(404);
  });

  it('a volume mount whose text names another volume mounts a hidden container’s volume: refused', async () => {
    for (const mount of [
      { Type: 'volume', Source: `${p}-mine,source=${p}secretvol`, Target: '/t' },
      { Type: 'volume', Source: `${p}-mine`, Target: `/t,source=${p}secretvol` },
    ]) {
      const payload = body({ Mounts: [mount] }, ['cat', '/t/s']);
      expect(await runOnPodman(payload)).toBe('vol-secret\n');
      expect(await refusedThrough(payload)).toContain('a comma, a double quote or a control character');
    }
    // Named as it is, the volume is refused for its hidden user (as before).
    const plain = body({ Mounts: [{ Type: 'volume', Source: `${p}secretvol`, Target: '/t' }] }, ['true']);
    expect(await refusedThrough(plain)).toContain('is used by a container this client may not see');
  });

  it('the bind option U (and the mount text’s U=true) chowns a read-only host path on Podman: refused', async () => {
    const ro = join(dir, 'ro');
    expect((await stat(ro)).uid).toBe(0);
    await runOnPodman(body({ Binds: [`${ro}:/t:ro,U`] }, ['true'], { User: '4321' }));
    expect((await stat(join(ro, 'file'))).uid).toBe(4321);
    const viaMount = body(
      { Mounts: [{ Type: 'bind', Source: ro, Target: '/t', ReadOnly: true, Consistency: 'default,U=true' }] },
      ['true'],
      { User: '4322' },
    );
    await runOnPodman(viaMount);
    expect((await stat(join(ro, 'file'))).uid).toBe(4322);
    expect(await refusedThrough(body({ Binds: [`${ro}:/t:ro,U`] }, ['true'], { User: '1' }))).toBe(
      `dockscope: create rule "hostPaths" refuses HostConfig.Binds[0]: the bind option "U" is not one dockerd knows`,
    );
    expect(await refusedThrough(viaMount)).toContain('HostConfig.Mounts[0].Consistency: a comma');
    // Podman's other bind options are refused alike; dockerd refuses each as an invalid mode.
    for (const mode of ['ro,idmap', 'O', 'ro,dev,suid,exec']) {
      expect(await refusedThrough(body({ Binds: [`${ro}:/t:${mode}`] }, ['true']))).toContain(
        'is not one dockerd knows',
      );
      const docker = await onDocker({ Binds: [`/tmp:/t:${mode}`] });
      expect(docker.status).toBeGreaterThanOrEqual(400);
      expect((json(docker) as { message: string }).message).toBe(`invalid mode: ${mode}`);
    }
    // dockerd's own modes still pass.
    const ok = await rawRequest(
      { url: ruled.url },
      'POST',
      `/v1.41/containers/create?name=${p}-okmode`,
      body({ Binds: [`${ro}:/t:ro,rprivate`] }, ['true']),
    );
    expect(ok.status, ok.body).toBe(201);
  });

  it('the log option path writes the container’s output to a host file on Podman: refused', async () => {
    for (const [i, log] of [
      { Type: 'json-file', Config: { path: join(dir, 'out-1.log') } },
      { Type: '', Config: { path: join(dir, 'out-2.log') } },
    ].entries()) {
      await runOnPodman(body({ LogConfig: log }, ['echo', 'written-on-the-host']));
      expect(await readFile(join(dir, `out-${i + 1}.log`), 'utf8')).toMatch(
        / stdout F written-on-the-host\n$/,
      );
      expect(await refusedThrough(body({ LogConfig: log }, ['true']))).toBe(
        `dockscope: create rule "logDrivers" refuses HostConfig.LogConfig.Config: the log option "path" is not allowed (dockerd's built-in drivers do not take it)`,
      );
    }
    for (const key of ['PATH', 'path=/x']) {
      const log = { Type: 'json-file', Config: { [key]: join(dir, 'out-3.log') } };
      expect(await refusedThrough(body({ LogConfig: log }, ['true']))).toContain('is not allowed');
    }
    // dockerd refuses the option; its own options still pass through dockscope.
    const docker = await onDocker({ LogConfig: { Type: 'json-file', Config: { path: '/tmp/x.log' } } });
    expect([docker.status, (json(docker) as { message: string }).message]).toEqual([
      400,
      "unknown log opt 'path' for json-file log driver",
    ]);
    const ok = await rawRequest(
      { url: ruled.url },
      'POST',
      `/v1.41/containers/create?name=${p}-oklog`,
      body({ LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', tag: 'x' } } }, ['true']),
    );
    expect(ok.status, ok.body).toBe(201);
  });

  /** A build of a one-line Dockerfile on `target`: the status and the build's output lines. */
  async function build(target: { url?: string; socketPath?: string }, query: string, run: string) {
    const context = join(dir, `ctx-${n++}`);
    await mkdir(context);
    await writeFile(join(context, 'Dockerfile'), `FROM ${image}\nRUN ${run}\n`);
    const tar = execFileSync('tar', ['-C', context, '-c', '.']);
    const res = await rawRequest(target, 'POST', `/v1.41/build?t=${p}-img${n}&nocache=1&${query}`, tar, {
      'content-type': 'application/x-tar',
    });
    const lines = res.body
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => {
        const m = JSON.parse(l) as { stream?: string; error?: string; message?: string };
        return m.stream ?? m.error ?? m.message ?? '';
      });
    return { status: res.status, out: lines.join('') };
  }

  it('a build’s RUN step is in the host’s network on Podman: through dockscope it gets a private one', async () => {
    const nc = `nc 127.0.0.1 ${loopbackPort} </dev/null; echo rc=$?`;
    for (const query of ['', 'networkmode=none', 'networkmode=bridge']) {
      const direct = await build(pod(), query, nc);
      expect([direct.status, direct.out], query).toEqual([
        200,
        expect.stringContaining('host-loopback\nrc=0'),
      ]);
    }
    const through = await build({ url: ruled.url }, 'networkmode=none', nc);
    expect(through.status).toBe(200);
    expect(through.out).toContain('rc=1');
    expect(through.out).not.toContain('host-loopback');
  });

  it('the build parameters only Podman reads (host namespaces, devices, capabilities, seccomp, host files): refused', async () => {
    const pidHost = encodeURIComponent(JSON.stringify([{ Name: 'pid', Host: true }]));
    // On Podman the RUN step sees the host's init as its pid 1, and the others do what they say.
    const own = '\u0000-c\u0000head -c 200 /proc/1/cmdline';
    const hostPid = await build(pod(), `nsoptions=${pidHost}`, 'head -c 200 /proc/1/cmdline; echo');
    expect(hostPid.status).toBe(200);
    expect(hostPid.out).not.toContain(own);
    expect((await build(pod(), '', 'head -c 200 /proc/1/cmdline; echo')).out).toContain(own);
    const usage = join(dir, 'rusage.log');
    await build(pod(), `rusage=1&rusagelogfile=${encodeURIComponent(usage)}`, 'true');
    expect(await readFile(usage, 'utf8')).toMatch(/\(elapsed\)/);
    const caps = await build(
      pod(),
      `addcaps=${encodeURIComponent('["SYS_ADMIN"]')}`,
      'grep CapEff /proc/self/status',
    );
    expect(caps.out).toMatch(/CapEff:\t00000000a82425fb/);
    for (const [query, name] of [
      [`nsoptions=${pidHost}`, 'nsoptions'],
      [`NSOPTIONS=${pidHost}`, 'NSOPTIONS'],
      [`n\u017foptions=${pidHost}`, 'n\u017foptions'],
      [`devices=${encodeURIComponent('["/dev/null:/dev/x"]')}`, 'devices'],
      [`addcaps=${encodeURIComponent('["SYS_ADMIN"]')}`, 'addcaps'],
      [`securityopt=${encodeURIComponent('["seccomp=unconfined"]')}`, 'securityopt'],
      [`rusage=1&rusagelogfile=${encodeURIComponent(join(dir, 'r2.log'))}`, 'rusagelogfile'],
    ] as const) {
      const res = await build(
        { url: ruled.url },
        query.replace('\u017f', encodeURIComponent('\u017f')),
        'true',
      );
      expect([res.status, res.out], query).toEqual([
        403,
        `dockscope: create rule "hostNamespaces" refuses the "${name}" query: Podman's build reads it, and it may reach the host (namespaces, devices, capabilities, seccomp, host files)`,
      ]);
    }
  });

  it('NetworkMode slirp4netns:allow_host_loopback=true reaches the host’s loopback on Podman: refused', async () => {
    const nc = ['sh', '-c', `timeout 10 nc 10.0.2.2 ${loopbackPort} </dev/null; echo rc=$?`];
    expect(await runOnPodman(body({ NetworkMode: 'slirp4netns:allow_host_loopback=true' }, nc))).toBe(
      'host-loopback\nrc=0\n',
    );
    // Without the option the host's loopback is out of reach.
    expect(await runOnPodman(body({ NetworkMode: 'slirp4netns' }, nc))).toBe('rc=1\n');
    for (const mode of [
      'slirp4netns:allow_host_loopback=true',
      'slirp4netns',
      'pasta',
      'bridge:ip=10.88.0.77',
    ]) {
      expect(await refusedThrough(body({ NetworkMode: mode }, nc))).toBe(
        `dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode: Podman reads ${JSON.stringify(mode)} as a network mode of its own, which may reach the host's network`,
      );
    }
    // dockerd takes it for a network's name, which it cannot be (a ':' is in no Docker network name):
    // the create passes, and the start fails for a missing network.
    const docker = await onDocker({ NetworkMode: 'slirp4netns:allow_host_loopback=true' }, true);
    expect([docker.status, (json(docker) as { message: string }).message]).toEqual([
      404,
      'network slirp4netns:allow_host_loopback=true not found',
    ]);
  });

  it('joining a visible container whose network reaches the host’s loopback is judged as that mode: refused', async () => {
    // Made on Podman itself (an administrator's): its inspect shows the mode without its options.
    await podmanOk(podman, [
      'create',
      '--name',
      `${p}-slirp`,
      '--network',
      'slirp4netns:allow_host_loopback=true',
      image,
      'sleep',
      '600',
    ]);
    await podmanOk(podman, ['start', `${p}-slirp`]);
    const inspect = json(await rawRequest(pod(), 'GET', `/v1.41/containers/${p}-slirp/json`)) as {
      HostConfig: { NetworkMode: string };
    };
    expect(inspect.HostConfig.NetworkMode).toBe('slirp4netns');
    const nc = ['sh', '-c', `timeout 10 nc 10.0.2.2 ${loopbackPort} </dev/null; echo rc=$?`];
    const payload = body({ NetworkMode: `container:${p}-slirp` }, nc);
    expect(await runOnPodman(payload)).toBe('host-loopback\nrc=0\n');
    expect(await refusedThrough(payload)).toBe(
      `dockscope: create rule "hostNamespaces" refuses HostConfig.NetworkMode, container "${p}-slirp" HostConfig.NetworkMode: Podman reads "slirp4netns" as a network mode of its own, which may reach the host's network`,
    );
  });

  it('an image mount of another owner’s image reads its files on Podman: refused, as one of a missing image', async () => {
    await podmanOk(podman, ['run', '--name', `${p}-bsrc`, image, 'sh', '-c', 'echo b-secret > /secret']);
    await podmanOk(podman, ['commit', '--change', 'LABEL dockscope.owner=ci-b', `${p}-bsrc`, `${p}-bimg`]);
    await podmanOk(podman, ['commit', '--change', 'LABEL dockscope.owner=ci-a', `${p}-bsrc`, `${p}-aimg`]);
    const mount = (source: string) =>
      body({ Mounts: [{ Type: 'image', Source: source, Target: '/t' }] }, ['cat', '/t/secret']);
    expect(await runOnPodman(mount(`${p}-bimg`))).toBe('b-secret\n');
    const create = (source: string) =>
      rawRequest({ url: owned.url }, 'POST', `/v1.41/containers/create?name=${p}-o${n++}`, mount(source));
    const theirs = await create(`${p}-bimg`);
    const missing = await create(`${p}-zimg`);
    expect([theirs.status, (json(theirs) as { message: string }).message]).toEqual([
      403,
      `dockscope: create rule "mounts" refuses HostConfig.Mounts[0].Source: the image "${p}-bimg" is not one this client may mount`,
    ]);
    expect(answer(theirs, `${p}-bimg`)).toEqual(answer(missing, `${p}-zimg`));
    // The own image mounts, pinned to its id.
    const own = await create(`${p}-aimg`);
    expect(own.status, own.body).toBe(201);
    const id = (json(own) as { Id: string }).Id;
    await rawRequest(pod(), 'POST', `/v1.41/containers/${id}/start`);
    await rawRequest(pod(), 'POST', `/v1.41/containers/${id}/wait`);
    expect(await podmanOk(podman, ['logs', id])).toBe('b-secret\n');
  });

  it('UTSMode/UsernsMode container:<hidden> answer as for a missing container (Podman joins the hidden one)', async () => {
    // Podman joins the hidden container's UTS namespace: its hostname is read.
    expect(
      await runOnPodman(body({ UTSMode: `container:${p}hidden` }, ['cat', '/proc/sys/kernel/hostname'])),
    ).toBe('hidden-host\n');
    for (const key of ['UTSMode', 'UsernsMode']) {
      for (const ref of [`${p}hidden`, hiddenId, hiddenId.slice(0, 12)]) {
        const missing = 'z'.repeat(ref.length);
        const direct = await rawRequest(
          pod(),
          'POST',
          `/v1.41/containers/create?name=${p}-m${n++}`,
          body({ [key]: `container:${missing}` }, ['true']),
        );
        expect(direct.status).toBe(500);
        const through = await rawRequest(
          { url: ruled.url },
          'POST',
          `/v1.41/containers/create?name=${p}-h${n++}`,
          body({ [key]: `container:${ref}` }, ['true']),
        );
        expect(answer(through, ref), `${key} ${ref}`).toEqual(answer(direct, missing));
      }
    }
    // A visible container is joined by its full id.
    await podmanOk(podman, [
      'run',
      '-d',
      '--name',
      `${p}-vis`,
      '--hostname',
      'vis-host',
      image,
      'sleep',
      '600',
    ]);
    const name = `${p}-joins`;
    const created = await rawRequest(
      { url: ruled.url },
      'POST',
      `/v1.41/containers/create?name=${name}`,
      body({ UTSMode: `container:${p}-vis` }, ['cat', '/proc/sys/kernel/hostname']),
    );
    expect(created.status, created.body).toBe(201);
    await rawRequest(pod(), 'POST', `/v1.41/containers/${name}/start`);
    await rawRequest(pod(), 'POST', `/v1.41/containers/${name}/wait`);
    expect(await podmanOk(podman, ['logs', name])).toBe('vis-host\n');
    // dockerd stores both modes without looking the container up (a missing one is created alike).
    for (const key of ['UTSMode', 'UsernsMode']) {
      const docker = await onDocker({ [key]: 'container:nosuch' }, true);
      expect(docker.status, docker.body).toBe(204);
    }
  });
});
