import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { PodmanService } from '../harness/podman.ts';
import { importBusyboxIntoPodman, startPodman } from '../harness/podman.ts';
import { startCli } from './support/cli-process.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { waitFor } from './support/fixtures.ts';
import type { RawResponse } from './support/http.ts';
import { json, rawRequest } from './support/http.ts';
import type { Scenario } from './support/scenario.ts';
import { createScenario } from './support/scenario.ts';

/**
 * The answer as a client observes it, the typed reference replaced by a placeholder: status, every
 * header in order and letter case, and the body bytes. Podman's `X-Reference-Id` names the request
 * (a Go pointer, new for each request) and Date the time: their values are left out, their place kept.
 */
function observed(res: RawResponse, ref: string) {
  const headers: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i] ?? '';
    if (name.toLowerCase() === 'date') continue;
    const value = res.rawHeaders[i + 1] ?? '';
    if (name.toLowerCase() === 'x-reference-id') {
      expect(value).toMatch(/^0x[0-9a-f]+$/);
      headers.push(`${name}: <per request>`);
    } else headers.push(`${name}: ${value}`);
  }
  return { status: res.status, headers, body: res.body.split(ref).join('<ref>') };
}

/**
 * Issue #24: the README's core scenario with Podman's Docker-compatible API as the upstream, on a
 * private `podman system service` (Debian's Podman 4.3) started by this file, through the real
 * Docker CLI and raw requests. Podman is the oracle: each hidden-as-missing answer is compared with
 * its own answer for a container that does not exist.
 */
describe('Podman as the upstream: the core scenario', () => {
  let podman: PodmanService;
  let image: string;
  let s: Scenario;
  let proxy: RunningDockscope;
  let plain: RunningDockscope;
  let since = '';
  const pod = () => ({ socketPath: podman.socketPath });
  const names = (out: string) =>
    out
      .split('\n')
      .filter((n) => n.startsWith(s.prefix))
      .sort();

  beforeAll(async () => {
    podman = await startPodman();
    image = await importBusyboxIntoPodman(podman);
    since = String(Math.floor(Date.now() / 1000) - 1);
    s = await createScenario(podman.host, image, 'pm');
    proxy = await startTestDockscope({ PROXY_URL: podman.host, SCRUB_ENVS: 'true', ALLOW: 'all', ...s.env });
    plain = await startTestDockscope({ PROXY_URL: podman.host, ...s.env });
  });
  afterAll(async () => {
    await proxy?.close();
    await plain?.close();
    await podman?.stop();
  });

  it('the upstream is told to be Podman from its own answers (auto), and docker version says so', async () => {
    const out = await dockerOk(proxy.host, [
      'version',
      '--format',
      '{{.Server.Version}} {{.Server.APIVersion}}',
    ]);
    expect(out.trim()).toBe('4.3.1 1.41');
    const version = json(await rawRequest(pod(), 'GET', '/version')) as { Components: { Name: string }[] };
    expect(version.Components.map((c) => c.Name)).toContain('Podman Engine');
    expect(proxy.ds.directory.daemon.dialect.known()?.name).toBe('podman');
    // Podman's /_ping headers are passed on as Podman sends them.
    const ping = await rawRequest({ url: proxy.url }, 'GET', '/_ping');
    expect([ping.status, ping.body, ping.headers['libpod-api-version']]).toEqual([200, 'OK', '4.3.1']);
  });

  it('docker ps -a lists exactly the visible containers; a name filter for a hidden one lists none', async () => {
    const out = await dockerOk(proxy.host, ['ps', '-a', '--format', '{{.Names}}']);
    expect(names(out)).toEqual(s.visible.map((f) => f.name).sort());
    expect(names(await dockerOk(podman.host, ['ps', '-a', '--format', '{{.Names}}']))).toHaveLength(6);
    const filtered = await dockerOk(proxy.host, ['ps', '-a', '--filter', `name=${s.prefix}-db`, '-q']);
    expect(filtered.trim()).toBe('');
    // Podman's /info counts are the visible containers' too.
    expect((await dockerOk(proxy.host, ['info', '--format', '{{.Containers}}'])).trim()).toBe(
      String(s.visible.length),
    );
  });

  /** The CLI's stderr for `args` naming a container Podman does not have, the name as `<ref>`. */
  async function podmanMissing(args: (ref: string) => string[], ref: string): Promise<string> {
    const missing = `${'z'.repeat(ref.length)}`;
    const res = await dockerCli(podman.host, args(missing));
    expect(res.code).not.toBe(0);
    return res.stderr
      .split(missing)
      .join('<ref>')
      .replace(/127\.0\.0\.1:\d+|%2F[^/]*podman\.sock/, '<host>');
  }

  it('docker inspect: a visible container by name, full and short id; a hidden one as Podman’s missing one', async () => {
    const web = s.byName('web');
    for (const ref of [web.name, web.id, web.id.slice(0, 12)]) {
      const out = await dockerOk(proxy.host, ['container', 'inspect', '--format', '{{.Id}}', ref]);
      expect(out.trim()).toBe(web.id);
    }
    const inspect = (ref: string) => ['container', 'inspect', ref];
    for (const hidden of s.hidden) {
      for (const ref of [hidden.name, hidden.id, hidden.id.slice(0, 12)]) {
        const res = await dockerCli(proxy.host, inspect(ref));
        expect(res.code, ref).toBe(1);
        expect(res.stderr.split(ref).join('<ref>'), ref).toBe(await podmanMissing(inspect, ref));
      }
    }
  });

  it('an id prefix a visible and a hidden container share names the visible one (Podman answers it 404)', async () => {
    const visibleIds = s.visible.map((f) => f.id);
    let shared: string | undefined;
    // Hidden containers until one shares its first hex digit with a visible one (3 in 16 a try).
    for (let i = 0; i < 40 && shared === undefined; i++) {
      const id = (
        await dockerOk(podman.host, ['create', '--name', `${s.prefix}-amb${i}`, image, 'true'])
      ).trim();
      shared = visibleIds.find((v) => v[0] === id[0] && visibleIds.filter((w) => w[0] === v[0]).length === 1);
    }
    expect(shared).toBeDefined();
    const prefix = (shared ?? '').slice(0, 1);
    const direct = await rawRequest(pod(), 'GET', `/v1.41/containers/${prefix}/json`);
    expect([direct.status, (json(direct) as { message: string }).message]).toEqual([
      404,
      `more than one result for container ID ${prefix}: container already exists`,
    ]);
    const out = await dockerOk(plain.host, ['container', 'inspect', '--format', '{{.Id}}', prefix]);
    expect(out.trim()).toBe(shared);
  });

  it('logs, stop, kill, rm, exec and top of a hidden container fail exactly as for a missing one', async () => {
    const web = s.byName('web');
    expect(await dockerOk(proxy.host, ['logs', web.name])).toContain(`log-of-${web.name}`);
    const db = s.byName('db');
    for (const args of [
      (r: string) => ['logs', r],
      (r: string) => ['stop', '-t', '0', r],
      (r: string) => ['kill', r],
      (r: string) => ['rm', r],
      (r: string) => ['exec', r, 'true'],
      (r: string) => ['top', r],
    ]) {
      for (const ref of [db.name, db.id.slice(0, 12)]) {
        const res = await dockerCli(proxy.host, args(ref));
        expect(res.code, args(ref).join(' ')).not.toBe(0);
        const seen = res.stderr
          .split(ref)
          .join('<ref>')
          .replace(/127\.0\.0\.1:\d+/, '<host>');
        expect(seen, args(ref).join(' ')).toBe(await podmanMissing(args, ref));
      }
    }
    const state = await dockerOk(podman.host, ['inspect', '--format', '{{.State.Running}}', db.id]);
    expect(state.trim()).toBe('true');
  });

  it('a hidden container answers byte for byte as Podman answers for a missing one', async () => {
    const db = s.byName('db');
    // Same length as the hidden name, so that even Content-Length must agree.
    const missing = `${s.prefix}-zz`;
    for (const [method, rest, body] of [
      ['GET', 'json', undefined],
      ['GET', 'logs?stdout=1', undefined],
      ['GET', 'top', undefined],
      ['POST', 'start', undefined],
      ['POST', 'kill', undefined],
      ['POST', 'exec', JSON.stringify({ Cmd: ['true'] })],
      ['DELETE', '', undefined],
    ] as const) {
      const path = (ref: string) => `/v1.41/containers/${ref}${rest ? `/${rest}` : ''}`;
      const direct = await rawRequest(pod(), method, path(missing), body);
      const hidden = await rawRequest({ url: proxy.url }, method, path(db.name), body);
      expect(direct.status, `${method} ${rest}`).toBe(404);
      // Podman's own shape, but for top, which it answers with an empty body.
      if (rest !== 'top') {
        expect(json(direct)).toEqual({
          cause: 'no such container',
          message: `no container with name or ID "${missing}" found: no such container`,
          response: 404,
        });
      }
      expect(observed(hidden, db.name), `${method} ${rest}`).toEqual(observed(direct, missing));
    }
  });

  it('an answer dockscope writes itself is in Podman’s words: a create joining a hidden container’s network', async () => {
    const db = s.byName('db');
    const missing = `${s.prefix}-zz`;
    const create = (ref: string) =>
      JSON.stringify({
        Image: image,
        Labels: { [`${s.prefix}.tier`]: 'front' },
        HostConfig: { NetworkMode: `container:${ref}` },
      });
    const direct = await rawRequest(
      pod(),
      'POST',
      `/v1.41/containers/create?name=${s.prefix}-j1`,
      create(missing),
    );
    const hidden = await rawRequest(
      { url: plain.url },
      'POST',
      `/v1.41/containers/create?name=${s.prefix}-j1`,
      create(db.name),
    );
    expect(direct.status).toBe(500);
    expect(observed(hidden, db.name)).toEqual(observed(direct, missing));
  });

  it('a name conflict with a hidden container does not name its id (Podman: "in use by <id>")', async () => {
    const db = s.byName('db');
    // Visible by its label, named as the hidden one: Podman refuses the name and names the holder.
    const body = JSON.stringify({ Image: image, Labels: { [`${s.prefix}.tier`]: 'front' } });
    const direct = await rawRequest(pod(), 'POST', `/v1.41/containers/create?name=${db.name}`, body);
    expect(direct.body).toContain(`is already in use by ${db.id}.`);
    const through = await rawRequest(
      { url: plain.url },
      'POST',
      `/v1.41/containers/create?name=${db.name}`,
      body,
    );
    expect(through.status).toBe(direct.status);
    expect(through.body).not.toContain(db.id);
    expect((json(through) as { message: string }).message).toBe(
      (json(direct) as { message: string }).message.replace(` by ${db.id}`, ''),
    );
  });

  it('docker exec -it runs an interactive shell; logs -f streams; run -i --rm works', async () => {
    const web = s.byName('web');
    const shell = startCli(plain.host, ['exec', '-it', web.name, 'sh'], { tty: true });
    try {
      shell.child.stdin.write('echo "sum=$((40+2))"\r');
      await shell.waitFor(/sum=42/);
      shell.child.stdin.write('exit 3\r');
      expect(await shell.exited()).toBe(3);
    } finally {
      shell.kill();
    }
    const follow = startCli(plain.host, ['logs', '-f', web.name]);
    try {
      await follow.waitFor(new RegExp(`log-of-${web.name}`));
    } finally {
      follow.kill();
    }
    const name = `${s.prefix}-web-job`;
    const run = await dockerCli(
      plain.host,
      ['run', '-i', '--rm', '--name', name, image, 'sh', '-c', 'read l; echo "got:$l"'],
      { input: 'hello\n' },
    );
    expect([run.code, run.stdout.trim()]).toEqual([0, 'got:hello']);
  });

  it('docker exec runs in a visible container', async () => {
    const web = s.byName('web');
    expect((await dockerOk(plain.host, ['exec', web.name, 'echo', 'from-exec'])).trim()).toBe('from-exec');
    const piped = await dockerCli(plain.host, ['exec', '-i', web.name, 'cat'], { input: 'piped-in\n' });
    expect([piped.code, piped.stdout]).toEqual([0, 'piped-in\n']);
  });

  it('SCRUB_ENVS=true empties Config.Env; without it the environment is shown', async () => {
    const web = s.byName('web');
    expect(
      (await dockerOk(proxy.host, ['inspect', '--format', '{{json .Config.Env}}', web.name])).trim(),
    ).toBe('[]');
    expect(await dockerOk(plain.host, ['inspect', '--format', '{{json .Config.Env}}', web.name])).toContain(
      `SECRET=${s.secretOf(web)}`,
    );
  });

  it('docker events shows the visible containers’ events and none of the hidden ones’', async () => {
    const web = s.byName('web');
    const db = s.byName('db');
    await dockerOk(podman.host, ['pause', web.id]);
    await dockerOk(podman.host, ['unpause', web.id]);
    await dockerOk(podman.host, ['pause', db.id]);
    await dockerOk(podman.host, ['unpause', db.id]);
    // Podman 4.3's compatible /events answers nothing when `until` is already past (measured; dockerd
    // answers what happened before it): the stream is read for a few seconds instead, and then cut.
    const args = ['events', '--since', since, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'];
    const read = async (host: string) => (await dockerCli(host, args, { timeoutMs: 3_000 })).stdout;
    const direct = await read(podman.host);
    expect(direct).toContain(`container pause ${db.name}`);
    const out = await read(plain.host);
    expect(out).toContain(`container pause ${web.name}`);
    expect(out).toContain(`container create ${web.name}`);
    for (const hidden of s.hidden) expect(out).not.toContain(hidden.name);
  });

  it('create rules: privileged, a host bind and Podman’s ns: path modes are refused, naming the rule', async () => {
    const vis = `${s.prefix}-web-cr`;
    for (const [flags, rule] of [
      [['--privileged'], 'privileged'],
      [['-v', '/:/host'], 'hostPaths'],
      [['--cap-add', 'SYS_ADMIN'], 'capAdd'],
    ] as const) {
      const res = await dockerCli(plain.host, ['create', '--name', vis, ...flags, image, 'true']);
      expect(res.code, flags.join(' ')).not.toBe(0);
      expect(res.stderr, flags.join(' ')).toContain(`create rule "${rule}" refuses`);
    }
    // The oracle: directly, Podman joins the namespace at the path, here its own (the host's) pid one.
    const nsBody = () =>
      JSON.stringify({
        Image: image,
        Cmd: ['cat', '/proc/1/cmdline'],
        HostConfig: { PidMode: `ns:/proc/${podman.pid}/ns/pid` },
        Labels: { [`${s.prefix}.tier`]: 'front' },
      });
    const made = await rawRequest(pod(), 'POST', `/v1.41/containers/create?name=${s.prefix}-ns1`, nsBody());
    expect(made.status).toBe(201);
    await dockerOk(podman.host, ['start', '-a', `${s.prefix}-ns1`]).then(async (out) => {
      const host1 = (await readFile('/proc/1/cmdline', 'utf8')).replaceAll('\0', '');
      expect(out.replaceAll('\0', '').trim()).toBe(host1.trim());
    });
    const refused = await rawRequest(
      { url: plain.url },
      'POST',
      `/v1.41/containers/create?name=${s.prefix}-ns2`,
      nsBody(),
    );
    expect(refused.status).toBe(403);
    expect((json(refused) as { message: string }).message).toContain(
      'create rule "hostNamespaces" refuses HostConfig.PidMode: it joins the pid namespace at a path of the host',
    );
  });

  it('the event watch follows Podman: a visible container renamed to a hidden name is missing at once', async () => {
    const watched = await startTestDockscope({
      PROXY_URL: podman.host,
      CACHE_TTL: '1h',
      ADMIN_LISTEN: '127.0.0.1:0',
      ...s.env,
    });
    try {
      const made = await dockerOk(podman.host, ['create', '--name', `${s.prefix}-web-mv`, image, 'true']);
      const id = made.trim();
      await waitFor('the watch to be up', async () => {
        const ready = await rawRequest({ url: `http://${watched.ds.adminAddress}` }, 'GET', '/ready');
        return (json(ready) as { events?: string }).events === 'watching';
      });
      expect((await dockerOk(watched.host, ['inspect', '--format', '{{.Id}}', id])).trim()).toBe(id);
      await dockerOk(podman.host, ['rename', id, `${s.prefix}-moved`]);
      await waitFor('the rename to be followed', async () => {
        const res = await dockerCli(watched.host, ['inspect', id]);
        return res.code === 1;
      });
      await dockerOk(podman.host, ['rm', id]);
    } finally {
      await watched.close();
    }
  });

  it('/libpod routes are refused, naming Podman’s own API', async () => {
    for (const path of ['/libpod/_ping', '/v4.3.1/libpod/containers/json']) {
      const res = await rawRequest({ url: plain.url }, 'GET', path);
      expect(res.status, path).toBe(403);
      expect((json(res) as { message: string }).message, path).toMatch(
        /^dockscope: GET \/libpod\/\S* is Podman's own API \(libpod\), which dockscope does not scope, so it is refused/,
      );
    }
  });

  it('UPSTREAM_KIND=docker in front of Podman fails closed with a 502 naming the variable', async () => {
    const wrong = await startTestDockscope({ PROXY_URL: podman.host, UPSTREAM_KIND: 'docker', ...s.env });
    try {
      await waitFor('the kind to be asked', async () => wrong.ds.directory.daemon.apiVersion.kind !== null);
      const res = await rawRequest(
        { url: wrong.url },
        'POST',
        `/v1.41/containers/create?name=${s.prefix}-j2`,
        JSON.stringify({
          Image: image,
          Labels: { [`${s.prefix}.tier`]: 'front' },
          HostConfig: { NetworkMode: `container:${s.byName('db').name}` },
        }),
      );
      expect([res.status, (json(res) as { message: string }).message]).toEqual([
        502,
        `dockscope: UPSTREAM_KIND (upstreamKind) is docker, but the upstream ${podman.host} answers as Podman: set it to podman or auto`,
      ]);
    } finally {
      await wrong.close();
    }
  });
});

describe('Podman as the upstream: ownership', () => {
  let podman: PodmanService;
  let image: string;
  let ds: Dockscope;
  const host = (listener: 'a' | 'b') => `tcp://${ds.addresses[listener]}`;

  beforeAll(async () => {
    podman = await startPodman();
    image = await importBusyboxIntoPodman(podman);
    const yaml = `
upstream: ${podman.host}
listeners:
  - { name: a, address: "127.0.0.1:0" }
  - { name: b, address: "127.0.0.1:0" }
clients:
  - { name: ci-a, match: { listener: [a] }, containers: owned, owner: ci-a }
  - { name: ci-b, match: { listener: [b] }, containers: owned, owner: ci-b }
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: '/podman-owners.yaml', text: yaml }),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await ds?.close();
    await podman?.stop();
  });

  it('what a client creates carries its owner label; the other sees none of it, and gets Podman’s missing answer', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    await dockerOk(host('a'), ['create', '--name', 'own-a', image, 'true']);
    await dockerOk(host('a'), ['volume', 'create', 'vol-a']);
    const label = await dockerOk(podman.host, [
      'inspect',
      '--format',
      '{{index .Config.Labels "dockscope.owner"}}',
      'own-a',
    ]);
    expect(label.trim()).toBe('ci-a');
    const volume = await dockerOk(podman.host, [
      'volume',
      'inspect',
      '--format',
      '{{index .Labels "dockscope.owner"}}',
      'vol-a',
    ]);
    expect(volume.trim()).toBe('ci-a');
    expect((await dockerOk(host('a'), ['ps', '-a', '--format', '{{.Names}}'])).trim()).toBe('own-a');
    expect((await dockerOk(host('b'), ['ps', '-a', '--format', '{{.Names}}'])).trim()).toBe('');
    expect((await dockerOk(host('b'), ['volume', 'ls', '-q'])).trim()).toBe('');
    const res = await dockerCli(host('b'), ['rm', 'own-a']);
    expect(res.stderr).toContain('no container with name or ID "own-a" found: no such container');
    expect((await dockerOk(podman.host, ['ps', '-a', '--format', '{{.Names}}'])).trim()).toBe('own-a');
    // Events: each sees its own container and volume events only (Podman names a volume in its attributes).
    const events = async (who: 'a' | 'b') =>
      (
        await dockerCli(
          host(who),
          ['events', '--since', since, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}'],
          {
            timeoutMs: 3_000,
          },
        )
      ).stdout;
    const seenByA = await events('a');
    expect(seenByA).toContain('container create own-a');
    expect(seenByA).toContain('volume create vol-a');
    const seenByB = await events('b');
    expect(seenByB).not.toContain('own-a');
    expect(seenByB).not.toContain('vol-a');
  });
  it('another owner’s network answers as Podman answers for a missing one, byte for byte', async () => {
    await dockerOk(host('b'), ['network', 'create', 'net-b']);
    const create = (network: string) =>
      JSON.stringify({ Image: image, HostConfig: { NetworkMode: network } });
    const direct = await rawRequest(
      { socketPath: podman.socketPath },
      'POST',
      '/v1.41/containers/create',
      create('net-z'),
    );
    expect([direct.status, (json(direct) as { cause: string }).cause]).toEqual([500, 'network not found']);
    const url = `http://${ds.addresses.a}`;
    const through = await rawRequest({ url }, 'POST', '/v1.41/containers/create', create('net-b'));
    expect(observed(through, 'net-b')).toEqual(observed(direct, 'net-z'));
  });
});
