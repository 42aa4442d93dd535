import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';
import type { HiddenFacts } from './support/leaks.ts';
import { createHiddenWithSecrets, expectNoLeak } from './support/leaks.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface Inspect {
  HostConfig: Record<string, unknown>;
  Config: { Hostname: string };
  ResolvConfPath: string;
  HostsPath: string;
  HostnamePath: string;
}

/** Answers about visible containers must not carry hidden ones: ids, names, namespaces, volumes. */
describe('no hidden container inside a visible answer', () => {
  const p = uniquePrefix('va');
  const names: string[] = [];
  let hidden: HiddenFacts;
  let proxy: RunningDockscope;
  const daemon = () => ({ socketPath: dockerSocket });
  const through = () => ({ url: proxy.url });

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    names.push(hidden.name);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
  });

  it("a visible container in a hidden one's network namespace: inspect shows <hidden> for it", async () => {
    const name = `${p}-vis-netns`;
    names.push(name);
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--network',
      `container:${hidden.name}`,
      '--name',
      name,
      image,
      'sleep',
      '600',
    ]);
    const direct = json(await rawRequest(daemon(), 'GET', `/containers/${name}/json`)) as Inspect;
    // The threat: the daemon's answer names the hidden container in five places.
    expect(direct.HostConfig.NetworkMode).toBe(`container:${hidden.id}`);
    expect(direct.ResolvConfPath).toContain(hidden.id);
    expect(direct.Config.Hostname).toBe(hidden.id.slice(0, 12));
    const res = await rawRequest(through(), 'GET', `/containers/${name}/json`);
    expect(res.status).toBe(200);
    expectNoLeak(res.body, hidden);
    const scoped = json(res) as Inspect;
    expect(scoped.HostConfig.NetworkMode).toBe('container:<hidden>');
    expect(scoped.ResolvConfPath).toBe(direct.ResolvConfPath.replace(hidden.id, '<hidden>'));
    expect(scoped.HostsPath).toBe(direct.HostsPath.replace(hidden.id, '<hidden>'));
    expect(scoped.Config.Hostname).toBe('<hidden>');
    // The list and docker system df show the network mode too.
    const list = await rawRequest(through(), 'GET', '/containers/json?all=1');
    expectNoLeak(list.body, hidden);
    const entry = (json(list) as { Names: string[]; HostConfig: { NetworkMode: string } }[]).find(
      (c) => c.Names[0] === `/${name}`,
    );
    expect(entry?.HostConfig.NetworkMode).toBe('container:<hidden>');
    const df = await rawRequest(through(), 'GET', '/system/df');
    expectNoLeak(df.body, hidden);
    expect(df.body).toContain('"NetworkMode":"container:<hidden>"');
  });

  it('docker system df counts image and volume users among visible containers only', async () => {
    const direct = json(await rawRequest(daemon(), 'GET', '/system/df')) as {
      Images: { Id: string; Containers: number }[];
    };
    const scoped = json(await rawRequest(through(), 'GET', '/system/df')) as {
      Images: { Id: string; Containers: number }[];
      Containers: { ImageID: string }[];
    };
    const imageId = scoped.Containers[0]?.ImageID ?? '';
    const count = (df: { Images: { Id: string; Containers: number }[] }) =>
      df.Images.find((i) => i.Id === imageId)?.Containers;
    expect(count(direct)).toBeGreaterThan(count(scoped) ?? 0);
    expect(count(scoped)).toBe(scoped.Containers.filter((c) => c.ImageID === imageId).length);
  });

  it("a create whose name is a hidden container's, failing on a missing reference, does not show the holder's id", async () => {
    const labelled = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_LABELS: `${p}.vis` });
    try {
      const res = await rawRequest(
        { url: labelled.url },
        'POST',
        `/containers/create?name=${hidden.name}`,
        JSON.stringify({
          Image: image,
          Labels: { [`${p}.vis`]: '1' },
          HostConfig: { NetworkMode: 'none', VolumesFrom: ['nonexist'] },
        }),
      );
      expect(res.status).toBe(409);
      expectNoLeak(res.body, hidden, hidden.name);
    } finally {
      await labelled.close();
    }
  });

  it('volumes-from a hidden container: inspect shows <hidden>, the mode kept', async () => {
    const name = `${p}-vis-volfrom`;
    names.push(name);
    await dockerOk(dockerHost, [
      'create',
      '--network',
      'none',
      '--volumes-from',
      `${hidden.name}:ro`,
      '--name',
      name,
      image,
    ]);
    const res = await rawRequest(through(), 'GET', `/containers/${name}/json`);
    expect((json(res) as Inspect).HostConfig.VolumesFrom).toEqual(['<hidden>:ro']);
    expectNoLeak(res.body, hidden);
  });

  it('a failed start that names the hidden container whose IPC it could not join shows <hidden>', async () => {
    const name = `${p}-vis-ipc`;
    names.push(name);
    await dockerOk(dockerHost, [
      'create',
      '--network',
      'none',
      '--ipc',
      `container:${hidden.name}`,
      '--name',
      name,
      image,
      'true',
    ]);
    const direct = await rawRequest(daemon(), 'POST', `/containers/${name}/start`);
    expect(direct.status).toBe(500);
    expect(direct.body).toContain(hidden.id);
    const res = await rawRequest(through(), 'POST', `/containers/${name}/start`);
    expect(res.status).toBe(500);
    expect((json(res) as { message: string }).message).toBe(
      (json(direct) as { message: string }).message.replaceAll(hidden.id, '<hidden>'),
    );
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.body)));
    expectNoLeak(res.body, hidden);
  });

  it('limit=N on the list gives N visible containers: the daemon would count hidden ones', async () => {
    // Created oldest first, hidden ones in between; the list is newest first.
    const order = ['vis-l1', 'hid-l1', 'vis-l2', 'hid-l2', 'hid-l3', 'vis-l3'];
    for (const suffix of order) {
      await createContainer(dockerHost, image, { name: `${p}-${suffix}`, createOnly: true, cmd: ['true'] });
      names.push(`${p}-${suffix}`);
    }
    const list = async (query: string) =>
      (json(await rawRequest(through(), 'GET', `/containers/json?${query}`)) as { Names: string[] }[]).map(
        (c) => c.Names[0]?.slice(p.length + 2),
      );
    const listed = async (query: string) =>
      (await list(query)).filter((n) => n?.endsWith('l1') || n?.endsWith('l2') || n?.endsWith('l3'));
    expect(await listed('limit=2')).toEqual(['vis-l3', 'vis-l2']);
    expect(await listed('limit=3')).toEqual(['vis-l3', 'vis-l2', 'vis-l1']);
    // A limit implies all states, as on the daemon (the containers were never started).
    expect(await listed('limit=1&all=0')).toEqual(['vis-l3']);
    // No limit, or a zero one: as the daemon, only running containers without all.
    expect(await listed('limit=0')).toEqual([]);
    expect(await listed('all=1')).toEqual(['vis-l3', 'vis-l2', 'vis-l1']);
    // A limit the daemon cannot read goes on unchanged, and the daemon answers it.
    const bad = await rawRequest(through(), 'GET', '/containers/json?limit=x');
    const badDirect = await rawRequest(daemon(), 'GET', '/containers/json?limit=x');
    expect(bad.status).toBe(badDirect.status);
    expect(bad.body).toBe(badDirect.body);
  });
});
