import * as http from 'node:http';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { missingRef } from '../../../src/policy/missing.ts';
import { errors } from '../../../src/server/errors.ts';
import type { RespondContext } from '../../../src/server/respond.ts';
import { relay, sendAsDaemon } from '../../../src/server/respond.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

/** An upstream that answers each request with the raw bytes the test set for it. */
let upstreamAnswer = '';
let upstream: net.Server;
let upstreamPort = 0;
let front: http.Server;
let frontPort = 0;
let handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> = async () => {};

const open = (method: string, path: string) =>
  new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: upstreamPort, method, path, agent: false }, resolve);
    req.on('error', reject);
    req.end();
  });

const s = stubResolver([
  { id: id('a'), name: 'web' },
  { id: id('b'), name: 'db' },
]);
const ctx: RespondContext = {
  resolver: s.resolver,
  scrubEnvs: false,
  owner: null,
  upstreamDisplay: 'stub',
  countVisible: async () => ({ total: 0, running: 0, paused: 0, stopped: 0 }),
  open,
};

beforeAll(async () => {
  upstream = net.createServer((socket) => {
    socket.once('data', () => socket.end(upstreamAnswer));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
  front = http.createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontPort = (front.address() as net.AddressInfo).port;
});
afterAll(async () => {
  front.close();
  upstream.close();
});

/** The raw bytes a client gets for one request to the front server. */
function exchange(method: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(frontPort, '127.0.0.1');
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      out += d;
    });
    socket.on('close', () => resolve(out));
    socket.write(`${method} /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  });
}

const relayWith = (forward: Forwarding) => {
  handle = async (req, res) => {
    await relay(forward, req.method ?? 'GET', await open(req.method ?? 'GET', forward.path), res, ctx);
  };
};

describe('relay: the daemon’s answer about a sentinel, with the typed reference put back', () => {
  const ref = missingRef('web&co');
  const forward: Forwarding = { path: '/containers/s/json', treatment: 'restoreMissing', missing: [ref] };

  it('JSON bodies get the reference Go-escaped, and a new Content-Length; headers keep order and case', async () => {
    const body = `{"message":"No such container: ${ref.sentinel}"}\n`;
    upstreamAnswer = `HTTP/1.1 404 Not Found\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    relayWith(forward);
    const raw = await exchange('GET');
    const restored = '{"message":"No such container: web&co"}\n';
    expect(raw).toBe(
      `HTTP/1.1 404 Not Found\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Length: ${restored.length}\r\nConnection: close\r\n\r\n${restored}`,
    );
  });

  it('an answer delimited by the end of the connection (a hijacked attach) stays so, with no Date added', async () => {
    upstreamAnswer = `HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nNo such container: ${ref.sentinel}\r\n`;
    relayWith(forward);
    expect(await exchange('POST')).toBe(
      'HTTP/1.1 404 Not Found\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nNo such container: web&co\r\n',
    );
  });

  it('a HEAD answer keeps no body and the length the body would have', async () => {
    const body = `{"message":"No such container: ${ref.sentinel}"}\n`;
    upstreamAnswer = `HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    relayWith(forward);
    const raw = await exchange('HEAD');
    const length = '{"message":"No such container: web&co"}\n'.length;
    expect(raw).toContain(`Content-Length: ${length}\r\n`);
    expect(raw.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('relay: error answers of container routes have ids of containers the client may not see replaced', () => {
  it('JSON or not, with the length recomputed; a visible id stays', async () => {
    const body = `{"message":"can't join IPC of container ${id('b')}: ${id('a')} ${id('c')}"}`;
    upstreamAnswer = `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    relayWith({ path: '/containers/x/start', treatment: 'cutErrorIds' });
    const raw = await exchange('POST');
    const out = `{"message":"can't join IPC of container <hidden>: ${id('a')} <hidden>"}`;
    expect(raw).toContain(`Content-Length: ${out.length}\r\n`);
    expect(raw.endsWith(out)).toBe(true);
  });
});

describe('sendAsDaemon: dockscope’s own "No such container", in the daemon’s headers', () => {
  it('borrows the headers of the daemon’s answer about a sentinel', async () => {
    upstreamAnswer =
      'HTTP/1.1 404 Not Found\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nOstype: linux\r\nServer: Docker/20.10\r\nContent-Length: 3\r\n\r\n{}\n';
    handle = async (_req, res) =>
      sendAsDaemon(
        res,
        errors.asDaemon({ kind: 'missingJoin', mode: 'network', ref: 'db<x>' }),
        '/v1.41',
        ctx,
      );
    const raw = await exchange('POST');
    const body = '{"message":"No such container: db<x>"}\n';
    expect(raw).toBe(
      `HTTP/1.1 400 Bad Request\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nOstype: linux\r\nServer: Docker/20.10\r\nContent-Length: ${body.length}\r\nDate: ${raw.match(/Date: ([^\r]+)/)?.[1]}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
});
