import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope, startTestDockscopeFile } from './support/dockscope.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');

/**
 * Issue #19: a pull, push, search, distribution inspect or login makes the daemon connect to the
 * registry from the host's network, and it speaks plain HTTP to loopback registries. A registry
 * named on the host's loopback reaches a service that listens only there (here a stand-in that
 * records what it is asked). Shown on the daemon first, then refused under the create rules' fetch.
 */
describe('registries on the host loopback', () => {
  const p = uniquePrefix('rg');
  let hostOnly: Server;
  let port: number;
  const asked: string[] = [];
  let scoped: RunningDockscope;
  let open: RunningDockscope;
  const daemon = { socketPath: dockerSocket };
  let listed: RunningDockscope;

  beforeAll(async () => {
    hostOnly = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end('host-only service\n');
    });
    await new Promise<void>((resolve) => hostOnly.listen(0, '127.0.0.1', resolve));
    port = (hostOnly.address() as AddressInfo).port;
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
    open = await startTestDockscope({ PROXY_URL: dockerHost });
    listed = await startTestDockscopeFile(`
upstream: ${dockerHost}
listeners:
  - { name: main, address: "127.0.0.1:0" }
clients:
  - name: ci
    match: { listener: main }
    containers: { names: [${p}-] }
    registries: { pull: ["127.0.0.1:${port}"], push: [registry.example] }
`);
  });
  afterAll(async () => {
    await scoped?.close();
    await open?.close();
    await listed?.close();
    await new Promise((resolve) => hostOnly?.close(resolve));
  });

  const login = (server: string) => JSON.stringify({ username: 'u', password: 'p', serveraddress: server });

  it('on the daemon, a pull and a login reach the host-only service', async () => {
    asked.length = 0;
    const pull = await rawRequest(daemon, 'POST', `/images/create?fromImage=127.0.0.1:${port}/${p}&tag=1`);
    expect(pull.status).not.toBe(403);
    const auth = await rawRequest(daemon, 'POST', '/auth', login(`127.0.0.1:${port}`));
    expect(auth.status).not.toBe(200);
    expect(asked.filter((a) => a.startsWith('GET /v2/')).length).toBeGreaterThanOrEqual(2);
  });

  it.each<[string, string, string, string | undefined, string]>([
    [
      'a pull by address',
      'POST',
      `/images/create?fromImage=127.0.0.1:PORT/NAME&tag=1`,
      undefined,
      'the fromImage query',
    ],
    [
      'a pull by a name that resolves to loopback',
      'POST',
      `/images/create?fromImage=localhost:PORT/NAME`,
      undefined,
      'the fromImage query',
    ],
    [
      'a pull from a v4-mapped v6 address',
      'POST',
      `/images/create?fromImage=[::ffff:127.0.0.1]:PORT/NAME`,
      undefined,
      'the fromImage query',
    ],
    ['a push', 'POST', `/images/127.0.0.1:PORT/NAME/push?tag=1`, undefined, 'the pushed image name'],
    ['a distribution inspect', 'GET', `/distribution/127.0.0.1:PORT/NAME/json`, undefined, 'the image name'],
    ['a search', 'GET', `/images/search?term=127.0.0.1:PORT/NAME`, undefined, 'the term query'],
    ['a login', 'POST', '/auth', 'LOGIN', 'serveraddress'],
    ['a login in another key spelling', 'POST', '/auth', 'SPELLED', 'serveraddress'],
  ])('through dockscope %s is refused under fetch', async (_label, method, template, body, field) => {
    asked.length = 0;
    const path = template.replace('PORT', String(port)).replace('NAME', p);
    const sent =
      body === 'LOGIN'
        ? login(`http://127.0.0.1:${port}`)
        : body === 'SPELLED'
          ? JSON.stringify({ username: 'u', password: 'p', ServerAddreſs: `127.0.0.1:${port}` })
          : body;
    const res = await rawRequest(scoped, method, path, sent);
    expect(res.status).toBe(403);
    const { message } = JSON.parse(res.body) as { message: string };
    expect(message).toContain('create rule "fetch" refuses');
    expect(message).toContain(field);
    expect(asked).toEqual([]);
  });

  it('a client with registry lists reaches what they name (even on loopback) and nothing else', async () => {
    asked.length = 0;
    const pull = await rawRequest(listed, 'POST', `/images/create?fromImage=127.0.0.1:${port}/${p}&tag=1`);
    expect(pull.status).not.toBe(403);
    expect(asked.some((a) => a.startsWith('GET /v2/'))).toBe(true);
    asked.length = 0;
    const hub = await rawRequest(listed, 'POST', '/images/create?fromImage=busybox&tag=1');
    expect(hub.status).toBe(403);
    expect(JSON.parse(hub.body)).toEqual({
      message:
        "dockscope: the fromImage query names the registry docker.io, which is not in this client's registries.pull",
    });
    const push = await rawRequest(listed, 'POST', `/images/127.0.0.1:${port}/${p}/push?tag=1`);
    expect(push.status).toBe(403);
    expect(JSON.parse(push.body).message).toContain("not in this client's registries.push");
    const other = await rawRequest(listed, 'POST', '/auth', login(`localhost:${port}`));
    expect(JSON.parse(other.body).message).toContain('registries.pull or registries.push');
    expect(asked).toEqual([]);
  });

  it('a client without create rules is not judged (the daemon answers, the service is asked)', async () => {
    asked.length = 0;
    const res = await rawRequest(open, 'POST', '/auth', login(`127.0.0.1:${port}`));
    expect(res.status).not.toBe(403);
    expect(asked.length).toBeGreaterThan(0);
  });
});
