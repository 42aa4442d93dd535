import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Fixture } from './support/fixtures.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, observed, rawRequest } from './support/http.ts';
import type { HiddenFacts } from './support/leaks.ts';
import { createHiddenWithSecrets, expectNoLeak } from './support/leaks.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface Probe {
  readonly label: string;
  readonly method: string;
  readonly path: (ref: string) => string;
  readonly body?: (ref: string) => string;
  readonly headers?: Record<string, string>;
}

/**
 * A hidden container answers exactly as a missing one: for every route and every place a request can
 * name a container, the answer through dockscope for the hidden one equals, byte for byte apart from
 * the name typed, the daemon's own answer for a container that does not exist.
 */
describe('a hidden container answers exactly as a missing one', () => {
  const p = uniquePrefix('ham');
  const names: string[] = [];
  const net = `${p}-net`;
  let hidden: HiddenFacts;
  let visible: Fixture;
  let hiddenExec: string;
  let proxy: RunningDockscope;
  // Same length as the hidden name, so that even Content-Length must agree.
  const missingName = () => `${p}-gon`;

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    visible = await createContainer(dockerHost, image, { name: `${p}-vis` });
    names.push(hidden.name, visible.name);
    await dockerOk(dockerHost, ['network', 'create', '--internal', net]);
    const exec = await rawRequest(
      { socketPath: dockerSocket },
      'POST',
      `/containers/${hidden.id}/exec`,
      JSON.stringify({ Cmd: ['true'] }),
    );
    hiddenExec = (json(exec) as { Id: string }).Id;
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
    await dockerCli(dockerHost, ['network', 'rm', net]);
  });

  async function compare(probe: Probe, hiddenRef: string, missingRef: string) {
    const send = (target: { url?: string; socketPath?: string }, ref: string) =>
      rawRequest(target, probe.method, probe.path(ref), probe.body?.(ref), probe.headers);
    const daemonMissing = await send({ socketPath: dockerSocket }, missingRef);
    const throughHidden = await send({ url: proxy.url }, hiddenRef);
    const throughMissing = await send({ url: proxy.url }, missingRef);
    expect(daemonMissing.status, 'the daemon refuses a missing container here').toBeGreaterThanOrEqual(400);
    expect(observed(throughHidden, hiddenRef), probe.label).toEqual(observed(daemonMissing, missingRef));
    expect(observed(throughMissing, missingRef), probe.label).toEqual(observed(daemonMissing, missingRef));
    expectNoLeak(throughHidden.body, hidden, hiddenRef);
  }

  const containerRoutes: Probe[] = [
    ['GET', 'json'],
    ['GET', 'json?size=1'],
    ['GET', 'logs?stdout=1&stderr=1'],
    ['GET', 'logs?stdout=1&follow=1'],
    ['GET', 'top'],
    ['GET', 'top?ps_args=aux'],
    ['GET', 'stats?stream=0'],
    ['GET', 'changes'],
    ['GET', 'export'],
    ['GET', 'archive?path=/etc'],
    ['HEAD', 'archive?path=/etc'],
    ['PUT', 'archive?path=/tmp'],
    ['POST', 'start'],
    ['POST', 'stop?t=1'],
    ['POST', 'restart?t=1'],
    ['POST', 'kill?signal=KILL'],
    ['POST', 'pause'],
    ['POST', 'unpause'],
    ['POST', 'wait'],
    ['POST', 'resize?h=10&w=10'],
    ['POST', 'attach?stream=1&stdout=1'],
    ['POST', 'rename?name=stolen'],
    ['POST', 'checkpoints'],
    ['GET', 'checkpoints'],
  ].map(([method, rest]) => ({
    label: `${method} /containers/{ref}/${rest}`,
    method: method ?? 'GET',
    path: (ref: string) => `/v1.41/containers/${ref}/${rest}`,
    ...(method === 'PUT' ? { body: () => 'not a tar' } : {}),
  }));

  const otherRoutes: Probe[] = [
    { label: 'DELETE /containers/{ref}', method: 'DELETE', path: (r) => `/v1.41/containers/${r}` },
    {
      label: 'DELETE /containers/{ref}?force=1&v=1',
      method: 'DELETE',
      path: (r) => `/containers/${r}?force=1&v=1`,
    },
    {
      label: 'POST /containers/{ref}/exec',
      method: 'POST',
      path: (r) => `/v1.41/containers/${r}/exec`,
      body: () => JSON.stringify({ Cmd: ['cat', '/proc/1/environ'], AttachStdout: true }),
    },
    {
      label: 'POST /containers/{ref}/update',
      method: 'POST',
      path: (r) => `/v1.41/containers/${r}/update`,
      body: () => JSON.stringify({ RestartPolicy: { Name: 'always' } }),
    },
    {
      label: 'POST /containers/{ref}/attach with Upgrade (the hijack path)',
      method: 'POST',
      path: (r) => `/v1.41/containers/${r}/attach?stream=1&stdout=1`,
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    },
    {
      label: 'POST /commit?container={ref}',
      method: 'POST',
      path: (r) => `/v1.41/commit?container=${r}&repo=${p}-stolen`,
      body: () => '{}',
    },
    ...['before', 'since'].map((key) => ({
      label: `GET /containers/json?filters={"${key}":...}`,
      method: 'GET',
      path: (r: string) =>
        `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ [key]: { [r]: true } }))}`,
    })),
    {
      label: 'GET /containers/json?filters={"before":[...]} (legacy form)',
      method: 'GET',
      path: (r) => `/v1.41/containers/json?filters=${encodeURIComponent(JSON.stringify({ before: [r] }))}`,
    },
    {
      label: 'DELETE /containers/{ref}/alias?link=1',
      method: 'DELETE',
      path: (r) => `/v1.41/containers/${r}/alias?link=1`,
    },
    ...(['connect', 'disconnect'] as const).map((action) => ({
      label: `POST /networks/{net}/${action} {"Container": ref}`,
      method: 'POST',
      path: () => `/v1.41/networks/${net}/${action}`,
      body: (r: string) => JSON.stringify({ Container: r }),
    })),
    ...(
      [
        ['PidMode', (r: string) => ({ NetworkMode: 'none', PidMode: `container:${r}` })],
        ['IpcMode', (r: string) => ({ NetworkMode: 'none', IpcMode: `container:${r}` })],
        ['VolumesFrom', (r: string) => ({ NetworkMode: 'none', VolumesFrom: [`${r}:ro`] })],
        ['Links', (r: string) => ({ NetworkMode: 'none', Links: [`${r}:db`] })],
      ] as const
    ).map(([field, host]) => ({
      label: `POST /containers/create with HostConfig.${field} naming {ref}`,
      method: 'POST',
      path: () => `/v1.41/containers/create?name=${p}-vis-new`,
      body: (r: string) => JSON.stringify({ Image: image, HostConfig: host(r) }),
    })),
  ];

  it.each([...containerRoutes, ...otherRoutes])('$label', async (probe) => {
    await compare(probe, hidden.name, missingName());
  });

  it('by id prefix too: the answer echoes the prefix typed, as for a missing prefix', async () => {
    for (const probe of [containerRoutes[0], otherRoutes[0]]) {
      if (probe) await compare(probe, hidden.id.slice(0, 12), 'ffffffffffff');
    }
  });

  it.each<Probe>([
    { label: 'GET /exec/{id}/json', method: 'GET', path: (r) => `/v1.41/exec/${r}/json` },
    { label: 'POST /exec/{id}/resize', method: 'POST', path: (r) => `/v1.41/exec/${r}/resize?h=1&w=1` },
    {
      label: 'POST /exec/{id}/start',
      method: 'POST',
      path: (r) => `/v1.41/exec/${r}/start`,
      body: () => JSON.stringify({ Detach: true }),
    },
    {
      label: 'POST /exec/{id}/start with Upgrade (the hijack path)',
      method: 'POST',
      path: (r) => `/v1.41/exec/${r}/start`,
      body: () => JSON.stringify({ Detach: false, Tty: false }),
      headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
    },
  ])('an exec instance of a hidden container: $label', async (probe) => {
    await compare(probe, hiddenExec, 'f'.repeat(64));
  });

  it('nothing was done to the hidden container, and nothing was created', async () => {
    const state = json(
      await rawRequest({ socketPath: dockerSocket }, 'GET', `/containers/${hidden.id}/json`),
    ) as {
      Name: string;
      State: { Running: boolean; Paused: boolean };
      HostConfig: { RestartPolicy: { Name: string } };
    };
    expect(state.Name).toBe(`/${hidden.name}`);
    expect(state.State).toMatchObject({ Running: true, Paused: false });
    expect(state.HostConfig.RestartPolicy.Name).not.toBe('always');
    const all = await dockerOk(dockerHost, ['ps', '-a', '--format', '{{.Names}}']);
    expect(all).not.toContain(`${p}-vis-new`);
    expect(await dockerOk(dockerHost, ['images', '--format', '{{.Repository}}'])).not.toContain(
      `${p}-stolen`,
    );
  });

  it.each([
    ['HostConfig.NetworkMode', (r: string) => ({ HostConfig: { NetworkMode: `container:${r}` } })],
    // Endpoint links to a missing container the daemon accepts: test/e2e/missing-links.test.ts.
    ['HostConfig.Cgroup', (r: string) => ({ HostConfig: { NetworkMode: 'none', Cgroup: `container:${r}` } })],
  ])(
    '%s naming a hidden or a missing container: refused alike, in the daemon’s words and shape (the daemon would create a container that can never start)',
    async (_label, extra) => {
      const probe: Probe = {
        label: 'create',
        method: 'POST',
        path: () => `/v1.41/containers/create?name=${p}-vis-new`,
        body: (r) => JSON.stringify({ Image: image, ...extra(r) }),
      };
      const send = (ref: string) =>
        rawRequest({ url: proxy.url }, probe.method, probe.path(ref), probe.body?.(ref));
      const throughHidden = await send(hidden.name);
      const throughMissing = await send(missingName());
      expect(observed(throughHidden, hidden.name)).toEqual(observed(throughMissing, missingName()));
      expect(throughHidden.status).toBe(400);
      expect(throughHidden.body).toBe(`{"message":"No such container: ${hidden.name}"}\n`);
      // The same head as the daemon's own 400 for a missing PidMode container.
      const daemonPid = await rawRequest(
        { socketPath: dockerSocket },
        'POST',
        `/v1.41/containers/create?name=${p}-vis-new`,
        JSON.stringify({
          Image: image,
          HostConfig: { NetworkMode: 'none', PidMode: `container:${missingName()}` },
        }),
      );
      expect(observed(throughMissing, missingName())).toEqual(observed(daemonPid, missingName()));
    },
  );
});

describe('an id prefix shared with hidden containers answers as if they did not exist', () => {
  const p = uniquePrefix('amb');
  const names: string[] = [];
  let visible: Fixture;
  let proxy: RunningDockscope;
  let sharedWithVisible = '';
  let sharedByHidden = '';

  beforeAll(async () => {
    visible = await createContainer(dockerHost, image, { name: `${p}-vis`, createOnly: true, cmd: ['true'] });
    names.push(visible.name);
    // Hidden containers until one shares the visible one's first hex digit and two share another.
    const firsts = new Map<string, number>();
    for (let i = 0; i < 150 && !(sharedWithVisible && sharedByHidden); i++) {
      const h = await createContainer(dockerHost, image, {
        name: `${p}-h${i}`,
        createOnly: true,
        cmd: ['true'],
      });
      names.push(h.name);
      const c = h.id[0] ?? '';
      firsts.set(c, (firsts.get(c) ?? 0) + 1);
      if (c === visible.id[0]) sharedWithVisible = c;
      for (const [k, n] of firsts) if (n >= 2 && k !== visible.id[0]) sharedByHidden = k;
    }
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
  });

  it('a prefix shared by the visible container and hidden ones is the visible container', async () => {
    expect(sharedWithVisible).not.toBe('');
    const direct = await rawRequest(
      { socketPath: dockerSocket },
      'GET',
      `/containers/${sharedWithVisible}/json`,
    );
    expect(direct.status).not.toBe(200);
    expect(direct.body).toMatch(/multiple IDs found/i);
    for (const [method, path] of [
      ['GET', `/containers/${sharedWithVisible}/json`],
      ['GET', `/containers/${sharedWithVisible}/top`],
    ] as const) {
      const res = await rawRequest({ url: proxy.url }, method, path);
      expect(res.status, path).toBe(path.endsWith('/top') ? 409 : 200);
      expect(res.body).not.toMatch(/multiple/i);
    }
    const inspect = json(
      await rawRequest({ url: proxy.url }, 'GET', `/containers/${sharedWithVisible}/json`),
    ) as { Id: string };
    expect(inspect.Id).toBe(visible.id);
  });

  it('a prefix shared only by hidden containers is a missing container, in the daemon’s words', async () => {
    expect(sharedByHidden).not.toBe('');
    for (const rest of ['json', 'logs?stdout=1']) {
      const res = await rawRequest({ url: proxy.url }, 'GET', `/v1.41/containers/${sharedByHidden}/${rest}`);
      // "z" is no hex digit: the daemon looks it up as a name and answers for a missing container.
      const missing = await rawRequest({ socketPath: dockerSocket }, 'GET', `/v1.41/containers/z/${rest}`);
      const { body: _b, ...head } = observed(res, '\u0000');
      const { body: _m, ...missingHead } = observed(missing, '\u0000');
      expect(head).toEqual(missingHead);
      expect(res.body).toBe(missing.body.replace(': z"', `: ${sharedByHidden}"`));
    }
  });
});
