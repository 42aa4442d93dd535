import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { makeCa } from '../harness/certs.ts';
import type { DaemonFront } from '../harness/daemon-front.ts';
import { startDaemonFront } from '../harness/daemon-front.ts';
import { dockerOk } from '../harness/docker-cli.ts';
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
