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

/** Doors other than /containers/{ref}: each aimed at a hidden container, each checked for leaks. */
describe('side channels to a hidden container', () => {
  const p = uniquePrefix('sc');
  const names: string[] = [];
  const volumes: string[] = [];
  let visible: Fixture;
  let hidden: HiddenFacts;
  let proxy: RunningDockscope;
  const daemon = () => ({ socketPath: dockerSocket });
  const through = () => ({ url: proxy.url });

  beforeAll(async () => {
    visible = await createContainer(dockerHost, image, { name: `${p}-vis` });
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    names.push(visible.name, hidden.name);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis,${p}-new` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
    for (const v of volumes) await dockerCli(dockerHost, ['volume', 'rm', '-f', v]);
  });

  it('an exec instance of a hidden container is a 404 like a missing exec, on json, start and resize', async () => {
    const created = await rawRequest(
      daemon(),
      'POST',
      `/containers/${hidden.id}/exec`,
      JSON.stringify({ Cmd: ['cat', '/proc/1/environ'], AttachStdout: true }),
    );
    expect(created.status).toBe(201);
    const execId = (json(created) as { Id: string }).Id;
    for (const [method, path, body] of [
      ['GET', `/exec/${execId}/json`, undefined],
      ['POST', `/exec/${execId}/start`, JSON.stringify({ Detach: false, Tty: false })],
      ['POST', `/exec/${execId}/resize?h=10&w=10`, undefined],
    ] as const) {
      const res = await rawRequest(through(), method, path, body);
      expect(res.status, path).toBe(404);
      expect(json(res)).toEqual({ message: `No such exec instance: ${execId}` });
      expectNoLeak(res.body, hidden);
    }
    // An exec of a visible container still works end to end.
    const mine = await rawRequest(
      through(),
      'POST',
      `/containers/${visible.name}/exec`,
      JSON.stringify({ Cmd: ['true'] }),
    );
    expect(mine.status).toBe(201);
    const inspect = await rawRequest(through(), 'GET', `/exec/${(json(mine) as { Id: string }).Id}/json`);
    expect(inspect.status).toBe(200);
    expect((json(inspect) as { ContainerID: string }).ContainerID).toBe(visible.id);
  });

  it("the events stream carries a visible container's events and nothing of a hidden one", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    await dockerOk(dockerHost, ['exec', hidden.name, 'true']);
    await dockerOk(dockerHost, ['exec', visible.name, 'true']);
    await dockerOk(dockerHost, ['pause', hidden.name]);
    await dockerOk(dockerHost, ['unpause', hidden.name]);
    const until = Math.floor(Date.now() / 1000) + 1;
    const direct = await rawRequest(daemon(), 'GET', `/events?since=${since}&until=${until}`);
    expect(direct.body).toContain(hidden.id);
    const res = await rawRequest(through(), 'GET', `/events?since=${since}&until=${until}`);
    expect(res.status).toBe(200);
    const events = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Action: string; Actor: { ID: string } });
    expect(events.some((e) => e.Actor.ID === visible.id && e.Action.startsWith('exec_start'))).toBe(true);
    expectNoLeak(res.body, hidden);
  });

  it('a network lists only visible containers', async () => {
    const net = `${p}-net`;
    await dockerOk(dockerHost, ['network', 'create', '--internal', net]);
    // Only running containers have endpoints: one visible (the name contains "-vis") and one hidden.
    const visNet = `${p}-vis-net`;
    const hidNet = `${p}-hid-net`;
    names.push(visNet, hidNet);
    try {
      const vis = (
        await dockerOk(dockerHost, ['run', '-d', '--network', net, '--name', visNet, image, 'sleep', '3600'])
      ).trim();
      const hid = (
        await dockerOk(dockerHost, ['run', '-d', '--network', net, '--name', hidNet, image, 'sleep', '3600'])
      ).trim();
      const direct = await rawRequest(daemon(), 'GET', `/networks/${net}`);
      expect(Object.keys((json(direct) as { Containers: object }).Containers).sort()).toEqual(
        [hid, vis].sort(),
      );
      const res = await rawRequest(through(), 'GET', `/networks/${net}`);
      expect(res.status).toBe(200);
      expect(Object.keys((json(res) as { Containers: object }).Containers)).toEqual([vis]);
      expect(res.body).not.toContain(hid);
      expect(res.body).not.toContain(hidNet);
      const list = await rawRequest(through(), 'GET', '/networks');
      expect(list.body).not.toContain(hid);
      // Connecting or disconnecting a hidden container fails as for a missing one.
      const dis = await rawRequest(
        through(),
        'POST',
        `/networks/${net}/disconnect`,
        JSON.stringify({ Container: hidNet }),
      );
      expect(dis.status).toBe(404);
      expect(json(dis)).toEqual({ message: `No such container: ${hidNet}` });
      const state = await dockerOk(dockerHost, [
        'network',
        'inspect',
        '--format',
        '{{len .Containers}}',
        net,
      ]);
      expect(state.trim()).toBe('2');
    } finally {
      await removeContainers(dockerHost, [visNet, hidNet]);
      await dockerCli(dockerHost, ['network', 'rm', net]);
    }
  });

  it('docker system df lists only visible containers', async () => {
    const res = await rawRequest(through(), 'GET', '/system/df');
    expect(res.status).toBe(200);
    const ids = (json(res) as { Containers: { Id: string }[] }).Containers.map((c) => c.Id);
    expect(ids).toContain(visible.id);
    expectNoLeak(res.body, hidden);
  });

  it('docker info counts only visible containers', async () => {
    const res = await rawRequest(through(), 'GET', '/info');
    const info = json(res) as { Containers: number; ContainersRunning: number };
    expect(info.Containers).toBe(1);
    expect(info.ContainersRunning).toBe(1);
    const direct = json(await rawRequest(daemon(), 'GET', '/info')) as { Containers: number };
    expect(direct.Containers).toBeGreaterThanOrEqual(2);
  });

  it('container prune is refused with a reason, and nothing is removed', async () => {
    const res = await rawRequest(through(), 'POST', '/containers/prune');
    expect(res.status).toBe(403);
    expect((json(res) as { message: string }).message).toMatch(/prun/);
  });

  it('commit of a hidden container is a 404; of a visible one it works', async () => {
    const res = await rawRequest(
      through(),
      'POST',
      `/commit?container=${hidden.name}&repo=${p}-stolen`,
      '{}',
    );
    expect(res.status).toBe(404);
    expectNoLeak(res.body, hidden, hidden.name);
    const images = await dockerOk(dockerHost, ['images', '--format', '{{.Repository}}']);
    expect(images).not.toContain(`${p}-stolen`);
    const ok = await rawRequest(through(), 'POST', `/commit?container=${visible.name}&repo=${p}-mine`, '{}');
    expect(ok.status).toBe(201);
    await dockerCli(dockerHost, ['rmi', `${p}-mine`]);
  });

  it('the container list filters before= and since= treat a hidden container as missing (the daemon answers 500)', async () => {
    for (const key of ['before', 'since']) {
      const filters = encodeURIComponent(JSON.stringify({ [key]: { [hidden.name]: true } }));
      const res = await rawRequest(through(), 'GET', `/containers/json?all=1&filters=${filters}`);
      expect(res.status).toBe(500);
      expect(json(res)).toEqual({ message: `no such container ${hidden.name}` });
      expectNoLeak(res.body, hidden, hidden.name);
    }
  });

  it("create refuses to join a hidden container's namespaces, volumes or links", async () => {
    const attempts = [
      { HostConfig: { NetworkMode: `container:${hidden.name}` } },
      { HostConfig: { PidMode: `container:${hidden.id}` } },
      { HostConfig: { IpcMode: `container:${hidden.id.slice(0, 12)}` } },
      { HostConfig: { VolumesFrom: [`${hidden.name}:ro`] } },
      { HostConfig: { Links: [`${hidden.name}:db`] } },
    ];
    for (const extra of attempts) {
      const res = await rawRequest(
        through(),
        'POST',
        `/containers/create?name=${p}-new`,
        JSON.stringify({ Image: image, Cmd: ['true'], ...extra }),
      );
      // The daemon's own answer for a missing container there: 400 (see hidden-as-missing.test.ts).
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect((json(res) as { message: string }).message).toMatch(/No such container: /);
      expectNoLeak(
        res.body,
        hidden,
        extra.HostConfig.Links
          ? hidden.name
          : (
              extra.HostConfig.NetworkMode ??
              extra.HostConfig.PidMode ??
              extra.HostConfig.IpcMode ??
              extra.HostConfig.VolumesFrom?.[0] ??
              ''
            ).replace(/^container:|:ro$/g, ''),
      );
    }
    const list = await dockerOk(dockerHost, ['ps', '-a', '--format', '{{.Names}}']);
    expect(list).not.toContain(`${p}-new`);
  });

  it('create with the name of a hidden container answers the conflict without the hidden id', async () => {
    const direct = await rawRequest(
      daemon(),
      'POST',
      `/containers/create?name=${hidden.name}`,
      JSON.stringify({ Image: image }),
    );
    expect(direct.status).toBe(409);
    expect(direct.body).toContain(hidden.id);
    // With no rules every container is visible, so create is allowed and the conflict comes from the daemon.
    const open = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_LABELS: `${p}.secret-label` });
    try {
      const res = await rawRequest(
        { url: open.url },
        'POST',
        `/containers/create?name=${hidden.name}`,
        JSON.stringify({ Image: image, Labels: { [`${p}.secret-label`]: 'x' } }),
      );
      expect(res.status).toBe(409);
      expect(res.body).not.toContain(hidden.id);
      expect(res.body).not.toContain(hidden.id.slice(0, 12));
    } finally {
      await open.close();
    }
  });

  it('create of a container the client could not see is refused; a visible one is created', async () => {
    const res = await rawRequest(
      through(),
      'POST',
      `/containers/create?name=${p}-other`,
      JSON.stringify({ Image: image }),
    );
    expect(res.status).toBe(403);
    const ok = await rawRequest(
      through(),
      'POST',
      `/containers/create?name=${p}-new`,
      JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }),
    );
    expect(ok.status).toBe(201);
    names.push(`${p}-new`);
  });

  it('removing a volume in use by a hidden container does not reveal the container id', async () => {
    const vol = `${p}-vol`;
    volumes.push(vol);
    const user = `${p}-voluser`;
    names.push(user);
    await createContainer(dockerHost, image, { name: user, createOnly: true, cmd: ['true'] });
    await dockerCli(dockerHost, ['rm', user]);
    const c = await dockerOk(dockerHost, [
      'create',
      '--network',
      'none',
      '--name',
      user,
      '-v',
      `${vol}:/data`,
      image,
      'true',
    ]);
    const userId = c.trim();
    const direct = await rawRequest(daemon(), 'DELETE', `/volumes/${vol}`);
    expect(direct.status).toBe(409);
    expect(direct.body).toContain(userId);
    const res = await rawRequest(through(), 'DELETE', `/volumes/${vol}`);
    expect(res.status).toBe(409);
    expect(res.body).not.toContain(userId);
    expect(res.body).toContain('<hidden>');
  });
});
