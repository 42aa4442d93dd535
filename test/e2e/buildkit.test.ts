import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import type { OpenedSession, SessionTarget } from './support/buildkit-session.ts';
import { DIFF_COPY, openBuildSession } from './support/buildkit-session.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/** Debian's docker.io 20.10: its `docker build` has BuildKit built in (the newer CLI needs buildx). */
const CLI_20_10 = '/usr/bin/docker';
const BUILDKIT = { DOCKER_BUILDKIT: '1' };

/**
 * Issue #25: `DOCKER_BUILDKIT=1 docker build` opens a session (`POST /session`, an h2c upgrade on
 * which the daemon calls the client's file sync, auth, secrets and ssh) and names it in
 * `/build?version=2&session=<id>`. The daemon lets a build on any connection use any open session by
 * its id: through dockscope a session is bound to the client that opened it.
 */
describe('BuildKit builds through dockscope', () => {
  const p = uniquePrefix('bk');
  let dir = '';
  let open: RunningDockscope;
  let ds: Dockscope;
  const port: Record<string, number> = {};
  const sessions: OpenedSession[] = [];
  const daemon: SessionTarget = { socketPath: dockerSocket };
  const at = (name: string) => ({ port: port[name] ?? 0 });
  const url = (name: string) => `http://127.0.0.1:${port[name]}`;
  const session = async (where: SessionTarget, options: Parameters<typeof openBuildSession>[1] = {}) => {
    const s = await openBuildSession(where, options);
    sessions.push(s);
    return s;
  };
  /** A BuildKit build as the CLI sends it, naming a session and a build id. */
  const build = (id: string, buildId = randomBytes(8).toString('hex')) =>
    `/v1.41/build?version=2&remote=client-session&session=${id}&buildid=${buildId}&networkmode=none&t=${p}-raw`;
  const post = (where: { url?: string; socketPath?: string }, path: string) =>
    rawRequest(where, 'POST', path, '', { 'content-type': 'application/x-tar' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-bk-'));
    await writeFile(
      join(dir, 'Dockerfile'),
      `FROM ${image}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt\n`,
    );
    await writeFile(join(dir, 'hello.txt'), `hello from ${p}\n`);
    open = await startTestDockscope({ PROXY_URL: dockerHost });
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: a, address: "127.0.0.1:0" }
  - { name: b, address: "127.0.0.1:0" }
  - { name: reader, address: "127.0.0.1:0" }
clients:
  - name: tenant-a
    match: { listener: a }
    owner: ${p}-a
    containers: owned
    allow: [ping, images]
  - name: tenant-b
    match: { listener: b }
    containers: { names: [${p}-b] }
    allow: [ping, images]
  - name: reader
    match: { listener: reader }
    containers: { names: [${p}-r] }
    allow: [read-only, "POST /session"]
`;
    const path = join(dir, 'dockscope.yml');
    await writeFile(path, yaml);
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path, text: yaml }),
      pino({ level: 'silent' }),
    );
    for (const [name, address] of Object.entries(ds.addresses)) port[name] = Number(address.split(':').pop());
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await open?.close();
    await ds?.close();
    await dockerCli(dockerHost, ['rmi', '-f', `${p}-open`, `${p}-a`, `${p}-raw`]);
    await rm(dir, { recursive: true, force: true });
  });

  it("on the daemon, a build on another connection uses any open session by its id alone: it reads that session's files", async () => {
    const victim = await session(daemon);
    expect(victim.status).toBe(101);
    const res = await post({ socketPath: dockerSocket }, build(victim.id));
    expect(res.status).toBe(200);
    expect(victim.calls).toContain(DIFF_COPY);
    // The classic builder takes no session context on this daemon, but reads the same query.
    const classic = await post(
      { socketPath: dockerSocket },
      `/build?remote=client-session&session=${victim.id}`,
    );
    expect(json(classic)).toEqual({
      message:
        'experimental session with v1 builder is no longer supported, use builder version v2 (BuildKit) instead',
    });
  });

  it('DOCKER_BUILDKIT=1 docker build (CLI 20.10) works through dockscope with no rules; the image is on the daemon', async () => {
    const res = await dockerCli(open.host, ['build', '--network', 'none', '-t', `${p}-open`, dir], {
      env: BUILDKIT,
      dockerPath: CLI_20_10,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain(`hello from ${p}`);
    const inspect = await rawRequest({ socketPath: dockerSocket }, 'GET', `/images/${p}-open/json`);
    expect(inspect.status).toBe(200);
  });

  it('a client whose lists allow builds builds with the CLI; its image carries its labels and owner label', async () => {
    const res = await dockerCli(
      `tcp://127.0.0.1:${port.a}`,
      ['build', '--network', 'none', '--label', `${p}.kind=ci`, '-t', `${p}-a`, dir],
      { env: BUILDKIT, dockerPath: CLI_20_10 },
    );
    expect(res.code, res.stderr).toBe(0);
    const inspect = json(await rawRequest({ socketPath: dockerSocket }, 'GET', `/images/${p}-a/json`)) as {
      Config: { Labels: Record<string, string> };
    };
    expect(inspect.Config.Labels).toEqual({ [`${p}.kind`]: 'ci', 'dockscope.owner': `${p}-a` });
  });

  it('a build with --network host is refused under the create rules', async () => {
    const res = await dockerCli(`tcp://127.0.0.1:${port.b}`, ['build', '--network', 'host', dir], {
      env: BUILDKIT,
      dockerPath: CLI_20_10,
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('create rule "hostNamespaces" refuses the networkmode query');
  });

  it("another client's build naming A's session is refused (403) and never reaches it; A's own is accepted", async () => {
    const mine = await session(at('a'));
    expect(mine.status).toBe(101);
    const stolen = await post({ url: url('b') }, build(mine.id));
    expect([stolen.status, json(stolen)]).toEqual([
      403,
      { message: 'dockscope: the build names a BuildKit session that another client opened' },
    ]);
    expect(mine.calls).toEqual([]);
    const own = await post({ url: url('a') }, build(mine.id));
    expect(own.status).toBe(200);
    expect(mine.calls).toContain(DIFF_COPY);
  });

  it('a build naming a session no one opened is refused after a bounded wait', async () => {
    const started = performance.now();
    const res = await post({ url: url('a') }, build('nosuchsession00000000000'));
    expect(res.status).toBe(403);
    expect(json(res)).toEqual({
      message:
        'dockscope: the build names a BuildKit session that is not open: open it through dockscope (POST /session) on this client',
    });
    expect(performance.now() - started).toBeLessThan(8000);
  });

  it('a second open of a session id already held is refused, for another client and for its own', async () => {
    const first = await session(at('a'));
    expect(first.status).toBe(101);
    for (const where of ['b', 'a']) {
      const again = await session(at(where), { id: first.id });
      expect(again.status).toBe(403);
      expect(again.answer).toContain('a BuildKit session with this id is already open');
    }
  });

  it("a session's id is free again once its connection closed: then another client may open it", async () => {
    const first = await session(at('a'));
    expect(first.status).toBe(101);
    first.close();
    let again: OpenedSession | undefined;
    for (let i = 0; i < 50 && again?.status !== 101; i++) {
      again = await session(at('b'), { id: first.id });
      if (again.status !== 101) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(again?.status).toBe(101);
    const res = await post({ url: url('a') }, build(first.id));
    expect(json(res)).toEqual({
      message: 'dockscope: the build names a BuildKit session that another client opened',
    });
  });

  it('POST /session without an upgrade is refused (400): a session is only ever tunnelled', async () => {
    const res = await rawRequest({ url: url('a') }, 'POST', '/session', '', {
      'x-docker-expose-session-uuid': 'plainrequest0000000000000',
    });
    expect([res.status, json(res)]).toEqual([
      400,
      { message: 'dockscope: a BuildKit session is an h2c upgrade' },
    ]);
  });

  it('a client whose lists allow POST /session but not POST /build may not open a session', async () => {
    const s = await session(at('reader'));
    expect(s.status).toBe(403);
    expect(s.answer).toContain(
      'POST /session is not allowed for client \\"reader\\" (allow: no entry matches for POST /build, which this request also answers)',
    );
  });

  it("/build/cancel cancels only the client's own running build", async () => {
    const held = await session(at('a'), { hold: true });
    const buildId = randomBytes(8).toString('hex');
    const running = post({ url: url('a') }, build(held.id, buildId));
    await held.called(DIFF_COPY);
    const other = await post({ url: url('b') }, `/v1.41/build/cancel?id=${buildId}`);
    expect([other.status, json(other)]).toEqual([
      403,
      { message: 'dockscope: the id names no running build of this client' },
    ]);
    const own = await post({ url: url('a') }, `/v1.41/build/cancel?id=${buildId}`);
    expect(own.status).toBe(200);
    expect((await running).body).toContain('context canceled');
  });

  it('/grpc (the BuildKit control API) is refused with what works instead', async () => {
    const res = await post({ url: open.url }, '/grpc');
    expect([res.status, json(res)]).toEqual([
      403,
      {
        message:
          "dockscope: the gRPC endpoint is BuildKit's control API, which dockscope does not judge: build with DOCKER_BUILDKIT=1 docker build (its session builder) or the classic builder",
      },
    ]);
  });
});
