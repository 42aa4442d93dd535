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

/** Images made from containers carry those containers: their id, configuration, labels and env. */
describe('images never show a hidden container', () => {
  const p = uniquePrefix('im');
  let hidden: HiddenFacts;
  let visible: Fixture;
  let proxy: RunningDockscope;
  const daemon = () => ({ socketPath: dockerSocket });
  const through = () => ({ url: proxy.url });
  let since = 0;
  const stolen = `${p}-stolen:1`;
  const mine = `${p}-mine:1`;

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    visible = await createContainer(dockerHost, image, {
      name: `${p}-vis`,
      env: { API_KEY: `${p}-vis-key` },
    });
    since = Math.floor(Date.now() / 1000) - 1;
    await dockerOk(dockerHost, ['commit', hidden.name, stolen]);
    await dockerOk(dockerHost, ['commit', visible.name, mine]);
    proxy = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-vis`,
      SCRUB_ENVS: 'true',
      // Saves and pushes are judged here; SCRUB_ENVS's reads-only default is scrub-direct.test.ts.
      ALLOW: 'all',
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [hidden.name, visible.name]);
    await dockerCli(dockerHost, ['rmi', stolen, mine]);
  });

  it('image inspect: the daemon shows the hidden container; dockscope shows nothing of it', async () => {
    const direct = await rawRequest(daemon(), 'GET', `/v1.41/images/${stolen}/json`);
    expect(direct.body).toContain(hidden.id);
    expect(direct.body).toContain(`${p}-env-secret`);
    const res = await rawRequest(through(), 'GET', `/v1.41/images/${stolen}/json`);
    expect(res.status).toBe(200);
    expectNoLeak(res.body, hidden);
    const body = json(res) as { Container: string; Config: { Env: string[]; Labels: object } };
    expect(body.Container).toBe('');
    expect(body.Config.Env).toEqual([]);
  });

  it('image history: the committed layer keeps no command of the hidden container', async () => {
    const direct = await rawRequest(daemon(), 'GET', `/images/${stolen}/history`);
    expect(direct.body).toContain('log-of-');
    const res = await rawRequest(through(), 'GET', `/images/${stolen}/history`);
    expect(res.status).toBe(200);
    expectNoLeak(res.body, hidden);
    // The layers of the imported base image are unchanged.
    const base = (json(res) as { Comment: string }[]).at(-1);
    expect(base?.Comment).toBe((json(direct) as { Comment: string }[]).at(-1)?.Comment);
  });

  it('an image committed from a visible container shows it, with SCRUB_ENVS its env is blanked', async () => {
    const res = await rawRequest(through(), 'GET', `/v1.41/images/${mine}/json`);
    const body = json(res) as {
      Container: string;
      Config: { Env: string[] };
      ContainerConfig: { Env: string[] };
    };
    expect(body.Container).toBe(visible.id);
    expect(body.Config.Env).toEqual([]);
    expect(body.ContainerConfig.Env).toEqual([]);
    expect(res.body).not.toContain(`${p}-vis-key`);
  });

  it('docker save and push of an image committed from a hidden container are refused; of a visible one save works', async () => {
    for (const [method, path] of [
      ['GET', `/images/${stolen}/get`],
      ['GET', `/images/get?names=${encodeURIComponent(mine)}&names=${encodeURIComponent(stolen)}`],
      ['POST', `/images/${stolen}/push`],
    ] as const) {
      const res = await rawRequest(through(), method, path);
      expect(res.status, path).toBe(403);
      expect((json(res) as { message: string }).message).toMatch(
        /was committed from a container this client may not see/,
      );
    }
    const ok = await rawRequest(through(), 'GET', `/images/${mine}/get`);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/x-tar');
  });

  it("image events do not carry the hidden container's labels", async () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    const query = `/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["image"]}')}`;
    const direct = await rawRequest(daemon(), 'GET', query);
    expect(direct.body).toContain(`${p}-label-value`);
    const res = await rawRequest(through(), 'GET', query);
    expect(res.body).toContain(stolen);
    expectNoLeak(res.body, hidden);
  });
});
