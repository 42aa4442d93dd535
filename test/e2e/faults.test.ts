import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawUpstream } from '../harness/raw-upstream.ts';
import { httpAnswer, startRawUpstream } from '../harness/raw-upstream.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const ID = 'a'.repeat(64);

/** The status of an answer whose body may never end (a held stream); the request is then dropped. */
function headStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
  });
}
const inspectBody = JSON.stringify({
  Id: ID,
  Name: '/web',
  Config: { Labels: {}, Env: ['A=1'] },
  HostConfig: {},
});
const HAPROXY_403 =
  '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';

/**
 * Faults a real daemon cannot produce on demand: an upstream that never answers, breaks off an
 * answer, answers what is not JSON, or holds streams open. Each case asserts the exact status and
 * JSON message the client gets, and the reason the access log names.
 */
describe('every upstream failure the client can still be told about is a Docker-style error', () => {
  let upstream: RawUpstream;
  let proxy: RunningDockscope;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    upstream = await startRawUpstream((req) => {
      const path = req.target.replace(/^\/v[\d.]+/, '');
      if (path === '/_ping') return httpAnswer(200, 'OK', { 'Content-Type': 'text/plain' });
      if (path.startsWith('/version')) return null;
      if (path.startsWith('/containers/web/json') || path.startsWith(`/containers/${ID}/json`)) {
        return httpAnswer(200, inspectBody);
      }
      if (path.startsWith('/containers/cut/json')) {
        return {
          cut: `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Id":"${ID}"`,
        };
      }
      if (path.startsWith('/containers/json'))
        return httpAnswer(200, '<html>oops</html>', { 'Content-Type': 'application/json' });
      if (path.startsWith('/images/json'))
        return httpAnswer(403, HAPROXY_403, { 'Content-Type': 'text/html' });
      if (path.startsWith('/events'))
        return {
          hold: 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        };
      if (path.startsWith(`/containers/${ID}/logs`))
        return { hold: 'HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n' };
      return httpAnswer(404, '{"message":"page not found"}\n');
    });
    proxy = await startTestDockscope(
      {
        PROXY_URL: upstream.url,
        CONTAINER_NAMES: 'web',
        UPSTREAM_TIMEOUT: '400ms',
        MAX_STREAMS_PER_CLIENT: '400',
      },
      { watchEvents: false, logLines: logs },
    );
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });

  const through = () => ({ url: proxy.url });
  const accessLine = async (path: string) => {
    await waitFor(`the access line of ${path}`, async () =>
      logs.some((l) => l.msg === 'request' && l.path === path),
    );
    return logs.findLast((l) => l.msg === 'request' && l.path === path);
  };

  it('an upstream that never answers: 504 within UPSTREAM_TIMEOUT, and its connection is closed', async () => {
    const before = upstream.open();
    const res = await rawRequest(through(), 'GET', '/version');
    expect(res.status).toBe(504);
    expect(json(res)).toEqual({
      message: `dockscope: upstream ${upstream.url.replace('http://', 'http://')} did not answer within 400ms`,
    });
    await waitFor('the hung upstream connection to be closed', async () => upstream.open() <= before);
    expect(await accessLine('/version')).toMatchObject({
      status: 504,
      reason: 'upstream-timeout',
      decision: 'upstream-error',
    });
  });

  it('a client that leaves before the answer is logged as gone, with no status sent', async () => {
    const req = http.get(`${proxy.url}/version?abandoned=1`);
    req.on('error', () => {});
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    await waitFor('the access line of the abandoned request', async () =>
      logs.some((l) => l.msg === 'request' && l.path === '/version' && l.reason === 'client-gone'),
    );
    expect(logs.findLast((l) => l.msg === 'request' && l.reason === 'client-gone')).toMatchObject({
      status: 0,
      complete: false,
    });
  });

  it('an inspect cut short: 502 with a message, not a reset', async () => {
    const res = await rawRequest(through(), 'GET', '/containers/cut/json');
    expect(res.status).toBe(502);
    expect((json(res) as { message: string }).message).toMatch(
      /answered 200 while sending an incomplete body/,
    );
    expect(await accessLine('/containers/cut/json')).toMatchObject({
      status: 502,
      reason: 'upstream-truncated',
    });
  });

  it('a 200 list that is not a JSON array: 502 before any head', async () => {
    const res = await rawRequest(through(), 'GET', '/containers/json');
    expect(res.status).toBe(502);
    expect((json(res) as { message: string }).message).toMatch(
      /answered 200 while sending a body that is not a JSON array/,
    );
    expect(await accessLine('/containers/json')).toMatchObject({ status: 502, reason: 'upstream-malformed' });
  });

  it("a socket proxy's HTML refusal becomes JSON with its words and the same status", async () => {
    const res = await rawRequest(through(), 'GET', '/images/json');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toBe('application/json');
    expect(json(res)).toEqual({
      message: `dockscope: the upstream ${upstream.url} refused the request (403): 403 Forbidden Request forbidden by administrative rules.`,
    });
  });

  it('a body over the cap gets its 413 before the connection closes', async () => {
    const body = `{"Image":"x","Labels":{"a":"${'x'.repeat(5 * 1024 * 1024)}"}}`;
    const res = await rawRequest(through(), 'POST', '/containers/create?name=web-big', body);
    expect(res.status).toBe(413);
    expect(json(res)).toEqual({ message: 'dockscope: request body is larger than 4194304 bytes' });
    expect(await accessLine('/containers/create')).toMatchObject({ status: 413, reason: 'too-large' });
  });

  it('300 quiet long-lived streams take nothing from short requests or from look-ups', async () => {
    const streams: http.ClientRequest[] = [];
    try {
      for (let i = 0; i < 300; i++) {
        const path = i % 2 === 0 ? '/events' : `/containers/web/logs?follow=1&stdout=1`;
        const req = http.get(`${proxy.url}${path}`);
        streams.push(req);
        await new Promise<void>((resolve, reject) => {
          req.once('response', () => resolve());
          req.once('error', reject);
        });
      }
      const ping = await rawRequest(through(), 'GET', '/_ping');
      expect([ping.status, ping.body]).toEqual([200, 'OK']);
      // An inspect needs its own answer; a log request needs a look-up on dockscope's own pool.
      const inspect = await rawRequest(through(), 'GET', '/containers/web/json');
      expect(inspect.status).toBe(200);
      const top = await rawRequest(through(), 'GET', '/containers/web/top');
      expect(json(top)).toEqual({ message: 'page not found' });
    } finally {
      for (const r of streams) r.destroy();
    }
  });

  it('past MAX_STREAMS_PER_CLIENT a stream is refused at once with 429', async () => {
    const capped = await startTestDockscope(
      { PROXY_URL: upstream.url, CONTAINER_NAMES: 'web', MAX_STREAMS_PER_CLIENT: '2' },
      { watchEvents: false },
    );
    const streams: http.ClientRequest[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const req = http.get(`${capped.url}/events`);
        streams.push(req);
        await new Promise((resolve) => req.once('response', resolve));
      }
      const third = await rawRequest({ url: capped.url }, 'GET', '/events');
      expect(third.status).toBe(429);
      expect(json(third)).toEqual({
        message:
          'dockscope: this client has 2 long-lived streams open (MAX_STREAMS_PER_CLIENT); close one first',
      });
      // Short requests are not streams.
      expect((await rawRequest({ url: capped.url }, 'GET', '/_ping')).status).toBe(200);
      streams.shift()?.destroy();
      await waitFor(
        'a slot to be free again',
        async () => (await headStatus(`${capped.url}/events`)) === 200,
      );
    } finally {
      for (const r of streams) r.destroy();
      await capped.close();
    }
  });

  it('past MAX_CONNECTIONS a connection gets a 503 at once', async () => {
    const capped = await startTestDockscope(
      { PROXY_URL: upstream.url, MAX_CONNECTIONS: '2' },
      { watchEvents: false },
    );
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const s = net.connect(capped.port, '127.0.0.1');
        held.push(s);
        await new Promise((resolve) => s.once('connect', resolve));
      }
      const third = await new Promise<string>((resolve) => {
        const s = net.connect(capped.port, '127.0.0.1');
        let out = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => {
          out += d;
        });
        s.on('close', () => resolve(out));
        s.on('error', () => resolve(out));
      });
      expect(third).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(third).toContain(
        '{"message":"dockscope: 2 client connections are open (MAX_CONNECTIONS); try again later"}',
      );
    } finally {
      for (const s of held) s.destroy();
      await capped.close();
    }
  });

  it('2000 pipelined requests on one connection are all answered, in order', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      out += d;
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1999) +
        'GET /containers/web/json HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    await waitFor(
      '2000 answers',
      async () => (out.match(/HTTP\/1\.1 200 OK/g) ?? []).length === 2000,
      30_000,
    );
    expect(
      out.endsWith(
        JSON.stringify({ Id: ID, Name: '/web', Config: { Labels: {}, Env: ['A=1'] }, HostConfig: {} }),
      ),
    ).toBe(true);
    socket.destroy();
  });

  it('clients that leave before their stream is forwarded give their slot back (pipelined, or gone during the look-up)', async () => {
    const capped = await startTestDockscope(
      { PROXY_URL: upstream.url, CONTAINER_NAMES: 'web', MAX_STREAMS_PER_CLIENT: '2' },
      { watchEvents: false },
    );
    try {
      for (let i = 0; i < 4; i++) {
        const s = net.connect(capped.port, '127.0.0.1');
        await new Promise((resolve) => s.once('connect', resolve));
        s.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\nGET /events?x=1 HTTP/1.1\r\nHost: x\r\n\r\n');
        s.write(`GET /containers/${ID}/logs?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n`);
        s.destroy();
      }
      await new Promise((r) => setTimeout(r, 300));
      await waitFor(
        'a stream to be accepted',
        async () => (await headStatus(`${capped.url}/events`)) === 200,
      );
    } finally {
      await capped.close();
    }
  });
});

describe('tokens never reach the upstream', () => {
  it('not when a request with a wrong token falls through to a client without one, nor with the right one', async () => {
    const seen: (string | undefined)[] = [];
    const up = await startRawUpstream((req) => {
      // dockscope's own version probe at start (it carries no token either) is not a client request.
      if (req.target === '/version') return httpAnswer(200, '{"ApiVersion":"1.41"}');
      seen.push(req.header('authorization'));
      return httpAnswer(200, 'OK', { 'Content-Type': 'text/plain' });
    });
    const { loadConfig } = await import('../../src/config/config.ts');
    const { startDockscope } = await import('../../src/server/server.ts');
    const { pino } = await import('pino');
    const text = `upstream: ${up.url}
listeners:
  - { name: lan, address: "127.0.0.1:0" }
clients:
  - { name: ci, match: { token: { env: DS_TEST_TOKEN } }, containers: all }
  - { name: rest, containers: { names: [nothing] } }
`;
    process.env.DS_TEST_TOKEN = 'right-token';
    const ds = await startDockscope(loadConfig({}, { path: 'inline.yml', text }), pino({ level: 'silent' }), {
      watchEvents: false,
    });
    try {
      const url = `http://${ds.address}`;
      for (const token of ['wrong-guess', 'right-token']) {
        const res = await rawRequest({ url }, 'GET', '/_ping', undefined, {
          Authorization: `Bearer ${token}`,
        });
        expect(res.status).toBe(200);
      }
      expect(seen).toEqual([undefined, undefined]);
    } finally {
      await ds.close();
      await up.close();
      delete process.env.DS_TEST_TOKEN;
    }
  });
});
