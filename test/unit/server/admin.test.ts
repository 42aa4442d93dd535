import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../../src/metrics.ts';
import { createAdminServer } from '../../../src/server/admin.ts';
import type { Upstream } from '../../../src/upstream/client.ts';
import { upstreamAnswer } from '../support/recording-response.ts';

type Watch = 'starting' | 'watching' | 'refused' | 'down' | null;

/** dockscope's Upstream whose `/_ping` answers `status`, or fails with `code`; pings counted. */
function pinging(status: number | { code: string }, delayMs: number) {
  const asked: { path: string; timeoutMs: unknown }[] = [];
  const upstream = {
    display: 'stub',
    timeoutMs: 60_000,
    controlAgent: {},
    open: async (_method: string, path: string, opts: { timeoutMs?: number }) => {
      asked.push({ path, timeoutMs: opts.timeoutMs });
      await new Promise((r) => setTimeout(r, delayMs));
      if (typeof status !== 'number') throw Object.assign(new Error('no'), status);
      return upstreamAnswer(status, ['OK']);
    },
  } as unknown as Upstream;
  return { upstream, asked };
}

const servers: import('node:http').Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function admin(status: number | { code: string }, watch: Watch, delayMs = 5) {
  const u = pinging(status, delayMs);
  const server = createAdminServer({
    metrics: new Metrics(() => ({ lookups: 0, hits: 0 }), { version: 'v', node: 'n' }),
    upstream: u.upstream,
    watchState: () => watch,
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string, method = 'GET') => {
    const res = await fetch(`${base}${path}`, { method });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      allow: res.headers.get('allow'),
      text: await res.text(),
    };
  };
  return { get, asked: u.asked, server };
}

describe('the admin listener: /health, /ready and /metrics, nothing of the Engine API', () => {
  it('/health answers while the process serves, whatever the upstream', async () => {
    const a = await admin({ code: 'ECONNREFUSED' }, 'down');
    expect(await a.get('/health')).toMatchObject({ status: 200, text: '{"status":"ok"}\n' });
    expect(a.asked).toEqual([]);
  });

  it.each([
    [200, 'watching', 200, { ready: true, upstream: 'ok', events: 'watching' }],
    [200, 'refused', 200, { ready: true, upstream: 'ok', events: 'refused' }],
    [200, null, 200, { ready: true, upstream: 'ok', events: 'off' }],
    [200, 'starting', 503, { ready: false, upstream: 'ok', events: 'starting' }],
    [200, 'down', 503, { ready: false, upstream: 'ok', events: 'down' }],
    [403, 'watching', 503, { ready: false, upstream: 'answered 403', events: 'watching' }],
    [
      { code: 'ECONNREFUSED' },
      'watching',
      503,
      { ready: false, upstream: 'ECONNREFUSED', events: 'watching' },
    ],
  ] as const)('/ready with a ping of %j and the watch %j: %i %j', async (ping, watch, status, body) => {
    const a = await admin(ping, watch);
    const r = await a.get('/ready?x=1');
    expect([r.status, JSON.parse(r.text)]).toEqual([status, body]);
    expect(a.asked).toEqual([{ path: '/_ping', timeoutMs: 2000 }]);
  });

  it('concurrent /ready probes share one ping', async () => {
    // The ping is slow enough that all three probes arrive while it is in flight, even on a busy machine.
    const a = await admin(200, 'watching', 500);
    const all = await Promise.all([a.get('/ready'), a.get('/ready'), a.get('/ready')]);
    expect(all.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(a.asked).toHaveLength(1);
  });

  it('/metrics is Prometheus text', async () => {
    const a = await admin(200, 'watching');
    const r = await a.get('/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/plain');
    expect(r.text).toContain('dockscope_log_lines_dropped_total');
  });

  it.each([
    ['GET', '/containers/json', 404, '{"message":"dockscope admin: /metrics, /health or /ready"}\n'],
    ['GET', '/v1.41/_ping', 404, '{"message":"dockscope admin: /metrics, /health or /ready"}\n'],
    ['POST', '/health', 405, '{"message":"dockscope admin: only GET"}\n'],
    ['DELETE', '/ready', 405, '{"message":"dockscope admin: only GET"}\n'],
  ])('%s %s is %i', async (method, path, status, text) => {
    const a = await admin(200, 'watching');
    const r = await a.get(path, method);
    expect([r.status, r.text]).toEqual([status, text]);
    if (status === 405) expect(r.allow).toBe('GET, HEAD');
    expect(a.asked).toEqual([]);
  });

  it('a flood of connections is bounded', async () => {
    const a = await admin(200, 'watching');
    expect(a.server.maxConnections).toBe(64);
  });
});
