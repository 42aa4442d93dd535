import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { version } from '../../src/cli-args.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { getFreePort } from '../harness/free-port.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerSocket = inject('dockerSocket');
const image = inject('image');
const dockerHost = inject('dockerHost');

/** A TCP relay to the daemon's socket that the test can cut and bring back: an upstream that goes away. */
class Relay {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(dockerSocket);
      this.#sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }
  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = null;
  }
}

/** The value of one sample of the Prometheus text, or 0 when it is not there. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = (m[2] ?? '').split(/,(?=[a-z_]+=")/).sort();
    if (want.every((w) => got.includes(w)) && got.length === want.length) return Number(m[3]);
  }
  return 0;
}

/**
 * Operations: the admin listener's metrics counted exactly over a scripted session, readiness that
 * follows the upstream, and the audit log naming the rule of each refusal and write.
 */
describe('operations: metrics, readiness and the audit log', () => {
  const p = uniquePrefix('op');
  let dir: string;
  let ds: Dockscope;
  let relay: Relay;
  let auditFile: string;
  const token = `tok-${p}`;
  const admin = () => ({ url: `http://${ds.adminAddress}` });
  const lan = () => ({ url: `http://${ds.addresses.lan}` });
  const asCi = { authorization: `Bearer ${token}` };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-ops-'));
    auditFile = join(dir, 'audit.log');
    await writeFile(join(dir, 'token'), token);
    relay = new Relay(await getFreePort());
    await relay.start();
    await createContainer(dockerHost, image, { name: `${p}-web` });
    await createContainer(dockerHost, image, { name: `${p}-old`, createOnly: true });
    await createContainer(dockerHost, image, { name: `${p}-gone`, createOnly: true });
    const yaml = `
upstream: http://127.0.0.1:${relay.port}
admin: { address: "127.0.0.1:0" }
audit: ${auditFile}
listeners:
  - { name: lan, address: "127.0.0.1:0" }
clients:
  - name: ci
    match: { token: { file: ${join(dir, 'token')} } }
    containers: { names: [${p}-] }
  - name: dash
    match: { from: [127.0.0.1] }
    containers: { names: [${p}-web] }
    allow: [read-only]
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'c.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
  });

  afterAll(async () => {
    await ds?.close();
    await relay?.stop();
    await removeContainers(dockerHost, [`${p}-web`, `${p}-old`, `${p}-new`, `${p}-gone`]);
    await rm(dir, { recursive: true, force: true });
  });

  it('health answers, and metrics count a scripted session exactly by client, template and decision', async () => {
    expect(json(await rawRequest(admin(), 'GET', '/health'))).toEqual({ status: 'ok' });
    for (let i = 0; i < 3; i++) expect((await rawRequest(lan(), 'GET', '/_ping')).status).toBe(200);
    for (let i = 0; i < 2; i++)
      expect((await rawRequest(lan(), 'GET', `/v1.41/containers/${p}-web/json`)).status).toBe(200);
    expect((await rawRequest(lan(), 'GET', `/containers/${p}-old/json`)).status).toBe(404);
    expect((await rawRequest(lan(), 'POST', `/containers/${p}-web/stop`)).status).toBe(403);
    expect(
      (await rawRequest(lan(), 'GET', '/_ping', undefined, { authorization: 'Bearer wrong' })).status,
    ).toBe(200);
    expect((await rawRequest(lan(), 'POST', `/containers/${p}-old/start`, undefined, asCi)).status).toBe(204);
    const res = await rawRequest(admin(), 'GET', '/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    const count = (client: string, route: string, decision: string, status: string) =>
      sample(text, 'dockscope_requests_total', { client, route, decision, status });
    // A wrong token on a connection that matches dash is dash's (the token client only wanted one).
    expect(count('dash', 'GET /_ping', 'allowed', '200')).toBe(4);
    expect(count('dash', 'GET /containers/{id}/json', 'filtered', '200')).toBe(2);
    expect(count('dash', 'GET /containers/{id}/json', 'hidden', '404')).toBe(1);
    expect(count('dash', 'POST /containers/{id}/stop', 'refused', '403')).toBe(1);
    // Answers whose errors may name containers are read on their way back: "filtered".
    expect(count('ci', 'POST /containers/{id}/start', 'filtered', '204')).toBe(1);
    expect(
      sample(text, 'dockscope_request_duration_seconds_count', { client: 'dash', route: 'GET /_ping' }),
    ).toBe(4);
    expect(text).toMatch(/^dockscope_container_lookups_total \d+$/m);
    // The version of package.json, whichever it is (0.1.0 here outlived the bump to 0.2.0).
    expect(text).toMatch(
      new RegExp(
        `^dockscope_build_info\\{version="${version().replaceAll('.', '\\.')}",node="24\\.[0-9.]+"\\} 1$`,
        'm',
      ),
    );
    // No id or name of a container in any label.
    expect(text).not.toContain(p);
  });

  it('open streams are counted by client while they last', async () => {
    const { request } = await import('node:http');
    const [host, port] = (ds.addresses.lan ?? '').split(':');
    const req = request({ host, port: Number(port), path: '/events', method: 'GET', headers: asCi });
    const opened = new Promise<void>((resolve) => req.on('response', () => resolve()));
    req.end();
    await opened;
    const during = (await rawRequest(admin(), 'GET', '/metrics')).body;
    expect(sample(during, 'dockscope_streams_open', { client: 'ci', kind: 'stream' })).toBe(1);
    req.destroy();
    await waitFor('the stream gauge to drop', async () => {
      const after = (await rawRequest(admin(), 'GET', '/metrics')).body;
      return sample(after, 'dockscope_streams_open', { client: 'ci', kind: 'stream' }) === 0;
    });
  });

  it('the audit log has one line per refusal and write, with the rule that decided, and no secret', async () => {
    expect((await rawRequest(lan(), 'POST', `/containers/${p}-web/start`)).status).toBe(403);
    const privileged = await rawRequest(
      lan(),
      'POST',
      `/containers/create?name=${p}-new`,
      JSON.stringify({ Image: image, HostConfig: { Privileged: true } }),
      asCi,
    );
    expect(privileged.status).toBe(403);
    expect((await rawRequest(lan(), 'DELETE', `/containers/${p}-gone`, undefined, asCi)).status).toBe(204);
    expect((await rawRequest(lan(), 'GET', '/grpc', undefined, asCi)).status).toBe(403);
    const lines = (await readFile(auditFile, 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const find = (method: string, route: string, client: string) =>
      lines.filter((l) => l.method === method && l.route === route && l.client === client).at(-1);
    expect(find('POST', 'POST /containers/{id}/start', 'dash')).toMatchObject({
      decision: 'refused',
      rule: 'allow: no entry matches',
      status: 403,
      listener: 'lan',
      audit: true,
    });
    expect(find('POST', 'POST /containers/create', 'ci')).toMatchObject({
      decision: 'refused',
      rule: 'create rule privileged',
      status: 403,
    });
    expect(find('DELETE', 'DELETE /containers/{id}', 'ci')).toMatchObject({
      decision: 'filtered',
      rule: 'no allow list',
      status: 204,
    });
    // Refused by dockscope's route table, not by a list: the rule says so.
    const grpc = lines.filter(
      (l) => l.method === 'GET' && l.client === 'ci' && String(l.route).startsWith('GET /grpc'),
    );
    expect(grpc.at(-1)).toMatchObject({ decision: 'refused', rule: 'policy' });
    expect(find('GET', 'GET /containers/{id}/json', 'dash')).toMatchObject({
      decision: 'hidden',
      rule: 'visibility',
    });
    // Reads that are served are not audited; nothing secret is in any line.
    expect(lines.some((l) => l.route === 'GET /_ping')).toBe(false);
    const raw = await readFile(auditFile, 'utf8');
    expect(raw).not.toContain(token);
    expect(raw).not.toContain('Privileged');
  });

  it('/ready fails while the upstream is away and recovers when it is back', async () => {
    expect((await rawRequest(admin(), 'GET', '/ready')).status).toBe(200);
    expect(json(await rawRequest(admin(), 'GET', '/ready'))).toEqual({
      ready: true,
      upstream: 'ok',
      events: 'watching',
    });
    await relay.stop();
    const down = await rawRequest(admin(), 'GET', '/ready');
    expect(down.status).toBe(503);
    expect((json(down) as { upstream: string }).upstream).toBe('ECONNREFUSED');
    await relay.start();
    await waitFor(
      'readiness to come back',
      async () => (await rawRequest(admin(), 'GET', '/ready')).status === 200,
      20_000,
    );
  });
});
