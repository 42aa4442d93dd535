import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RawUpstream, RecordedRequest } from '../harness/raw-upstream.ts';
import { httpAnswer, startRawUpstream } from '../harness/raw-upstream.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Fixture } from './support/fixtures.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';
import type { HiddenFacts } from './support/leaks.ts';
import { createHiddenWithSecrets, expectNoLeak } from './support/leaks.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

type Inspect = { HostConfig: Record<string, unknown>; Config: Record<string, unknown> };

/**
 * What the daemon accepts, dockscope accepts (issue #20): keys that are no field of the daemon's type
 * are ignored by Go's decoder, and HostConfig fields at the top of a create body are read with the
 * 20.10 wrapper's precedence. Each body is first created on the daemon, then through dockscope, and
 * the two stored containers compared: the canonical body dockscope forwards makes the same container.
 */
describe('bodies the daemon accepts are accepted, and make the same container', () => {
  const p = uniquePrefix('ba');
  const names: string[] = [];
  let hidden: HiddenFacts;
  let visible: Fixture;
  let proxy: RunningDockscope;
  const daemon = { socketPath: dockerSocket };
  let n = 0;
  /** Host settings the precedence decides, compared between the two containers. */
  const KEYS = ['Memory', 'CpuShares', 'CpusetCpus', 'VolumeDriver', 'PidMode', 'NetworkMode', 'Runtime'];

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    visible = await createContainer(dockerHost, image, { name: `${p}-vis` });
    names.push(hidden.name, visible.name);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
  });

  async function create(target: { url?: string; socketPath?: string }, body: string) {
    const name = `${p}-vis-${n++}`;
    const res = await rawRequest(target, 'POST', `/containers/create?name=${name}`, body);
    if (res.status !== 201) return { res, stored: null };
    names.push(name);
    const stored = json(await rawRequest(daemon, 'GET', `/containers/${name}/json`)) as Inspect;
    const host = Object.fromEntries(KEYS.map((k) => [k, stored.HostConfig[k]]));
    return { res, stored: { host, labels: stored.Config.Labels } };
  }

  const body = (rest: string) => `{"Image":"${image}","Cmd":["true"]${rest}}`;

  it.each<[string, string, Record<string, unknown>]>([
    [
      'unknown keys at the top, in HostConfig and in an endpoint are ignored',
      body(
        `,"Bogus":1,"HostConfig":{"NetworkMode":"none","NoSuchField":{"PidMode":"host"}},"Labels":{"k":"v"}`,
      ),
      { NetworkMode: 'none', PidMode: '' },
    ],
    [
      "docker-py's create with runtime: Runtime at the top and in HostConfig",
      body(`,"Runtime":"runc","HostConfig":{"NetworkMode":"none","Runtime":"runc"}`),
      { Runtime: 'runc', NetworkMode: 'none' },
    ],
    [
      'with an inner HostConfig, a top-level PidMode is ignored and Memory/CpuShares are copied into zeros',
      body(`,"PidMode":"host","Memory":8388608,"CpuShares":7,"HostConfig":{"NetworkMode":"none","Memory":0}`),
      { PidMode: '', Memory: 8388608, CpuShares: 7, NetworkMode: 'none' },
    ],
    [
      'without an inner HostConfig, the top-level fields are the host config (and Cpuset fills CpusetCpus)',
      body(`,"NetworkMode":"none","CpuShares":3,"Cpuset":"0"`),
      { NetworkMode: 'none', CpuShares: 3, CpusetCpus: '0' },
    ],
    [
      'a top-level VolumeDriver is copied in; an inner Memory wins over the top-level one',
      body(`,"VolumeDriver":"local","Memory":9437184,"HostConfig":{"NetworkMode":"none","Memory":8388608}`),
      { VolumeDriver: 'local', Memory: 8388608 },
    ],
  ])('%s', async (_label, text, expected) => {
    const direct = await create(daemon, text);
    expect(direct.res.status, direct.res.body).toBe(201);
    expect(direct.stored?.host).toMatchObject(expected);
    const through = await create({ url: proxy.url }, text);
    expect(through.res.status, through.res.body).toBe(201);
    expect(through.stored).toEqual(direct.stored);
  });

  it('a top-level PidMode naming a hidden container: ignored beside a HostConfig, judged without one', async () => {
    const ignored = body(`,"PidMode":"container:${hidden.name}","HostConfig":{"NetworkMode":"none"}`);
    const direct = await create(daemon, ignored);
    expect(direct.stored?.host).toMatchObject({ PidMode: '' });
    const through = await create({ url: proxy.url }, ignored);
    expect(through.res.status, through.res.body).toBe(201);
    expect(through.stored).toEqual(direct.stored);
    // Without a HostConfig the daemon joins the hidden container's namespace; through dockscope it is
    // judged (the merged host config) and answers as for a missing container.
    const judged = body(`,"NetworkMode":"none","PidMode":"container:${hidden.name}"`);
    expect((await create(daemon, judged)).stored?.host).toMatchObject({ PidMode: `container:${hidden.id}` });
    const refused = await create({ url: proxy.url }, judged);
    expect(refused.res.status).toBe(400);
    expect(json(refused.res)).toEqual({ message: `No such container: ${hidden.name}` });
    expectNoLeak(refused.res.body, hidden, hidden.name);
  });

  it("docker-py's exec body carries Container, which no ExecConfig has: the daemon and dockscope run it", async () => {
    const exec = JSON.stringify({ Container: visible.name, Cmd: ['echo', 'hi'], AttachStdout: true });
    const direct = await rawRequest(daemon, 'POST', `/containers/${visible.name}/exec`, exec);
    expect(direct.status, direct.body).toBe(201);
    const through = await rawRequest({ url: proxy.url }, 'POST', `/containers/${visible.name}/exec`, exec);
    expect(through.status, through.body).toBe(201);
    const id = (json(through) as { Id: string }).Id;
    const inspect = json(await rawRequest(daemon, 'GET', `/exec/${id}/json`)) as {
      ProcessConfig: { entrypoint: string; arguments: string[] };
    };
    expect(inspect.ProcessConfig).toMatchObject({ entrypoint: 'echo', arguments: ['hi'] });
  });

  it('a key given twice in any spelling is still refused, though the daemon takes the later one', async () => {
    const twice = body(`,"HostConfig":{"NetworkMode":"none"},"Runtime":"runc","runtime":"runc"`);
    expect((await create(daemon, twice)).res.status).toBe(201);
    const through = await create({ url: proxy.url }, twice);
    expect(through.res.status).toBe(400);
    expect((json(through.res) as { message: string }).message).toMatch(/gives Runtime twice/);
  });
});

describe('create rules judge the host config the daemon makes of a top-level form', () => {
  const p = uniquePrefix('bb');
  const names: string[] = [];
  let proxy: RunningDockscope;
  const daemon = { socketPath: dockerSocket };
  beforeAll(async () => {
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
  });
  const privileged = async (name: string) =>
    (json(await rawRequest(daemon, 'GET', `/containers/${name}/json`)) as Inspect).HostConfig.Privileged;

  it('a top-level Privileged is the host config without a HostConfig (refused), ignored beside one', async () => {
    const alone = `{"Image":"${image}","Cmd":["true"],"NetworkMode":"none","Privileged":true}`;
    const beside = `{"Image":"${image}","Cmd":["true"],"Privileged":true,"HostConfig":{"NetworkMode":"none"}}`;
    names.push(`${p}-d1`, `${p}-d2`, `${p}-vis-2`);
    expect((await rawRequest(daemon, 'POST', `/containers/create?name=${p}-d1`, alone)).status).toBe(201);
    expect(await privileged(`${p}-d1`)).toBe(true);
    expect((await rawRequest(daemon, 'POST', `/containers/create?name=${p}-d2`, beside)).status).toBe(201);
    expect(await privileged(`${p}-d2`)).toBe(false);
    const refused = await rawRequest({ url: proxy.url }, 'POST', `/containers/create?name=${p}-vis-1`, alone);
    expect(refused.status).toBe(403);
    expect((json(refused) as { message: string }).message).toMatch(
      /^dockscope: create rule "privileged" refuses HostConfig.Privileged/,
    );
    const ok = await rawRequest({ url: proxy.url }, 'POST', `/containers/create?name=${p}-vis-2`, beside);
    expect(ok.status, ok.body).toBe(201);
    expect(await privileged(`${p}-vis-2`)).toBe(false);
  });
});

/**
 * The version gate: only an upstream whose API version the type table covers has its unknown keys
 * dropped. No daemon newer than the table can run here, so a recording upstream plays one (it answers
 * `/version`); what is proven is what dockscope sends, and that it refuses before sending.
 */
describe('unknown keys are dropped only for an upstream version the table covers', () => {
  const upstreams: RawUpstream[] = [];
  const proxies: RunningDockscope[] = [];
  afterAll(async () => {
    for (const x of proxies) await x.close();
    for (const u of upstreams) await u.close();
  });

  async function through(version: (req: RecordedRequest) => string) {
    const upstream = await startRawUpstream((req) =>
      req.target === '/version' || req.target === '/_ping'
        ? version(req)
        : httpAnswer(201, '{"Id":"0123","Warnings":[]}'),
    );
    upstreams.push(upstream);
    const proxy = await startTestDockscope({ PROXY_URL: upstream.url }, { watchEvents: false });
    proxies.push(proxy);
    const res = await rawRequest(
      { url: proxy.url },
      'POST',
      '/v1.41/containers/create?name=x',
      '{"Image":"busybox","Bogus":1,"HostConfig":{"NetworkMode":"none","Zz":2}}',
    );
    const create = upstream.requests.find((r) => r.target.startsWith('/v1.41/containers/create'));
    return { res, forwarded: create?.body };
  }

  it('API 1.41 (from /version): forwarded without them', async () => {
    const { res, forwarded } = await through(() => httpAnswer(200, '{"ApiVersion":"1.41"}'));
    expect(res.status, res.body).toBe(201);
    expect(JSON.parse(forwarded ?? '')).toEqual({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
  });

  it("/version refused (a socket proxy's VERSION=0): the Api-Version of /_ping counts", async () => {
    const { res, forwarded } = await through((req) =>
      req.target === '/version' ? httpAnswer(403, '') : httpAnswer(200, 'OK', { 'Api-Version': '1.45' }),
    );
    expect(res.status, res.body).toBe(201);
    expect(JSON.parse(forwarded ?? '')).toEqual({ Image: 'busybox', HostConfig: { NetworkMode: 'none' } });
  });

  it('API 1.52, newer than the table: refused naming the version, nothing sent', async () => {
    const { res, forwarded } = await through(() => httpAnswer(200, '{"ApiVersion":"1.52"}'));
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({
      message:
        'dockscope: the container create body: body has the field "Bogus", which the container create body does not have in the API versions dockscope knows (1.24 to 1.51); the upstream speaks API 1.52, which may read it: update dockscope',
    });
    expect(forwarded).toBeUndefined();
  });
});
