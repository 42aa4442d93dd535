import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Upstream, UpstreamTimeoutError } from '../../../src/upstream/client.ts';

/**
 * Upstream.openHijack against raw fake upstreams: a daemon answers a hijack at once, so a silent one
 * (and a client that leaves first) are faults only a fake can produce.
 */
let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function fakeUpstream(onRequest: (socket: Socket, request: string) => void): Promise<Upstream> {
  server = createServer((socket) => {
    sockets.push(socket);
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) onRequest(socket, seen);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new Upstream({ kind: 'tcp', host: '127.0.0.1', port, display: `http://127.0.0.1:${port}` }, 200);
}

const hijack = { Connection: 'Upgrade', Upgrade: 'tcp', 'content-length': '2' };

describe('Upstream.openHijack: the bound and the cancel of open, for a hijack', () => {
  it('resolves with the 101 and the raw connection, the bytes after the head kept', async () => {
    const upstream = await fakeUpstream((socket) =>
      socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nhello'),
    );
    const answer = await upstream.openHijack('POST', '/containers/x/attach', {
      headers: hijack,
      body: Buffer.from('{}'),
    });
    expect(answer.upgraded).toBe(true);
    if (!answer.upgraded) return;
    expect([answer.res.statusCode, answer.res.statusMessage]).toEqual([101, 'UPGRADED']);
    expect(answer.head.toString()).toBe('hello');
    answer.socket.destroy();
  });

  it('resolves with a plain answer when the upstream does not upgrade', async () => {
    const upstream = await fakeUpstream((socket) =>
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'),
    );
    const answer = await upstream.openHijack('POST', '/exec/e/start', {
      headers: hijack,
      body: Buffer.from('{}'),
    });
    expect([answer.upgraded, answer.res.statusCode]).toEqual([false, 404]);
    answer.res.resume();
  });

  it('a silent upstream fails within UPSTREAM_TIMEOUT with an UpstreamTimeoutError', async () => {
    const upstream = await fakeUpstream(() => {});
    const started = performance.now();
    await expect(
      upstream.openHijack('POST', '/containers/x/attach', { headers: hijack, body: Buffer.from('{}') }),
    ).rejects.toBeInstanceOf(UpstreamTimeoutError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('cancel destroys the request (the client left): the upstream sees its connection close', async () => {
    let closed!: () => void;
    const upstreamClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    let destroy: (() => void) | undefined;
    const upstream = await fakeUpstream((socket) => socket.once('close', closed));
    const pending = upstream.openHijack('POST', '/containers/x/attach', {
      headers: hijack,
      body: Buffer.from('{}'),
      cancel: (d) => {
        destroy = d;
      },
      timeoutMs: 5000,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    destroy?.();
    await expect(pending).rejects.toThrow('aborted');
    await upstreamClosed;
  });
});
