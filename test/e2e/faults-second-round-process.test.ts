import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getFreePort } from '../harness/free-port.ts';
import { waitForExit } from '../harness/process.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');

/*
 * Issue #27, second round of faults, as the process runs them (`node dist/main.js`, built first): a
 * stdout nobody reads, log rotation with SIGHUP, SIGTERM under a request in progress.
 */

/** `node dist/main.js` with `env`, its stdout never read; resolves once its admin listener answers. */
async function startStalledMain(env: Record<string, string>) {
  const [port, adminPort] = [await getFreePort(), await getFreePort()];
  const child = spawn(process.execPath, [resolve('dist/main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PROXY_URL: dockerHost,
      LISTEN: `127.0.0.1:${port}`,
      ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  const admin = { url: `http://127.0.0.1:${adminPort}` };
  try {
    await waitFor('dockscope to listen', async () =>
      rawRequest(admin, 'GET', '/health').then(
        (r) => r.status === 200,
        () => false,
      ),
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; stderr: ${stderr}`);
  }
  return { child, api: { url: `http://127.0.0.1:${port}` }, admin, stderr: () => stderr };
}

describe('the audit log never blocks serving', () => {
  const p = uniquePrefix('f2a');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-audit2-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('AUDIT_LOG=stdout with a reader that never reads: /_ping and /health still answer after 3000 audited writes', async () => {
    const ds = await startStalledMain({ AUDIT_LOG: 'stdout', CONTAINER_NAMES: `${p}-none` });
    try {
      // Each is a write, so each is audited, and logged: far more than a pipe holds.
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 375; i++) {
            const res = await rawRequest(ds.api, 'DELETE', `/containers/${p}-none`);
            expect(res.status).toBe(404);
          }
        }),
      );
      const ping = await rawRequest(ds.api, 'GET', '/_ping');
      expect([ping.status, ping.body]).toEqual([200, 'OK']);
      const health = await rawRequest(ds.admin, 'GET', '/health');
      expect([health.status, json(health)]).toEqual([200, { status: 'ok' }]);
      // Lines wait in a bounded buffer (4 MiB per log); these fit, so none was dropped yet.
      const metrics = (await rawRequest(ds.admin, 'GET', '/metrics')).body;
      expect(metrics).toContain('dockscope_log_lines_dropped_total{log="audit",reason="buffer-full"} 0');
      // Shutdown does not wait for the reader either.
      ds.child.kill('SIGTERM');
      expect(await waitForExit(ds.child.pid ?? 0, 15_000)).toBe(true);
    } finally {
      ds.child.kill('SIGKILL');
    }
  }, 120_000);

  it('after rotation and SIGHUP, audit lines go to a new file of the configured name', async () => {
    const file = join(dir, 'audit.log');
    const ds = await startStalledMain({ AUDIT_LOG: file, CONTAINER_NAMES: `${p}-none` });
    const lines = async (path: string) =>
      (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    try {
      expect((await rawRequest(ds.api, 'DELETE', `/containers/${p}-first`)).status).toBe(404);
      await waitFor('the first audit line', async () => (await lines(file)).length === 1);
      await rename(file, `${file}.1`);
      ds.child.kill('SIGHUP');
      // The reopen happens soon after the signal; until then lines still go to the renamed file.
      await waitFor('a line in the new file', async () => {
        await rawRequest(ds.api, 'DELETE', `/containers/${p}-after`);
        return (await lines(file)).length > 0;
      });
      const [inOld, inNew] = [(await lines(`${file}.1`)).length, (await lines(file)).length];
      for (let i = 0; i < 3; i++) {
        expect((await rawRequest(ds.api, 'DELETE', `/containers/${p}-last`)).status).toBe(404);
      }
      await waitFor('three more lines in the new file', async () => (await lines(file)).length === inNew + 3);
      expect((await lines(`${file}.1`)).length).toBe(inOld);
      expect(JSON.parse((await lines(file)).at(-1) ?? '{}')).toMatchObject({
        audit: true,
        method: 'DELETE',
        route: 'DELETE /containers/{id}',
        status: 404,
      });
    } finally {
      ds.child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('shutdown', () => {
  it('SIGTERM lets a short request in progress finish, then dockscope exits', async () => {
    // A daemon that takes 1.5 s over /version: a real one cannot be made slow on demand.
    let arrived = false;
    const slow = http.createServer((req, res) => {
      const path = (req.url ?? '').replace(/^\/v[\d.]+/, '');
      if (!path.startsWith('/version')) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"page not found"}');
        return;
      }
      // dockscope asks /version itself at start (the upstream's API version): only the test's own counts.
      if ((req.url ?? '').includes('from=test')) arrived = true;
      setTimeout(
        () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Version":"slow"}'),
        1500,
      );
    });
    slow.listen(0, '127.0.0.1');
    await once(slow, 'listening');
    const ds = await startStalledMain({
      PROXY_URL: `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}`,
      CONTAINER_NAMES: 'none',
    });
    try {
      const answer = rawRequest(ds.api, 'GET', '/version?from=test');
      await waitFor('the request to reach the upstream', async () => arrived);
      ds.child.kill('SIGTERM');
      const res = await answer;
      expect([res.status, res.body]).toEqual([200, '{"Version":"slow"}']);
      expect(await waitForExit(ds.child.pid ?? 0, 20_000)).toBe(true);
    } finally {
      ds.child.kill('SIGKILL');
      slow.closeAllConnections();
      slow.close();
    }
  }, 60_000);

  it('an open event stream is not waited for: it is ended and close() returns before the grace', async () => {
    const ds = await startTestDockscope({ PROXY_URL: dockerHost }, { watchEvents: false });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(`${ds.url}/events`, resolve).on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    const ended = new Promise<void>((resolve) => {
      res.on('close', resolve);
      res.resume();
    });
    const started = Date.now();
    await ds.ds.close();
    await ended;
    // The grace is 10 s; a stream would have held it to the end.
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
