import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { type RunningDockscope, startTestDockscopeFile } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';
import type { Inspect, Listed } from './support/recipes.ts';
import { goQuery, missingAnswer, ours, recipe, recipeFile, ToolClient } from './support/recipes.ts';

// docs/recipes.md "Watchtower" (the read-only recipes are in recipes.test.ts, Portainer's in
// recipes-portainer.test.ts).

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

const daemon = (method: string, path: string) => rawRequest({ socketPath: dockerSocket }, method, path);

const ENABLE = 'com.centurylinklabs.watchtower.enable';

/** docs/recipes.md "Watchtower": one update run (internal/actions/update.go), replayed through the recipe. */
describe('recipe: Watchtower recreates its labelled containers, and only those', () => {
  const p = uniquePrefix('rwt');
  const [app, bound, hidden, base] = [`${p}-app`, `${p}-bound`, `${p}-hidden`, `${p}-base`];
  const repo = `${p}-image`;
  // Stops on SIGTERM, as a service does (a shell as PID 1 has no default action for it).
  const cmd = ['sh', '-c', `trap 'exit 0' TERM; echo started; while :; do sleep 1; done`];
  let ds: RunningDockscope;
  let wt: ToolClient;
  let dir: string;

  beforeAll(async () => {
    const { config } = await recipe('Watchtower');
    // The recipe's own line for a cgroup v1 host, where inspect shows the host's cgroup namespace.
    const { CgroupVersion } = json(await daemon('GET', '/info')) as { CgroupVersion: string };
    const v1 = CgroupVersion === '1' ? /create: \{ hostNamespaces: \[cgroupns\] \}/ : undefined;
    ds = await startTestDockscopeFile(recipeFile(config ?? '', dockerSocket, v1));
    // docker/docker v24 without negotiation: DOCKER_API_VERSION, 1.25 by default; Go's own User-Agent.
    wt = new ToolClient(ds.url, 'Go-http-client/1.1');
    wt.prefix = '/v1.25';
    // The app's image of its own (a clean-up removes it by id), version 1.
    await createContainer(dockerHost, image, { name: base, createOnly: true });
    await dockerOk(dockerHost, ['commit', '--change', 'LABEL build=1', base, `${repo}:latest`]);
    await createContainer(dockerHost, `${repo}:latest`, { name: app, labels: { [ENABLE]: 'true' }, cmd });
    await createContainer(dockerHost, image, { name: hidden, cmd });
    dir = await mkdtemp(join(tmpdir(), 'ds-wt-'));
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '-v',
      `${dir}:/data`,
      '--network',
      'none',
      '--name',
      bound,
      '--label',
      `${ENABLE}=true`,
      image,
      ...cmd,
    ]);
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [app, bound, hidden, base]);
    await rm(dir, { recursive: true, force: true });
    await dockerCli(dockerHost, ['rmi', '-f', `${repo}:latest`]);
  });

  /** Watchtower's stop, StopContainer: kill, wait until it stopped, remove, wait until it is gone. */
  async function stopAndRemove(id: string): Promise<void> {
    const kill = await wt.send('POST', `/containers/${id}/kill?${goQuery({ signal: 'SIGTERM' })}`);
    expect(kill.status).toBe(204);
    await waitFor(
      'stopped',
      async () => !(json(await wt.send('GET', `/containers/${id}/json`)) as Inspect).State.Running,
    );
    expect((await wt.send('DELETE', `/containers/${id}?${goQuery({ force: '1' })}`)).status).toBe(204);
    await waitFor('removed', async () => (await wt.send('GET', `/containers/${id}/json`)).status === 404);
  }

  /** Watchtower's create body (GetCreateConfig, GetCreateHostConfig, one network of GetNetworkConfig). */
  const createBody = (c: Inspect) => {
    const [net, endpoint] = Object.entries(c.NetworkSettings.Networks)[0] ?? [];
    const aliases = (endpoint?.Aliases ?? []).filter((a) => a !== c.Id.slice(0, 12));
    return {
      ...c.Config,
      HostConfig: c.HostConfig,
      NetworkingConfig: { EndpointsConfig: net ? { [net]: { ...endpoint, Aliases: aliases } } : {} },
    };
  };

  it('lists the running labelled containers, and recreates the stale one on its new image', async () => {
    const list = await wt.send(
      'GET',
      `/containers/json?${goQuery({ filters: '{"status":{"running":true}}' })}`,
    );
    expect([list.status, ours(json(list), p)]).toEqual([200, [app, bound]]);
    const id = (json(list) as Listed).find((c) => c.Names[0] === `/${app}`)?.Id ?? '';
    const old = json(await wt.send('GET', `/containers/${id}/json`)) as Inspect;
    const oldImage = await wt.send('GET', `/images/${old.Image}/json`);
    expect(oldImage.status).toBe(200);

    // The pull is forwarded: the daemon answers it (this one cannot reach a registry), not dockscope.
    const pull = await wt.send(
      'POST',
      `/images/create?${goQuery({ fromImage: repo, tag: 'latest' })}`,
      undefined,
      {
        'x-registry-auth': '',
      },
    );
    const path = `/v1.25/images/create?${goQuery({ fromImage: repo, tag: 'latest' })}`;
    const direct = await rawRequest({ socketPath: dockerSocket }, 'POST', path, undefined, {
      'x-registry-auth': '',
    });
    expect([pull.status, pull.body.includes('dockscope')]).toEqual([direct.status, false]);
    // What a pull of a new version does to the name, done on the daemon.
    await dockerOk(dockerHost, ['commit', '--change', 'LABEL build=2', base, `${repo}:latest`]);
    const fresh = json(await wt.send('GET', `/images/${repo}:latest/json`)) as { Id: string };
    expect(fresh.Id).not.toBe(old.Image);

    await stopAndRemove(id);
    const created = await wt.send(
      'POST',
      `/containers/create?${goQuery({ name: old.Name })}`,
      createBody(old),
    );
    expect([created.status, created.body]).toEqual([201, expect.stringContaining('"Id"')]);
    const newId = (json(created) as { Id: string }).Id;
    for (const [net, endpoint] of Object.entries(old.NetworkSettings.Networks)) {
      const off = await wt.send('POST', `/networks/${net}/disconnect`, { Container: newId, Force: true });
      expect([off.status, off.body]).toEqual([200, '']);
      const on = await wt.send('POST', `/networks/${net}/connect`, {
        Container: newId,
        EndpointConfig: endpoint,
      });
      expect([on.status, on.body]).toEqual([200, '']);
    }
    expect((await wt.send('POST', `/containers/${newId}/start`)).status).toBe(204);
    // WATCHTOWER_CLEANUP: the old image, by id.
    const rmi = await wt.send('DELETE', `/images/${old.Image}?${goQuery({ force: '1' })}`);
    expect(rmi.status).toBe(200);

    const now = json(await daemon('GET', `/containers/${app}/json`)) as Inspect;
    expect([now.Id, now.Image, now.State.Running, now.Config.Labels[ENABLE]]).toEqual([
      newId,
      fresh.Id,
      true,
      'true',
    ]);
    expect((await daemon('GET', `/images/${old.Image}/json`)).status).toBe(404);
    // Its copied MaskedPaths were kept, with what newer daemons mask by default added (system-paths.ts).
    const copied = old.HostConfig.MaskedPaths as string[];
    const added = ['/proc/interrupts', '/sys/devices/virtual/powercap'].filter((m) => !copied.includes(m));
    expect(now.HostConfig.MaskedPaths).toEqual([...copied, ...added]);
  });

  it('the recreate of a container that binds a host path is refused by the create rule, after Watchtower removed it', async () => {
    const old = json(await wt.send('GET', `/containers/${bound}/json`)) as Inspect;
    await stopAndRemove(old.Id);
    const created = await wt.send(
      'POST',
      `/containers/create?${goQuery({ name: old.Name })}`,
      createBody(old),
    );
    expect([created.status, json(created)]).toEqual([
      403,
      {
        message: `dockscope: create rule "hostPaths" refuses HostConfig.Binds[0]: the host path ${dir} is not under a path this client may bind (it may bind none)`,
      },
    ]);
    expect((await daemon('GET', `/containers/${bound}/json`)).status).toBe(404);
  });

  it('an unlabelled container answers as a missing one, and a route not listed is refused', async () => {
    const id = (json(await daemon('GET', `/containers/${hidden}/json`)) as Inspect).Id;
    for (const [method, path] of [
      ['GET', `/containers/${id}/json`],
      ['POST', `/containers/${id}/kill?signal=SIGTERM`],
      ['DELETE', `/containers/${id}?force=1`],
    ] as const) {
      const res = await wt.send(method, path);
      expect({ status: res.status, body: res.body }, `${method} ${path}`).toEqual(
        await missingAnswer(dockerSocket, method, `/v1.25${path}`, id),
      );
    }
    expect((json(await daemon('GET', `/containers/${hidden}/json`)) as Inspect).State.Running).toBe(true);
    const exec = await wt.send('POST', `/containers/${app}/exec`, { Cmd: ['true'] });
    expect([exec.status, json(exec)]).toEqual([
      403,
      {
        message: `dockscope: POST /containers/${app}/exec is not allowed for client "watchtower" (allow: no entry matches)`,
      },
    ]);
  });
});
