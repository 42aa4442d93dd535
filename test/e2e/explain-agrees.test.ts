import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { explainRequest } from '../../src/explain.ts';
import type { Clients } from '../../src/policy/clients.ts';
import { compileClients } from '../../src/policy/clients.ts';
import { ContainerDirectory } from '../../src/policy/directory.ts';
import { ROUTES } from '../../src/routes/table.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { Upstream } from '../../src/upstream/client.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');

/**
 * Issue #21: `dockscope explain` and the server judge with the same steps (server/judge.ts), so what
 * explain says of a request is what the server does with it. Shown on every row of the route table,
 * with and without a version prefix and with one below the floor, plus spellings and paths the
 * table does not have, for two clients with different lists: a few hundred requests sent through
 * dockscope to the real daemon. Every name is one that does not exist, and the lists allow only
 * reads, lifecycle calls and removals of such names (and a build without a context, which fails at
 * once), so nothing reaches the daemon that could change
 * what other tests see.
 */
describe('dockscope explain says what the server does', () => {
  const p = uniquePrefix('xa');
  const nope = `${p}-nope`;
  let ds: Dockscope;
  let clients: Clients;
  const lines: Record<string, unknown>[] = [];
  const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: reader, address: "127.0.0.1:0" }
  - { name: cleaner, address: "127.0.0.1:0" }
clients:
  - name: reader
    match: { listener: reader }
    containers: { names: [${p}-web] }
    allow: [read-only, logs, lifecycle, files, "POST /session", "POST /build"]
  - name: cleaner
    match: { listener: cleaner }
    containers: { names: [${p}-job] }
    allow: [ping, delete, "GET /images/**/json", "POST /containers/{id}/kill"]
`;
  const config = loadConfig({ LOG_LEVEL: 'info' }, { path: 'dockscope.yml', text: yaml });

  beforeAll(async () => {
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    ds = await startDockscope(config, log, { watchEvents: false });
    const directory = new ContainerDirectory(
      new Upstream(config.upstream),
      config.cacheTtlMs,
      pino({ level: 'silent' }),
    );
    clients = await compileClients(config.clients, directory);
  });
  afterAll(async () => {
    await ds?.close();
  });

  /** A request of each row, naming nothing that exists; and requests no row takes. */
  function requests(): [string, string][] {
    const out: [string, string][] = [];
    for (const row of ROUTES) {
      const path = row.path
        .split('/')
        .map((s) => (s === '**' ? `library/${nope}:1` : s.startsWith('{') ? nope : s))
        .join('/');
      for (const version of ['', '/v1.41', '/v1.23']) out.push([row.method, `${version}${path}`]);
    }
    out.push(
      ['GET', '/nope'],
      ['GET', '/v1.41/debug/pprof'],
      ['PATCH', '/containers/json'],
      ['GET', `/containers//${nope}/json`],
      ['GET', `/containers/${nope}/json/`],
      ['GET', `/containers/%2e%2e/${nope}/json`],
      ['DELETE', `/containers/${nope}/other`],
      ['POST', '/containers/prune'],
    );
    return out;
  }

  it('each request: the same refusal (status and message), or served past every step explain knows', async () => {
    let refused = 0;
    let served = 0;
    for (const client of ['reader', 'cleaner'] as const) {
      const profile = clients.identifyByName(client);
      const url = `http://${ds.addresses[client]}`;
      for (const [method, path] of requests()) {
        const explained = await explainRequest(profile, method, path, config.upstreamTimeoutMs);
        const res = await rawRequest({ url }, method, path, undefined, { connection: 'close' });
        const label = `${client}: ${method} ${path}: ${explained.line}`;
        const isJson = /json/.test(String(res.headers['content-type'] ?? '')) && res.body !== '';
        const message = isJson ? ((JSON.parse(res.body) as { message?: string }).message ?? '') : '';
        const refusal = explained.judgement.refusal;
        if (refusal) {
          refused++;
          expect([res.status, method === 'HEAD' ? '' : message], label).toEqual([
            refusal.error.status,
            method === 'HEAD' ? '' : refusal.error.message,
          ]);
        } else {
          served++;
          // Past the steps explain runs: what answers is the daemon, or a decision on what it said.
          expect(message, label).not.toMatch(
            /is not allowed for client|is not an Engine API route|is too old|h2c upgrade|BuildKit's control API/,
          );
        }
      }
    }
    // Both kinds are many: the agreement is not shown on one side only.
    expect(refused).toBeGreaterThan(400);
    expect(served).toBeGreaterThan(40);
    // One record per request, with the route explain named.
    const records = lines.filter((l) => l.msg === 'request');
    expect(records).toHaveLength(2 * requests().length);
  }, 120_000);
});
