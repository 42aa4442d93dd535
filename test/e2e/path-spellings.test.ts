import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Fixture } from './support/fixtures.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';
import type { HiddenFacts } from './support/leaks.ts';
import { createHiddenWithSecrets, expectNoLeak } from './support/leaks.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * Every spelling of a path is judged as the daemon routes it. For each class of spelling, the daemon
 * is asked directly too: dockscope either refuses the spelling itself (it is never forwarded), or
 * it reaches the same container the daemon would, and then a hidden one is a 404.
 */
describe('path spellings aimed at a hidden container', () => {
  const p = uniquePrefix('ps');
  let visible: Fixture;
  let hidden: HiddenFacts;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    visible = await createContainer(dockerHost, image, { name: `${p}-vis` });
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [visible.name, hidden.name]);
  });

  const daemon = () => ({ socketPath: dockerSocket });
  const through = () => ({ url: proxy.url });

  it('the canonical spelling: the daemon answers 200, dockscope answers 404 like for a missing container', async () => {
    for (const ref of [hidden.name, hidden.id, hidden.id.slice(0, 12), hidden.id.slice(0, 4)]) {
      for (const path of [
        `/containers/${ref}/json`,
        `/v1.41/containers/${ref}/json`,
        `/v1.041/containers/${ref}/json`,
      ]) {
        expect((await rawRequest(daemon(), 'GET', path)).status, path).toBe(200);
        const res = await rawRequest(through(), 'GET', path);
        expect(res.status, path).toBe(404);
        expect(JSON.parse(res.body)).toEqual({ message: `No such container: ${ref}` });
        expectNoLeak(res.body, hidden, ref);
      }
    }
  });

  it('percent-encoded letters are decoded as the daemon does, so the hidden container is still found and hidden', async () => {
    const encoded = [...hidden.name].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    const path = `/containers/${encoded}/logs?stdout=1`;
    const direct = await rawRequest(daemon(), 'GET', path);
    expect(direct.status).toBe(200);
    expect(direct.body).toContain(`log-of-${hidden.name}`);
    const res = await rawRequest(through(), 'GET', path);
    expect(res.status).toBe(404);
    expectNoLeak(res.body, hidden, hidden.name);
  });

  // Spellings the daemon does not serve as written (it redirects or has no such route): dockscope
  // refuses them itself, so no such request ever reaches the upstream.
  const refusedSpellings = (name: string, id: string) => [
    { path: `/containers//${name}/json`, daemon: 301 },
    { path: `/containers/./${name}/json`, daemon: 301 },
    { path: `/containers/x/../${name}/json`, daemon: 301 },
    { path: `/containers/x/%2E%2E/${name}/json`, daemon: 301 },
    { path: `/containers/%2F${name}/json`, daemon: 301 },
    { path: `/v1.41/containers/${name}/json/`, daemon: 404 },
    { path: `/containers/${id}/json/`, daemon: 404 },
    { path: `/Containers/${name}/json`, daemon: 404 },
    { path: `/v1.41/containers/${name}/JSON`, daemon: 404 },
    // The daemon decodes %2F and serves this as an inspect: dockscope refuses the ambiguity.
    { path: `/containers/${name}%2Fjson`, daemon: 200 },
  ];

  it.each(refusedSpellings('NAME', 'ID'))(
    '$path is refused by dockscope (the daemon answers $daemon)',
    async ({ path, daemon: expected }) => {
      const real = path.replaceAll('NAME', hidden.name).replaceAll('ID', hidden.id);
      expect((await rawRequest(daemon(), 'GET', real)).status).toBe(expected);
      const res = await rawRequest(through(), 'GET', real);
      expect([400, 403]).toContain(res.status);
      expect(JSON.parse(res.body)).toHaveProperty('message');
      expectNoLeak(res.body, hidden, hidden.name);
    },
  );

  it('the same refused spellings aimed at a visible container are refused too (the decision does not depend on the target)', async () => {
    for (const { path } of refusedSpellings('NAME', 'ID')) {
      const real = path.replaceAll('NAME', visible.name).replaceAll('ID', visible.id);
      const res = await rawRequest(through(), 'GET', real);
      expect([400, 403], real).toContain(res.status);
    }
  });

  it('an old API version, a form-encoded body and a gRPC content type are refused', async () => {
    const old = await rawRequest(through(), 'GET', '/v1.12/containers/json');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body).message).toContain('too old');
    const form = await rawRequest(
      through(),
      'POST',
      `/commit?container=${visible.name}`,
      `container=${hidden.name}`,
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(form.status).toBe(400);
    const grpc = await rawRequest(through(), 'POST', '/_ping', '', { 'content-type': 'application/grpc' });
    expect(grpc.status).toBe(403);
  });

  it('a query with ";" and a path with raw special characters are refused', async () => {
    expect((await rawRequest(through(), 'GET', `/containers/json?all=1;filters=x`)).status).toBe(400);
    expect((await rawRequest(through(), 'GET', `/containers/${hidden.name}\\json`)).status).toBe(400);
  });

  it('an absolute-form request target is refused', async () => {
    const res = await rawRequest(through(), 'GET', `http://docker/containers/${hidden.name}/json`);
    expect(res.status).toBe(400);
    expectNoLeak(res.body, hidden, hidden.name);
  });

  it('every request on a kept-alive connection is judged: visible, hidden, visible again', async () => {
    const answers = await sendOnOneConnection(proxy.port, [
      `GET /containers/${visible.name}/json HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /containers/${hidden.name}/json HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /containers/${visible.name}/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ]);
    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '404', '200']);
    expectNoLeak(answers.replaceAll(visible.name, ''), hidden, hidden.name);
  });

  it('pipelined requests in one packet are each judged', async () => {
    const answers = await sendOnOneConnection(proxy.port, [
      `GET /containers/${visible.name}/json HTTP/1.1\r\nHost: x\r\n\r\n` +
        `GET /containers/${hidden.id}/logs?stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ]);
    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['200', '404']);
    expectNoLeak(answers.replaceAll(visible.name, ''), hidden, hidden.id);
  });

  it('an Upgrade on a route that is not attach or exec start is refused', async () => {
    const answer = await sendOnOneConnection(proxy.port, [
      `GET /containers/${visible.name}/json HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  });

  it('an Upgrade (docker attach) aimed at a hidden container is a 404 before anything is forwarded', async () => {
    const answer = await sendOnOneConnection(proxy.port, [
      `POST /v1.41/containers/${hidden.name}/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`,
    ]);
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect(answer).toContain(`No such container: ${hidden.name}`);
    expectNoLeak(answer, hidden, hidden.name);
  });
});

/** Writes raw bytes on one TCP connection and collects everything until the server closes it. */
function sendOnOneConnection(port: number, writes: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      out += d;
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => {
      socket.destroy();
      resolve(out);
    });
    let i = 0;
    const next = () => {
      const w = writes[i++];
      if (w === undefined) return;
      socket.write(w);
      // Give each request time to be answered before the next is written (keep-alive, not pipelining).
      if (i < writes.length) setTimeout(next, 300);
    };
    socket.on('connect', next);
  });
}
