import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { SocketProxy } from '../harness/socket-proxy.ts';
import { startSocketProxy } from '../harness/socket-proxy.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * A decision must follow the container, not a name: re-creating a name with other labels, or
 * renaming a container, must never be served from a stale decision.
 */
describe('decisions stay fresh when containers are re-created or renamed', () => {
  const p = uniquePrefix('cf');
  const label = `${p}.expose`;
  let proxy: RunningDockscope;
  let noEventsProxy: SocketProxy;
  let ttlProxy: RunningDockscope;

  beforeAll(async () => {
    proxy = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-vis`,
      CONTAINER_LABELS: label,
    });
    // An upstream that refuses /events: dockscope must fall back to its short TTL.
    noEventsProxy = await startSocketProxy(dockerSocket, { deny: ['events'] });
    ttlProxy = await startTestDockscope({
      PROXY_URL: noEventsProxy.url,
      CONTAINER_NAMES: `${p}-vis`,
      CONTAINER_LABELS: label,
      CACHE_TTL: '300ms',
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await ttlProxy?.close();
    await noEventsProxy?.stop();
  });

  it.each([
    ['with the daemon events watched', () => proxy],
    ['through a socket proxy that refuses /events (short TTL)', () => ttlProxy],
  ])('a name re-created without the label is hidden at once, %s', async (_mode, get) => {
    const name = `${p}-reuse-${Math.random().toString(16).slice(2, 6)}`;
    const first = await createContainer(dockerHost, image, { name, labels: { [label]: 'yes' } });
    try {
      const url = { url: get().url };
      expect((await rawRequest(url, 'GET', `/containers/${name}/top`)).status).toBe(200);
      expect((await rawRequest(url, 'GET', `/containers/${first.id}/top`)).status).toBe(200);
      await dockerOk(dockerHost, ['rm', '-f', name]);
      await createContainer(dockerHost, image, { name });
      // The name is resolved fresh every time: no wait, no stale answer.
      for (const action of ['top', 'logs?stdout=1', 'json']) {
        const res = await rawRequest(url, 'GET', `/containers/${name}/${action}`);
        expect(res.status, action).toBe(404);
        expect(JSON.parse(res.body)).toEqual({ message: `No such container: ${name}` });
      }
      const stop = await dockerCli(get().host, ['stop', '-t', '0', name]);
      expect(stop.code).toBe(1);
      expect((await dockerOk(dockerHost, ['inspect', '--format', '{{.State.Running}}', name])).trim()).toBe(
        'true',
      );
      // The old id is gone: the daemon's own 404.
      expect((await rawRequest(url, 'GET', `/containers/${first.id}/top`)).status).toBe(404);
    } finally {
      await removeContainers(dockerHost, [name]);
    }
  });

  it.each([
    ['with the daemon events watched', () => proxy, 1000],
    ['through a socket proxy that refuses /events (short TTL)', () => ttlProxy, 1500],
  ])('a visible container renamed out of scope is hidden by its full id, %s', async (_mode, get, within) => {
    const name = `${p}-vis-${Math.random().toString(16).slice(2, 6)}`;
    const other = `${p}-gone-${Math.random().toString(16).slice(2, 6)}`;
    const c = await createContainer(dockerHost, image, { name });
    try {
      const url = { url: get().url };
      // Warm the full-id cache.
      expect((await rawRequest(url, 'GET', `/containers/${c.id}/top`)).status).toBe(200);
      await dockerOk(dockerHost, ['rename', name, other]);
      const renamedAt = Date.now();
      await waitFor(
        'the renamed container to be hidden',
        async () => (await rawRequest(url, 'GET', `/containers/${c.id}/top`)).status === 404,
        within,
      );
      expect(Date.now() - renamedAt).toBeLessThanOrEqual(within);
      expect((await rawRequest(url, 'GET', `/containers/${other}/json`)).status).toBe(404);
    } finally {
      await removeContainers(dockerHost, [name, other]);
    }
  });

  it('renaming through dockscope forgets the old decision at once', async () => {
    const name = `${p}-vis-${Math.random().toString(16).slice(2, 6)}`;
    const other = `${p}-out-${Math.random().toString(16).slice(2, 6)}`;
    const c = await createContainer(dockerHost, image, { name });
    try {
      const url = { url: ttlProxy.url };
      expect((await rawRequest(url, 'GET', `/containers/${c.id}/top`)).status).toBe(200);
      expect((await rawRequest(url, 'POST', `/containers/${c.id}/rename?name=${other}`)).status).toBe(204);
      expect((await rawRequest(url, 'GET', `/containers/${c.id}/top`)).status).toBe(404);
    } finally {
      await removeContainers(dockerHost, [name, other]);
    }
  });
});
