import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
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

/**
 * Request bodies are read as dockerd reads them (Go's encoding/json). Each spelling class is first
 * shown to work on the daemon itself — the threat is real — and then shown to be refused or
 * neutralised by dockscope, with the hidden container untouched.
 */
describe('request bodies are judged as the daemon decodes them', () => {
  const p = uniquePrefix('bd');
  const names: string[] = [];
  const net = `${p}-net`;
  let hidden: HiddenFacts;
  let visible: Fixture;
  let proxy: RunningDockscope;
  const daemon = () => ({ socketPath: dockerSocket });
  const through = () => ({ url: proxy.url });
  let n = 0;

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    visible = await createContainer(dockerHost, image, { name: `${p}-vis` });
    names.push(hidden.name, visible.name);
    await dockerOk(dockerHost, ['network', 'create', '--internal', net]);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
    await dockerCli(dockerHost, ['network', 'rm', net]);
  });

  /** Creates on the daemon directly and returns the stored HostConfig and NetworkingConfig. */
  async function createOnDaemon(body: string) {
    const name = `${p}-direct-${n++}`;
    const res = await rawRequest(daemon(), 'POST', `/containers/create?name=${name}`, body);
    expect(res.status, res.body).toBe(201);
    names.push(name);
    const inspect = json(await rawRequest(daemon(), 'GET', `/containers/${name}/json`)) as {
      HostConfig: Record<string, unknown>;
      NetworkSettings: { Networks: Record<string, { Links: string[] | null }> };
    };
    return inspect;
  }

  /** Creates through dockscope a container that would be visible; returns the answer and whether it exists. */
  async function createThrough(body: string) {
    const name = `${p}-vis-${n++}`;
    const res = await rawRequest(through(), 'POST', `/containers/create?name=${name}`, body);
    const exists = (await rawRequest(daemon(), 'GET', `/containers/${name}/json`)).status === 200;
    if (exists) names.push(name);
    return { res, exists };
  }

  const join = (extra: string) => `{"Image":"${image}","Cmd":["sleep","60"]${extra}}`;

  it("the threat: a PidMode key in lower case joins a hidden container's PID namespace and reads its secret", async () => {
    const body = join(`,"hostconfig":{"networkmode":"none","pidmode":"container:${hidden.name}"}`);
    const stored = await createOnDaemon(body);
    // The daemon stores the namespace it joined by the container's id.
    expect(stored.HostConfig.PidMode).toBe(`container:${hidden.id}`);
    const name = names[names.length - 1] ?? '';
    await dockerOk(dockerHost, ['start', name]);
    const environ = await dockerOk(dockerHost, ['exec', name, 'cat', '/proc/1/environ']);
    expect(environ).toContain(`${p}-env-secret`);
    // Through dockscope the same body is decoded the same way and judged: the hidden container is missing.
    const { res, exists } = await createThrough(body);
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({ message: `No such container: ${hidden.name}` });
    expect(exists).toBe(false);
  });

  // Each case: a body that makes the daemon point a new container at the hidden one, the field the
  // daemon stores it in, and what dockscope answers.
  const cases: {
    label: string;
    body: (h: string) => string;
    stored: (i: Awaited<ReturnType<typeof createOnDaemon>>) => unknown;
    expected: (h: string) => { status: number; message: RegExp };
  }[] = [
    {
      label: 'upper-case keys (HOSTCONFIG / PIDMODE)',
      body: (h) => join(`,"HOSTCONFIG":{"NETWORKMODE":"none","PIDMODE":"container:${h}"}`),
      stored: (i) => i.HostConfig.PidMode,
      expected: (h) => ({ status: 400, message: new RegExp(`^No such container: ${h}$`) }),
    },
    {
      label: 'ſ (U+017F) for s in HostConfig',
      body: (h) => join(`,"Hoſtconfig":{"NetworkMode":"none","IpcMode":"container:${h}"}`),
      stored: (i) => i.HostConfig.IpcMode,
      expected: (h) => ({ status: 400, message: new RegExp(`^No such container: ${h}$`) }),
    },
    {
      label: 'K (U+212A) for k in NetworkMode',
      body: (h) => join(`,"HostConfig":{"NetworKMode":"container:${h}"}`),
      stored: (i) => i.HostConfig.NetworkMode,
      expected: (h) => ({ status: 400, message: new RegExp(`^No such container: ${h}$`) }),
    },
    {
      label:
        'a second HostConfig object, merged by the daemon into the first (JSON.parse keeps only the last)',
      body: (h) => join(`,"HostConfig":{"PidMode":"container:${h}"},"HostConfig":{"NetworkMode":"none"}`),
      stored: (i) => i.HostConfig.PidMode,
      expected: () => ({ status: 400, message: /gives HostConfig twice/ }),
    },
    {
      label: 'a second spelling of HostConfig, merged by the daemon',
      body: (h) => join(`,"HostConfig":{"VolumesFrom":["${h}"]},"hostConfig":{"NetworkMode":"none"}`),
      stored: (i) => i.HostConfig.VolumesFrom,
      expected: () => ({ status: 400, message: /gives HostConfig twice/ }),
    },
    {
      label:
        'HostConfig fields at the top level of the body (the 20.10 wrapper embeds a HostConfig): judged as the host config they make',
      body: (h) => join(`,"NetworkMode":"none","PidMode":"container:${h}"`),
      stored: (i) => i.HostConfig.PidMode,
      expected: (h) => ({ status: 400, message: new RegExp(`^No such container: ${h}$`) }),
    },
    // Endpoint links: accepted with a sentinel, as the daemon accepts a missing name (missing-links.test.ts).
  ];

  it.each(cases)('$label: honoured by the daemon, judged by dockscope', async (c) => {
    const body = c.body(hidden.name);
    const stored = JSON.stringify(c.stored(await createOnDaemon(body)));
    expect(
      stored.includes(hidden.name) || stored.includes(hidden.id),
      `the daemon honours this spelling: ${stored}`,
    ).toBe(true);
    const { res, exists } = await createThrough(body);
    const expected = c.expected(hidden.name);
    expect(res.status, res.body).toBe(expected.status);
    expect((json(res) as { message: string }).message).toMatch(expected.message);
    expect(exists).toBe(false);
    expectNoLeak(res.body, hidden, hidden.name);
  });

  it('the same spellings pointed at a visible container are forwarded canonically, pinned to its id', async () => {
    const { res, exists } = await createThrough(
      join(`,"hostconfig":{"networkmode":"none","PIDMODE":"container:${visible.name}"}`),
    );
    expect(res.status, res.body).toBe(201);
    expect(exists).toBe(true);
    const id = (json(res) as { Id: string }).Id;
    const stored = json(await rawRequest(daemon(), 'GET', `/containers/${id}/json`)) as {
      HostConfig: { PidMode: string; NetworkMode: string };
    };
    expect(stored.HostConfig).toMatchObject({ PidMode: `container:${visible.id}`, NetworkMode: 'none' });
  });

  it('network disconnect: a second "container" key is what the daemon acts on; dockscope refuses the body', async () => {
    const a = `${p}-vis-net-a`;
    const h = `${p}-hid-net`;
    names.push(a, h);
    await dockerOk(dockerHost, ['run', '-d', '--network', net, '--name', a, image, 'sleep', '600']);
    await dockerOk(dockerHost, ['run', '-d', '--network', net, '--name', h, image, 'sleep', '600']);
    const networksOf = async (name: string) =>
      Object.keys(
        (
          json(await rawRequest(daemon(), 'GET', `/containers/${name}/json`)) as {
            NetworkSettings: { Networks: object };
          }
        ).NetworkSettings.Networks,
      );
    const body = JSON.stringify({ Container: a }).replace(/}$/, `,"container":"${h}"}`);
    // Through dockscope: refused, and both stay connected.
    const res = await rawRequest(through(), 'POST', `/networks/${net}/disconnect`, body);
    expect(res.status).toBe(400);
    expect((json(res) as { message: string }).message).toMatch(/gives Container twice/);
    expect(await networksOf(h)).toEqual([net]);
    expect(await networksOf(a)).toEqual([net]);
    // On the daemon the later key wins: the hidden container is the one disconnected.
    const direct = await rawRequest(daemon(), 'POST', `/networks/${net}/disconnect`, body);
    expect(direct.status).toBe(200);
    expect(await networksOf(h)).toEqual([]);
    expect(await networksOf(a)).toEqual([net]);
  });

  it('exec create and container update are decoded too: a folded duplicate is refused before anything runs', async () => {
    const exec = await rawRequest(
      through(),
      'POST',
      `/containers/${visible.name}/exec`,
      '{"Cmd":["true"],"cmd":["sh","-c","echo pwned"]}',
    );
    expect(exec.status).toBe(400);
    expect((json(exec) as { message: string }).message).toMatch(/gives Cmd twice/);
    const ok = await rawRequest(through(), 'POST', `/containers/${visible.name}/exec`, '{"cmd":["true"]}');
    expect(ok.status).toBe(201);
    const update = await rawRequest(
      through(),
      'POST',
      `/containers/${visible.name}/update`,
      '{"memory":0,"Memory":0}',
    );
    expect(update.status).toBe(400);
  });

  it('a body that is not UTF-8 is refused', async () => {
    const res = await rawRequest(
      through(),
      'POST',
      `/containers/create?name=${p}-vis-utf`,
      Buffer.concat([
        Buffer.from(`{"Image":"${image}","Labels":{"a":"`),
        Buffer.from([0xe2, 0x82]),
        Buffer.from('"}}'),
      ]),
    );
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({ message: 'dockscope: the request body is not valid UTF-8' });
  });
});

describe('top runs the host ps with the client arguments: only safe forms pass', () => {
  const p = uniquePrefix('top');
  let proxy: RunningDockscope;
  let visible: Fixture;
  beforeAll(async () => {
    visible = await createContainer(dockerHost, image, { name: `${p}-vis`, env: { API_KEY: `${p}-key` } });
    proxy = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-vis`,
      SCRUB_ENVS: 'true',
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [visible.name]);
  });

  it("the threat: BSD e prints the container's environment, past SCRUB_ENVS", async () => {
    const direct = await rawRequest(
      { socketPath: dockerSocket },
      'GET',
      `/containers/${visible.name}/top?ps_args=auxe`,
    );
    expect(direct.status).toBe(200);
    expect(direct.body).toContain(`${p}-key`);
  });

  it.each(['auxe', '-o pid,args', '-eo pid=PID', 'e', '--format pid'])(
    '%j is refused with the allowed forms',
    async (args) => {
      const res = await rawRequest(
        { url: proxy.url },
        'GET',
        `/containers/${visible.name}/top?ps_args=${encodeURIComponent(args)}`,
      );
      expect(res.status).toBe(403);
      expect((json(res) as { message: string }).message).toMatch(
        /ps_args .* is refused: allowed are nothing \(the daemon runs ps -ef\)/,
      );
      expect(res.body).not.toContain(`${p}-key`);
    },
  );

  it.each(['', '-ef', 'aux'])('%j works', async (args) => {
    const res = await rawRequest(
      { url: proxy.url },
      'GET',
      `/containers/${visible.name}/top${args ? `?ps_args=${args}` : ''}`,
    );
    expect(res.status).toBe(200);
    const top = json(res) as { Titles: string[]; Processes: string[][] };
    expect(top.Titles).toContain('PID');
    expect(top.Processes.some((row) => row.join(' ').includes('sleep 3600'))).toBe(true);
  });
});
