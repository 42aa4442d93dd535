import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscopeFile } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/** A WebSocket attach, written by hand; every byte that comes back, until the peer closes or 3 s pass. */
async function wsAttach(target: { socketPath: string } | { port: number }, path: string): Promise<string> {
  const socket =
    'socketPath' in target ? net.connect(target.socketPath) : net.connect(target.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: docker\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://docker\r\n\r\n',
  );
  const timer = setTimeout(() => socket.destroy(), 3000);
  await once(socket, 'close');
  clearTimeout(timer);
  return Buffer.concat(chunks).toString('latin1');
}

/**
 * Issue #19, 5: one permission covers every route that gives the same data. A client denied the logs
 * reads the same history through attach (`logs=1`, hijacked or WebSocket); denied `export`, the same
 * files through `archive?path=/`. Each is shown on the daemon, then refused through dockscope.
 */
describe('a denied route has no allowed twin', () => {
  const p = uniquePrefix('tw');
  const name = `${p}-app`;
  let dir: string;
  let ds: RunningDockscope;
  let port: number;
  const daemon = { socketPath: dockerSocket };
  const through = () => ({ url: `http://127.0.0.1:${port}` });

  beforeAll(async () => {
    await createContainer(dockerHost, image, {
      name,
      cmd: ['sh', '-c', 'echo log-history-secret; exec sleep 3600'],
    });
    await waitFor('the log line', async () => {
      const logs = await rawRequest(daemon, 'GET', `/containers/${name}/logs?stdout=1`);
      return logs.body.includes('log-history-secret');
    });
    dir = await mkdtemp(join(tmpdir(), 'ds-twins-'));
    ds = await startTestDockscopeFile(`
upstream: ${dockerHost}
listeners:
  - { name: main, address: "127.0.0.1:0" }
clients:
  - name: operator
    match: { listener: main }
    containers: { names: [${p}-] }
    deny: [logs, "GET /containers/{id}/export"]
`);
    port = ds.port;
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [name]);
    await rm(dir, { recursive: true, force: true });
  });

  it('on the daemon, attach with logs=1 answers the log history, hijacked and as a WebSocket', async () => {
    const hijacked = await rawRequest(daemon, 'POST', `/containers/${name}/attach?logs=1&stream=0&stdout=1`);
    expect(hijacked.body).toContain('log-history-secret');
    const ws = await wsAttach(daemon, `/containers/${name}/attach/ws?logs=1&stream=0&stdout=1`);
    expect(ws.startsWith('HTTP/1.1 101')).toBe(true);
    expect(ws).toContain('log-history-secret');
  });

  it('through dockscope, logs are refused and so is attach with logs=1, in both forms', async () => {
    const logs = await rawRequest(through(), 'GET', `/containers/${name}/logs?stdout=1`);
    expect(logs.status).toBe(403);
    const hijacked = await rawRequest(
      through(),
      'POST',
      `/containers/${name}/attach?logs=1&stream=0&stdout=1`,
    );
    expect(hijacked.status).toBe(403);
    expect(JSON.parse(hijacked.body)).toEqual({
      message: `dockscope: POST /containers/${name}/attach is not allowed for client "operator" (deny: GET /containers/{id}/logs (group logs) for GET /containers/${name}/logs, which this request also answers)`,
    });
    expect(hijacked.body).not.toContain('log-history-secret');
    const ws = await wsAttach({ port }, `/containers/${name}/attach/ws?logs=1&stream=0&stdout=1`);
    expect(ws.startsWith('HTTP/1.1 403')).toBe(true);
    expect(ws).not.toContain('log-history-secret');
  });

  it('a logs value Go reads as true and JavaScript as false (a leading U+FEFF) is judged as Go reads it', async () => {
    const path = `/containers/${name}/attach?logs=%EF%BB%BF0&stream=0&stdout=1`;
    expect((await rawRequest(daemon, 'POST', path)).body).toContain('log-history-secret');
    const through = await rawRequest({ url: `http://127.0.0.1:${port}` }, 'POST', path);
    expect(through.status).toBe(403);
    expect(through.body).not.toContain('log-history-secret');
  });

  it('attach without logs still works (the live stream is not the history)', async () => {
    const res = await rawRequest(through(), 'POST', `/containers/${name}/attach?stream=0&stdout=1`);
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('log-history-secret');
  });

  it('denied export, the same files are refused through archive (docker cp) too', async () => {
    const onDaemon = await rawRequest(daemon, 'HEAD', `/containers/${name}/archive?path=/`);
    expect(onDaemon.status).toBe(200);
    const exported = await dockerCli(`tcp://127.0.0.1:${port}`, ['export', '-o', join(dir, 'x.tar'), name]);
    expect(exported.code).not.toBe(0);
    expect(exported.stderr).toContain('deny: GET /containers/{id}/export');
    const copied = await dockerCli(`tcp://127.0.0.1:${port}`, [
      'cp',
      `${name}:/etc/hostname`,
      join(dir, 'h'),
    ]);
    expect(copied.code).not.toBe(0);
    expect(copied.stderr).toContain(`covering GET /containers/${name}/export`);
  });
});
