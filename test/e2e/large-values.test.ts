import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * Legitimate data as large as it gets: a label of 1 MiB of `<` (Go escapes each as `\u003c` in the
 * event stream, so the container's events are lines of over 6 MiB). Lists and events pass it intact;
 * nothing is cut, for this client or for another.
 */
describe('a container with a 1 MiB label of "<"', () => {
  const p = uniquePrefix('lv');
  const big = '<'.repeat(1024 * 1024);
  let proxy: RunningDockscope;
  let since = 0;

  beforeAll(async () => {
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
    since = Math.floor(Date.now() / 1000) - 1;
    for (const name of [`${p}-vis`, `${p}-hid`]) {
      const res = await rawRequest(
        { socketPath: dockerSocket },
        'POST',
        `/containers/create?name=${name}`,
        JSON.stringify({ Image: image, Cmd: ['true'], Labels: { big }, HostConfig: { NetworkMode: 'none' } }),
      );
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [`${p}-vis`, `${p}-hid`]);
  });

  it('is listed whole, and the hidden one is not listed', async () => {
    const res = await rawRequest({ url: proxy.url }, 'GET', '/containers/json?all=1');
    expect(res.status).toBe(200);
    const mine = (json(res) as { Names: string[]; Labels: Record<string, string> }[]).filter((c) =>
      c.Names[0]?.startsWith(`/${p}-`),
    );
    expect(mine.map((c) => c.Names[0])).toEqual([`/${p}-vis`]);
    expect(mine[0]?.Labels.big).toBe(big);
  });

  it('its events pass whole, line for line as the daemon wrote them', async () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    await new Promise((r) => setTimeout(r, Math.max(0, until * 1000 - Date.now() + 50)));
    const query = `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ container: [`${p}-vis`] }))}`;
    const direct = await rawRequest({ socketPath: dockerSocket }, 'GET', query);
    const through = await rawRequest({ url: proxy.url }, 'GET', query);
    const lines = direct.body.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(6 * 1024 * 1024);
    expect(through.body).toBe(direct.body);
  });
});
