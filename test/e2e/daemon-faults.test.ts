import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../harness/daemon.ts';
import { startDaemon } from '../harness/daemon.ts';
import { dockerOk } from '../harness/docker-cli.ts';
import { importBusyboxImage } from '../harness/image.ts';
import { signal } from '../harness/process.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Fixture } from './support/fixtures.ts';
import { createContainer, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

/**
 * A real daemon that stops answering (SIGSTOP) and one that restarts under open streams. This file
 * starts a daemon of its own, so that stopping it disturbs no other test.
 */
describe('a daemon that hangs or restarts', () => {
  const p = uniquePrefix('df');
  let daemon: Daemon;
  let image: string;
  let proxy: RunningDockscope;
  let visible: Fixture;
  let hidden: Fixture;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    daemon = await startDaemon();
    image = await importBusyboxImage({ host: daemon.host });
    visible = await createContainer(daemon.host, image, { name: `${p}-vis` });
    hidden = await createContainer(daemon.host, image, { name: `${p}-hid` });
    proxy = await startTestDockscope(
      { PROXY_URL: daemon.host, CONTAINER_NAMES: `${p}-vis`, UPSTREAM_TIMEOUT: '1s', CACHE_TTL: '10m' },
      { logLines: logs },
    );
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await daemon?.stop();
  });

  it('stopped (SIGSTOP): every request gets a 504 with a message in about UPSTREAM_TIMEOUT, then all works again', async () => {
    signal(daemon.pid, 'SIGSTOP');
    try {
      for (const path of [
        '/_ping',
        '/containers/json',
        `/containers/${visible.name}/json`,
        `/containers/${visible.name}/top`,
      ]) {
        const started = Date.now();
        const res = await rawRequest({ url: proxy.url }, 'GET', path);
        expect(res.status, path).toBe(504);
        expect(json(res)).toEqual({ message: `dockscope: upstream ${daemon.host} did not answer within 1s` });
        expect(Date.now() - started).toBeLessThan(10_000);
      }
    } finally {
      signal(daemon.pid, 'SIGCONT');
    }
    expect(logs.some((l) => l.msg === 'request' && l.reason === 'upstream-timeout' && l.status === 504)).toBe(
      true,
    );
    await waitFor(
      'the daemon to answer again',
      async () => (await rawRequest({ url: proxy.url }, 'GET', '/_ping')).status === 200,
    );
    const inspect = await rawRequest({ url: proxy.url }, 'GET', `/containers/${visible.name}/json`);
    expect(inspect.status).toBe(200);
  });

  it('restarted under open logs -f and events streams: the streams end, the watch comes back, no stale decision', async () => {
    const open = (path: string) =>
      new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.get(`${proxy.url}${path}`, resolve);
        req.on('error', reject);
      });
    const follow = await open(`/containers/${visible.name}/logs?follow=1&stdout=1`);
    const events = await open('/events');
    expect([follow.statusCode, events.statusCode]).toEqual([200, 200]);
    const ended = (res: http.IncomingMessage) =>
      new Promise<void>((resolve) => {
        res.on('close', resolve);
        res.resume();
      });
    const bothEnded = Promise.all([ended(follow), ended(events)]);
    await daemon.restart();
    await bothEnded;
    // The hidden container's decision is cached (CACHE_TTL is 10 minutes); a rename must still count at once.
    const probe = () => rawRequest({ url: proxy.url }, 'GET', `/containers/${hidden.id}/changes`);
    await waitFor('dockscope to answer after the restart', async () => (await probe()).status === 404);
    // Give the event watch its retry (1 s, then 2 s) to reconnect.
    await new Promise((r) => setTimeout(r, 3500));
    await dockerOk(daemon.host, ['rename', hidden.name, `${p}-vis-renamed`]);
    await waitFor('the rename to be enforced', async () => (await probe()).status === 200, 5000);
    const list = await rawRequest({ url: proxy.url }, 'GET', '/containers/json?all=1');
    expect(list.body).toContain(`${p}-vis-renamed`);
  });
});
