import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawUpstream, RecordedRequest } from '../harness/raw-upstream.ts';
import { httpAnswer, startRawUpstream } from '../harness/raw-upstream.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { waitFor } from './support/fixtures.ts';

/**
 * What reaches the upstream, byte for byte, recorded by a deliberately lenient raw upstream. The
 * daemon cannot show this (it would parse the bytes its own way); the point is that whatever framing
 * or headers a client sends, the upstream gets exactly the request dockscope decided on.
 */
describe('the forwarded request is exactly the decided one, however the client frames it', () => {
  let upstream: RawUpstream;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    upstream = await startRawUpstream((req) => {
      if (req.method === 'GET' && /^\/(v[\d.]+\/)?containers\/[^/]+\/json/.test(req.target)) {
        const ref = req.target.split('/').at(-2) ?? '';
        return httpAnswer(404, `{"message":"No such container: ${ref}"}\n`);
      }
      if (req.target.includes('/containers/create')) return httpAnswer(201, '{"Id":"x","Warnings":[]}');
      // Asked by dockscope at start: the version decides how bodies are read (body/body-rules.ts).
      if (req.target === '/version') return httpAnswer(200, '{"ApiVersion":"1.41"}');
      return httpAnswer(200, 'OK', { 'Content-Type': 'text/plain' });
    });
    proxy = await startTestDockscope(
      { PROXY_URL: upstream.url, CONTAINER_NAMES: 'vis' },
      { watchEvents: false },
    );
    // Answered before any test counts what reached the upstream.
    expect(await proxy.ds.directory.daemon.apiVersion.get()).toBe('1.41');
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });

  /** Sends raw bytes to dockscope in steps; each step may wait for some text from it first. */
  async function exchange(
    steps: readonly (string | { waitFor: string })[],
    responses: number,
  ): Promise<string> {
    const socket = net.connect(proxy.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      received += d;
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    for (const step of steps) {
      if (typeof step === 'string') socket.write(step);
      else
        await waitFor(`"${step.waitFor}" from dockscope`, async () => received.includes(step.waitFor), 5000);
    }
    await waitFor(
      `${responses} answers`,
      async () => (received.match(/HTTP\/1\.1 [2-5]\d\d /g) ?? []).length >= responses,
      5000,
    );
    socket.destroy();
    return received;
  }

  const since = () => {
    const start = upstream.requests.length;
    return () => upstream.requests.slice(start);
  };
  const names = (r: RecordedRequest) => r.headers.map(([k]) => k.toLowerCase());

  it('Expect: 100-continue: the checked body is sent with its own length, and no Expect', async () => {
    const got = since();
    const body = '{"image":"busybox","hostconfig":{"networkmode":"none"}}';
    const answer = await exchange(
      [
        `POST /v1.41/containers/create?name=vis-1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`,
        { waitFor: '100 Continue' },
        body,
      ],
      1,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /);
    const [create] = got();
    // Canonical, and with the private cgroup namespace the create rules ask for.
    const canonical = '{"Image":"busybox","HostConfig":{"NetworkMode":"none","CgroupnsMode":"private"}}';
    expect(create?.target).toBe('/v1.41/containers/create?name=vis-1');
    expect(create?.rawBody).toBe(canonical);
    expect(create?.header('content-length')).toBe(String(canonical.length));
    expect(names(create as RecordedRequest)).not.toContain('expect');
    expect(names(create as RecordedRequest)).not.toContain('transfer-encoding');
  });

  it('a chunked body that dockscope judges is sent canonically, with a length', async () => {
    const got = since();
    await exchange(
      [
        'POST /containers/create?name=vis-2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        '9\r\n{"Image":\r\n',
        '4\r\n"a"}\r\n0\r\n\r\n',
      ],
      1,
    );
    const [create] = got();
    const canonical = '{"Image":"a","HostConfig":{"CgroupnsMode":"private"}}';
    expect(create?.rawBody).toBe(canonical);
    expect(create?.header('content-length')).toBe(String(canonical.length));
    expect(create?.header('transfer-encoding')).toBeUndefined();
  });

  it('a chunked body that is piped keeps chunked framing, on a connection the upstream closes (GHSA-ggv3-7p47-pfv8)', async () => {
    const got = since();
    await exchange(
      [
        'POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n',
        '5\r\nhello\r\n0\r\n\r\n',
      ],
      1,
    );
    const [load] = got();
    expect(load?.body).toBe('hello');
    expect(load?.header('transfer-encoding')).toBe('chunked');
    expect(load?.header('connection')).toBe('close');
  });

  it.each([
    ['a piped request', 'GET /_ping HTTP/1.1\r\n', ''],
    [
      'a request whose body dockscope replaced',
      'POST /containers/create?name=vis-3 HTTP/1.1\r\n',
      '{"Image":"a"}',
    ],
  ])(
    '%s: hop-by-hop fields and the fields Connection names never reach the upstream',
    async (_label, line, body) => {
      const got = since();
      await exchange(
        [
          `${line}Host: x\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s3cret\r\nKeep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nTE: trailers\r\nX-Kept: yes\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ],
        1,
      );
      const [req] = got();
      const sent = names(req as RecordedRequest);
      for (const h of ['x-secret', 'keep-alive', 'proxy-authorization', 'te']) expect(sent).not.toContain(h);
      expect(req?.header('x-kept')).toBe('yes');
      expect(upstream.connections.join('')).not.toContain('s3cret');
    },
  );

  it('pipelined requests are each judged: a reference in the second never reaches the upstream as sent', async () => {
    const got = since();
    const body = '{"Image":"a","HostConfig":{"NetworkMode":"none","PidMode":"container:other"}}';
    const answer = await exchange(
      [
        'GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n' +
          `POST /containers/create?name=vis-4 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
          'GET /version HTTP/1.1\r\nHost: x\r\n\r\n',
      ],
      3,
    );
    // Node reads pipelined requests ahead, so /version may be forwarded while the create is judged.
    const targets = got().map((r) => `${r.method} ${r.target}`);
    expect([...targets].sort()).toEqual([
      'GET /_ping',
      'GET /containers/other/json',
      'GET /version',
      'POST /containers/create?name=vis-4',
    ]);
    expect(targets.indexOf('GET /containers/other/json')).toBeLessThan(
      targets.indexOf('POST /containers/create?name=vis-4'),
    );
    const create = got().find((r) => r.method === 'POST');
    expect(create?.body).toMatch(/"PidMode":"container:dockscope~missing~[0-9a-f]+~0"/);
    expect(create?.body).not.toContain('container:other');
    // The three answers come back in order, the create's with the reference the client typed.
    expect(answer.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 201', 'HTTP/1.1 200']);
  });
});
