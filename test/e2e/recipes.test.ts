import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.ts';
import { type RunningDockscope, startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json } from './support/http.ts';
import type { Listed } from './support/recipes.ts';
import {
  EVENTS_ACCEPT,
  goQuery,
  missingAnswer,
  ours,
  recipe,
  recipeEnv,
  ToolClient,
} from './support/recipes.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const socketProxyUrl = inject('socketProxyUrl');
const image = inject('image');

/** docs/recipes.md "Traefik": its Docker provider's start and watch, replayed through the recipe. */
describe('recipe: Traefik sees only the containers labelled traefik.enable=true', () => {
  const p = uniquePrefix('rtr');
  const routed = `${p}-whoami`;
  const other = `${p}-db`;
  let ds: RunningDockscope;
  let traefik: ToolClient;

  beforeAll(async () => {
    const { compose } = await recipe('Traefik');
    ds = await startTestDockscope(recipeEnv(compose, socketProxyUrl));
    traefik = new ToolClient(ds.url, 'Traefik 3.5.0');
    await createContainer(dockerHost, image, { name: other, createOnly: true, env: { SECRET: 'db' } });
    await createContainer(dockerHost, image, {
      name: routed,
      createOnly: true,
      labels: { 'traefik.enable': 'true', 'traefik.http.routers.w.rule': 'Host(`w.localhost`)' },
      env: { SECRET: 'whoami' },
    });
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [routed, other]);
  });

  it('negotiates, reads the version, lists and inspects only the labelled container, and watches its events', async () => {
    const ping = await traefik.negotiate('1.54');
    expect([ping.status, traefik.prefix]).toEqual([200, '/v1.41']);
    const version = await traefik.send('GET', '/version');
    expect([version.status, (json(version) as { ApiVersion: string }).ApiVersion]).toEqual([200, '1.41']);

    const filters = goQuery({ filters: '{"type":{"container":true}}' });
    const events = await traefik.stream(`/events?${filters}`, EVENTS_ACCEPT);
    expect(events.status).toBe(200);
    await dockerOk(dockerHost, ['start', other]);
    await dockerOk(dockerHost, ['start', routed]);
    await events.until(`${routed} start`, (t) => t.includes(`"name":"${routed}"`) && t.includes('"start"'));
    events.close();
    // The other container's start came first on the daemon's stream: it was left out, not late.
    expect(events.text).not.toContain(other);

    const list = await traefik.send('GET', `/containers/json?${goQuery({ all: '1' })}`);
    expect([list.status, ours(json(list), p)]).toEqual([200, [routed]]);
    const [entry] = (json(list) as Listed).filter((c) => c.Names[0] === `/${routed}`);
    const inspect = await traefik.send('GET', `/containers/${entry?.Id}/json`);
    const body = json(inspect) as { Config: { Labels: Record<string, string>; Env: string[] } };
    expect([inspect.status, body.Config.Labels['traefik.enable'], body.Config.Env]).toEqual([
      200,
      'true',
      [],
    ]);

    const hidden = await traefik.send('GET', `/containers/${other}/json`);
    expect({ status: hidden.status, body: hidden.body }).toEqual(
      await missingAnswer(dockerSocket, 'GET', `/v1.41/containers/${other}/json`, other),
    );
  });

  it('a write is refused: the recipe allows read-only and events', async () => {
    const stop = await traefik.send('POST', `/containers/${routed}/stop`);
    expect([stop.status, json(stop)]).toEqual([
      403,
      {
        message: `dockscope: POST /containers/${routed}/stop is not allowed for client "default" (allow: no entry matches)`,
      },
    ]);
  });
});

/** docs/recipes.md "Dozzle": its start, list, watch, logs and stats, replayed through the recipe. */
describe('recipe: Dozzle shows the logs of the named containers only', () => {
  const p = uniquePrefix('rdz');
  const [web, worker, db] = [`${p}-web`, `${p}-worker`, `${p}-db`];
  let ds: RunningDockscope;
  let dozzle: ToolClient;

  beforeAll(async () => {
    const { compose } = await recipe('Dozzle');
    ds = await startTestDockscope(recipeEnv(compose, socketProxyUrl));
    dozzle = new ToolClient(ds.url, 'Docker-Client/Dozzle');
    for (const name of [web, worker, db])
      await createContainer(dockerHost, image, { name, env: { SECRET: name } });
    await dozzle.negotiate('1.55');
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [web, worker, db]);
  });

  it('negotiates and reads info and version, lists the named containers and watches only their events', async () => {
    expect(dozzle.prefix).toBe('/v1.41');
    expect((await dozzle.send('GET', '/info')).status).toBe(200);
    expect((await dozzle.send('GET', '/version')).status).toBe(200);
    const list = await dozzle.send('GET', `/containers/json?${goQuery({ all: '1' })}`);
    expect([list.status, ours(json(list), p)]).toEqual([200, [web, worker]]);

    const events = await dozzle.stream('/events', EVENTS_ACCEPT);
    await dockerOk(dockerHost, ['pause', db]);
    await dockerOk(dockerHost, ['unpause', db]);
    await dockerOk(dockerHost, ['pause', web]);
    await dockerOk(dockerHost, ['unpause', web]);
    await events.until(`${web} unpause`, (t) => t.includes('"unpause"') && t.includes(web));
    events.close();
    expect(events.text).not.toContain(db);
  });

  it("follows a visible container's log, reads it between dates, and streams its stats", async () => {
    const inspect = await dozzle.send('GET', `/containers/${web}/json`);
    const state = json(inspect) as { State: { StartedAt: string }; Config: { Env: string[] } };
    expect([inspect.status, state.Config.Env]).toEqual([200, []]);
    // moby's client sends a time as seconds.nanoseconds (timetypes.GetTimestamp).
    const seconds = (iso: string) => (Date.parse(iso) / 1000).toFixed(9);
    const since = seconds(new Date(Date.parse(state.State.StartedAt) - 50).toISOString());
    const follow = goQuery({ follow: '1', since, stderr: '1', stdout: '1', tail: '100', timestamps: '1' });
    const live = await dozzle.stream(`/containers/${web}/logs?${follow}`);
    await live.until('the log line', (t) => t.includes(`log-of-${web}`));
    live.close();
    expect(live.status).toBe(200);
    expect(live.text).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z log-of-${web}`));

    const until = seconds(new Date().toISOString());
    const between = await dozzle.send(
      'GET',
      `/containers/${web}/logs?${goQuery({ since, stderr: '1', stdout: '1', timestamps: '1', until })}`,
    );
    expect([between.status, between.body.includes(`log-of-${web}`)]).toEqual([200, true]);

    const stats = await dozzle.stream(`/containers/${web}/stats?${goQuery({ stream: 'true' })}`);
    await stats.until('one stats record', (t) => t.includes('\n'));
    stats.close();
    expect((JSON.parse(stats.text.split('\n')[0] ?? '') as { name: string }).name).toBe(`/${web}`);
  });

  it("a hidden container's log is the daemon's missing one, and an action is refused", async () => {
    const path = `/containers/${db}/logs?${goQuery({ stderr: '1', stdout: '1', tail: '100', timestamps: '1' })}`;
    const hidden = await dozzle.send('GET', path);
    expect({ status: hidden.status, body: hidden.body }).toEqual(
      await missingAnswer(dockerSocket, 'GET', `/v1.41${path}`, db),
    );
    const restart = await dozzle.send('POST', `/containers/${web}/restart`);
    expect([restart.status, json(restart)]).toEqual([
      403,
      {
        message: `dockscope: POST /containers/${web}/restart is not allowed for client "default" (allow: no entry matches)`,
      },
    ]);
  });
});
