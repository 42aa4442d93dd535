import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { uniquePrefix, waitFor } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

const lines = (body: string) => body.split('\n').filter((l) => l.trim() !== '');
const parse = (body: string) => lines(body).map((l) => JSON.parse(l) as DockerEvent);

/** Events of containers that no longer exist are judged from the events themselves. */
describe('/events keeps the events of containers that are gone', () => {
  const p = uniquePrefix('ev');
  let open: RunningDockscope;
  let scoped: RunningDockscope;
  let since = 0;
  let until = 0;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    open = await startTestDockscope({ PROXY_URL: dockerHost });
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
    since = Math.floor(Date.now() / 1000) - 1;
    for (const suffix of ['vis-a', 'hid-a', 'vis-b']) {
      const name = `${p}-${suffix}`;
      ids[suffix] = (
        await dockerOk(dockerHost, ['run', '-d', '--network', 'none', '--name', name, image, 'true'])
      ).trim();
      await dockerOk(dockerHost, ['wait', name]);
      await dockerOk(dockerHost, ['rm', name]);
    }
    until = Math.floor(Date.now() / 1000) + 1;
    // Replays with until in the past are fixed: wait until the window has closed.
    await new Promise((r) => setTimeout(r, Math.max(0, until * 1000 - Date.now() + 50)));
  });
  afterAll(async () => {
    await open?.close();
    await scoped?.close();
  });

  const replay = (target: { url?: string; socketPath?: string }) =>
    rawRequest(target, 'GET', `/events?since=${since}&until=${until}`);

  it('with no rules, a replay is the daemon’s own, line for line', async () => {
    const direct = await replay({ socketPath: dockerSocket });
    const through = await replay({ url: open.url });
    expect(through.status).toBe(200);
    expect(lines(direct.body).length).toBeGreaterThan(10);
    expect(lines(through.body)).toEqual(lines(direct.body));
  });

  it('with rules, a replay has every event of the visible removed containers and none of the hidden one', async () => {
    const direct = parse((await replay({ socketPath: dockerSocket })).body);
    const through = parse((await replay({ url: scoped.url })).body);
    const ofContainer = (events: DockerEvent[], id: string) =>
      events
        .filter((e) => e.Actor.ID === id || e.Actor.Attributes.container === id)
        .map((e) => `${e.Type} ${e.Action}`);
    for (const suffix of ['vis-a', 'vis-b']) {
      const expected = ofContainer(direct, ids[suffix] ?? '');
      expect(expected).toEqual(
        expect.arrayContaining([
          'container create',
          'container start',
          'container die',
          'container destroy',
          'network connect',
          'network disconnect',
        ]),
      );
      expect(ofContainer(through, ids[suffix] ?? '')).toEqual(expected);
    }
    expect(ofContainer(direct, ids['hid-a'] ?? '').length).toBeGreaterThan(0);
    expect(ofContainer(through, ids['hid-a'] ?? '')).toEqual([]);
    expect(JSON.stringify(through)).not.toContain(`${p}-hid`);
  });

  it('live: short-lived docker run --rm containers are seen from create to destroy', async () => {
    const received: DockerEvent[] = [];
    const req = http.get(`${scoped.url}/events?filters=${encodeURIComponent('{"type":["container"]}')}`);
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    let buffer = '';
    res.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const part of parts) if (part.trim()) received.push(JSON.parse(part) as DockerEvent);
    });
    try {
      for (const suffix of ['vis-live', 'hid-live']) {
        await dockerOk(dockerHost, [
          'run',
          '--rm',
          '--network',
          'none',
          '--name',
          `${p}-${suffix}`,
          image,
          'true',
        ]);
      }
      await waitFor('the destroy of the visible container', async () =>
        received.some((e) => e.Action === 'destroy' && e.Actor.Attributes.name === `${p}-vis-live`),
      );
      const mine = received.filter((e) => e.Actor.Attributes.name === `${p}-vis-live`).map((e) => e.Action);
      expect(mine).toEqual(expect.arrayContaining(['create', 'start', 'die', 'destroy']));
      expect(received.some((e) => e.Actor.Attributes.name === `${p}-hid-live`)).toBe(false);
    } finally {
      req.destroy();
    }
  });
});
