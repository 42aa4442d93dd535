import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
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

  beforeAll(async () => {
    hostOnly = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(401, { 'content-type': 'text/plain' }).end('host-only service\n');
    });
    await new Promise<void>((resolve) => hostOnly.listen(0, '127.0.0.1', resolve));
    port = (hostOnly.address() as AddressInfo).port;
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
    open = await startTestDockscope({ PROXY_URL: dockerHost });
  });
  afterAll(async () => {
    await scoped?.close();
    await open?.close();
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

  it('a client without create rules is not judged (the daemon answers, the service is asked)', async () => {
    asked.length = 0;
    const res = await rawRequest(open, 'POST', '/auth', login(`127.0.0.1:${port}`));
    expect(res.status).not.toBe(403);
    expect(asked.length).toBeGreaterThan(0);
  });
});
