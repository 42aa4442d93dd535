import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { makeCa } from '../harness/certs.ts';
import type { DaemonFront } from '../harness/daemon-front.ts';
import { startDaemonFront } from '../harness/daemon-front.ts';
import { dockerOk } from '../harness/docker-cli.ts';
import { getFreePort } from '../harness/free-port.ts';
import { waitForExit } from '../harness/process.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/** Resolves when the server closes the socket (any way), with every byte it sent before. */
function closedByServer(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      out += d;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(out));
  });
}

/**
 * Issue #27, second round of faults: one client or one stalled reader must not take dockscope down.
 * Each case reproduces the fault on the wire against the real daemon; a fake upstream stands in front
 * of it only where the daemon cannot produce the fault (a 503, a silent event stream).
 */
describe('TLS handshakes that never finish', () => {
  let dir: string;
  let ds: Dockscope;
  let ca: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-faults2-'));
    const authority = await makeCa(dir, 'f2');
    ca = await readFile(authority.ca, 'utf8');
    const server = await authority.issue('server', { cn: 'localhost', server: true });
    const text = `upstream: ${dockerHost}
listeners:
  - { name: secure, address: "127.0.0.1:0", tls: { cert: ${server.cert}, key: ${server.key} } }
maxConnections: 4
clients:
  - { name: all, containers: all }
`;
    ds = await startDockscope(loadConfig({}, { path: 'inline.yml', text }), pino({ level: 'silent' }), {
      watchEvents: false,
      handshakeTimeoutMs: 500,
    });
  });
  afterAll(async () => {
    await ds?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are closed after the handshake timeout, and give their MAX_CONNECTIONS slots back', async () => {
    const port = Number(ds.address.split(':').pop());
    const silent = Array.from({ length: 4 }, () => net.connect(port, '127.0.0.1'));
    try {
      const all = Promise.all(silent.map(closedByServer));
      let done = false;
      void all.then(() => {
        done = true;
      });
      await waitFor('dockscope to close the four silent sockets', async () => done, 20_000);
      // Nothing was sent back: an HTTP answer makes no sense on a connection that never became TLS.
      expect(await all).toEqual(['', '', '', '']);
    } finally {
      for (const s of silent) s.destroy();
    }
    const status = await new Promise<[number, string]>((resolve, reject) => {
      const req = https.get(
        { host: '127.0.0.1', port, path: '/_ping', ca, servername: 'localhost' },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve([res.statusCode ?? 0, body]));
        },
      );
      req.on('error', reject);
    });
    expect(status).toEqual([200, 'OK']);
  });
});

describe('a request head larger than Node parses', () => {
  let ds: RunningDockscope;
  beforeAll(async () => {
    ds = await startTestDockscope({ PROXY_URL: dockerHost }, { watchEvents: false });
  });
  afterAll(async () => {
    await ds?.close();
  });

  it('a 10 MiB header line gets the 431, not a reset', async () => {
    const socket = net.connect(ds.port, '127.0.0.1');
    const errors: string[] = [];
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    const answer = closedByServer(socket);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10 * 1024 * 1024)}\r\n\r\n`);
    const body = '{"message":"dockscope: request headers are too large"}';
    expect(await answer).toBe(
      `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    // The rest of the head was read and dropped: the connection ended with a FIN, not a reset.
    expect(errors).toEqual([]);
  });
});

describe('the event watch after a fault of the upstream', () => {
  let front: DaemonFront;
  let ds: RunningDockscope;
  let refusedOnce = false;
  beforeAll(async () => {
    front = await startDaemonFront(dockerSocket, (path) => {
      if (path !== '/events' || refusedOnce) return 'pass';
      refusedOnce = true;
      return { status: 503 };
    });
    ds = await startTestDockscope({ PROXY_URL: front.url, ADMIN_LISTEN: '127.0.0.1:0' });
  });
  afterAll(async () => {
    await ds?.close();
    await front?.close();
  });

  it('one 503 on /events: the watch retries within seconds and /ready is 200 again', async () => {
    const ready = () => rawRequest({ url: `http://${ds.ds.adminAddress}` }, 'GET', '/ready');
    // A refusal (401/403) is retried after a minute; a 503 is a fault, retried after 1 s, then 2 s, ...
    await waitFor('/ready to be 200', async () => (await ready()).status === 200, 20_000);
    expect(json(await ready())).toEqual({ ready: true, upstream: 'ok', events: 'watching' });
    expect(front.seen.filter((p) => p === '/events')).toEqual(['/events', '/events']);
  });
});

describe('an event stream that is open but silent', () => {
  const p = uniquePrefix('f2s');
  let front: DaemonFront;
  let ds: RunningDockscope;
  beforeAll(async () => {
    // Docker sends no heartbeat: a stream that stalled looks exactly like one with nothing to report.
    front = await startDaemonFront(dockerSocket, (path) => (path === '/events' ? 'silent' : 'pass'));
    ds = await startTestDockscope({
      PROXY_URL: front.url,
      CONTAINER_NAMES: `${p}-vis`,
      CACHE_TTL: '1s',
      ADMIN_LISTEN: '127.0.0.1:0',
    });
  });
  afterAll(async () => {
    await ds?.close();
    await front?.close();
    await removeContainers(dockerHost, [`${p}-vis`, `${p}-gone`]);
  });

  it('a container renamed out of scope on the daemon is hidden after CACHE_TTL, though the watch says watching', async () => {
    const admin = { url: `http://${ds.ds.adminAddress}` };
    await waitFor(
      'the watch to be up',
      async () => (await rawRequest(admin, 'GET', '/ready')).status === 200,
    );
    expect(json(await rawRequest(admin, 'GET', '/ready'))).toMatchObject({ events: 'watching' });
    const c = await createContainer(dockerHost, image, { name: `${p}-vis` });
    const top = () => rawRequest({ url: ds.url }, 'GET', `/containers/${c.id}/top`);
    // Cached by full id while the watch is up.
    expect((await top()).status).toBe(200);
    await dockerOk(dockerHost, ['rename', `${p}-vis`, `${p}-gone`]);
    await waitFor('the renamed container to be hidden', async () => (await top()).status === 404, 15_000);
    expect(json(await top())).toEqual({ message: `No such container: ${c.id}` });
    expect(json(await rawRequest(admin, 'GET', '/ready'))).toMatchObject({ events: 'watching' });
  });
});

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
      arrived = true;
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
      const answer = rawRequest(ds.api, 'GET', '/version');
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

describe('a reload that revokes a token', () => {
  let dir: string;
  let ds: Dockscope;
  let text: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-revoke-'));
    await writeFile(join(dir, 'ci.token'), 'old-token\n');
    await writeFile(join(dir, 'ops.token'), 'ops-token\n');
    text = `upstream: ${dockerHost}
listeners:
  - { name: lan, address: "127.0.0.1:0" }
clients:
  - { name: ci, match: { token: { file: ${join(dir, 'ci.token')} } }, containers: all }
  - { name: ops, match: { token: { file: ${join(dir, 'ops.token')} } }, containers: all }
`;
    ds = await startDockscope(loadConfig({}, { path: 'inline.yml', text }), pino({ level: 'silent' }), {
      watchEvents: false,
    });
  });
  afterAll(async () => {
    await ds?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const events = (token: string) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      http
        .get(`http://${ds.address}/events`, { headers: { authorization: `Bearer ${token}` } }, resolve)
        .on('error', reject);
    });

  it('ends the streams opened with the revoked token, and only those', async () => {
    const [revoked, kept] = [await events('old-token'), await events('ops-token')];
    expect([revoked.statusCode, kept.statusCode]).toEqual([200, 200]);
    let keptClosed = false;
    kept.on('close', () => {
      keptClosed = true;
    });
    let revokedClosed = false;
    revoked.on('close', () => {
      revokedClosed = true;
    });
    revoked.resume();
    kept.resume();
    await writeFile(join(dir, 'ci.token'), 'new-token\n');
    await ds.reload(loadConfig({}, { path: 'inline.yml', text }));
    await waitFor('the revoked stream to end', async () => revokedClosed, 10_000);
    expect(keptClosed).toBe(false);
    // The new token opens a stream again; the old one is refused.
    const again = await events('new-token');
    expect(again.statusCode).toBe(200);
    again.destroy();
    const refused = await events('old-token');
    expect(refused.statusCode).toBe(401);
    refused.resume();
    kept.destroy();
  });
});
