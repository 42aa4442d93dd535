import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RawUpstream } from '../harness/raw-upstream.ts';
import { httpAnswer, startRawUpstream } from '../harness/raw-upstream.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

// Go's strings.ToLower makes `İ` (U+0130) an ASCII `i`: to the daemon these are form types. Node's
// HTTP client cannot send such a header (it writes latin1 characters as UTF-8), so these requests go
// on a raw socket.
const FORM = 'applİcation/x-www-form-urlencoded';
const MULTIPART = 'multİpart/form-data; boundary=XyZ';

/** One request, written byte for byte on its own connection; the whole answer as text. */
async function rawSocketRequest(
  target: { readonly socketPath: string } | { readonly port: number },
  path: string,
  contentType: string,
  body: string,
): Promise<{ status: number; text: string }> {
  const socket =
    'socketPath' in target ? net.connect(target.socketPath) : net.connect(target.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const head = `POST ${path} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(body, 'utf8')]));
  await once(socket, 'close');
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}
// The 20.10 build handler reads 4 KiB of the body before the form (a context-type check): padding.
const PAD = 'x'.repeat(6000);
const part = (name: string, value: string) =>
  `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const multipart = (name: string, value: string) => `${part('pad', PAD)}${part(name, value)}--XyZ--\r\n`;

/**
 * Issue #19, 1: Go reads a Content-Type with its own lower-casing, and for a POST its ParseForm puts
 * form body values before the query's. A body the daemon reads as a form replaces what dockscope
 * judged on the query: here `fromSrc` and `remote` make the daemon fetch from the host's network past
 * the `fetch` rule. Each is shown on the daemon first (the host-only server is asked), then refused by
 * dockscope before anything reaches the daemon.
 */
describe('form bodies behind a Unicode Content-Type', () => {
  const p = uniquePrefix('fb');
  let hostOnly: Server;
  let hostOnlyUrl: string;
  const fetched: string[] = [];
  let scoped: RunningDockscope;
  const daemon = { socketPath: dockerSocket };

  beforeAll(async () => {
    hostOnly = createServer((req, res) => {
      fetched.push(req.url ?? '');
      res.writeHead(404).end('host-only service\n');
    });
    await new Promise<void>((resolve) => hostOnly.listen(0, '127.0.0.1', resolve));
    hostOnlyUrl = `http://127.0.0.1:${(hostOnly.address() as AddressInfo).port}`;
    await createContainer(dockerHost, image, { name: `${p}-vis` });
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
  });
  afterAll(async () => {
    await scoped?.close();
    await new Promise((resolve) => hostOnly?.close(resolve));
    await removeContainers(dockerHost, [`${p}-vis`]);
  });

  it('on the daemon, a urlencoded body replaces the query: fromSrc=- becomes a URL it fetches', async () => {
    fetched.length = 0;
    const res = await rawSocketRequest(
      daemon,
      `/images/create?fromSrc=-&repo=${p}-imported`,
      FORM,
      `fromSrc=${encodeURIComponent(`${hostOnlyUrl}/import-direct.tar`)}`,
    );
    // The fetch happened, and the daemon relays the host-only service's reply (its 404 too).
    expect(res.status).toBe(404);
    expect(res.text).toContain('host-only service');
    expect(fetched).toEqual(['/import-direct.tar']);
  });

  it('on the daemon, a multipart part gives the build a remote context it fetches', async () => {
    fetched.length = 0;
    const res = await rawSocketRequest(
      daemon,
      '/build',
      MULTIPART,
      multipart('remote', `${hostOnlyUrl}/context-direct.tar`),
    );
    expect(res.text).toContain('host-only service');
    expect(fetched).toEqual(['/context-direct.tar']);
  });

  it('through dockscope each is refused (400) and the host-only service is never asked', async () => {
    fetched.length = 0;
    const refusal = 'HTTP/1.1 400 ';
    const message = '{"message":"dockscope: form-encoded request bodies are not accepted"}';
    const imported = await rawSocketRequest(
      scoped,
      `/images/create?fromSrc=-&repo=${p}-imported`,
      FORM,
      `fromSrc=${encodeURIComponent(`${hostOnlyUrl}/import-proxied.tar`)}`,
    );
    expect(imported.text.startsWith(refusal)).toBe(true);
    expect(imported.text).toContain(message);
    const built = await rawSocketRequest(
      scoped,
      '/build',
      MULTIPART,
      multipart('remote', `${hostOnlyUrl}/context-proxied.tar`),
    );
    expect(built.text.startsWith(refusal)).toBe(true);
    const padded = await rawSocketRequest(
      scoped,
      '/build?networkmode=none',
      FORM,
      `pad=${PAD}&networkmode=host&remote=${encodeURIComponent(`${hostOnlyUrl}/padded.tar`)}`,
    );
    expect(padded.text.startsWith(refusal)).toBe(true);
    // Give a daemon that had been asked time to fetch.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fetched).toEqual([]);
  });

  it('a form type without a body is harmless and goes on without it (curl -d "" sends one)', async () => {
    const res = await rawRequest(scoped, 'POST', `/containers/${p}-vis/stop?t=0`, '', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(204);
    const after = await rawRequest(daemon, 'GET', `/containers/${p}-vis/json`);
    expect((JSON.parse(after.body) as { State: { Running: boolean } }).State.Running).toBe(false);
  });
});

/**
 * What the daemon is sent: a Content-Type dockscope wrote, whatever the client's said. Recorded by a
 * raw upstream (the daemon cannot show which header it was handed).
 */
describe('the forwarded Content-Type is one dockscope wrote', () => {
  let upstream: RawUpstream;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    // Container look-ups find `x`; everything else is answered 200.
    upstream = await startRawUpstream((req) =>
      /\/containers\/x\/json$/.test(req.target)
        ? httpAnswer(200, JSON.stringify({ Id: 'a'.repeat(64), Name: '/x', Config: { Labels: {} } }))
        : httpAnswer(200, '{}'),
    );
    proxy = await startTestDockscope({ PROXY_URL: upstream.url }, { watchEvents: false });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
  });

  it.each<[string, string, string, string | undefined, string | undefined]>([
    ['a build context is a tar', 'POST', '/build', 'text/plain; x=1', 'application/x-tar'],
    ['an image load is a tar', 'POST', '/images/load', 'application/octet-stream', 'application/x-tar'],
    ['an archive upload is a tar', 'PUT', '/containers/x/archive?path=/', undefined, 'application/x-tar'],
    [
      'a JSON body keeps no parameters',
      'POST',
      '/auth',
      'Application/JSON; charset=utf-8',
      'application/json',
    ],
    ['a route without a body gets none', 'POST', '/containers/x/start', 'application/json', undefined],
  ])('%s', async (_label, method, path, sent, expected) => {
    const body = path.endsWith('/start') ? undefined : 'body';
    const headers = sent === undefined ? {} : { 'content-type': sent };
    const res = await rawRequest(proxy, method, path, body, headers);
    expect(res.status).toBe(200);
    const forwarded = upstream.requests.filter((r) => !r.target.endsWith('/x/json')).at(-1);
    expect(forwarded?.method).toBe(method);
    expect(forwarded?.header('content-type')).toBe(expected);
  });
});
