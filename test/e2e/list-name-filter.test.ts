import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope, startTestDockscopeFile } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/** A unix-socket pass-through to the daemon that records the request line of each request it carries. */
async function recordingRelay(dir: string): Promise<{ path: string; seen: string[]; close(): void }> {
  const path = join(dir, 'relay.sock');
  const seen: string[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(dockerSocket);
    client.on('data', (chunk: Buffer) => {
      const line = /^([A-Z]+ \S+) HTTP\/1\.1\r\n/.exec(chunk.toString('latin1', 0, 4096));
      if (line?.[1]) seen.push(line[1]);
    });
    for (const s of [client, upstream]) s.on('error', () => {});
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, seen, close: () => server.close() };
}

type Entry = { Names: string[] };
const own = (list: unknown, p: string) =>
  (list as Entry[])
    .map((c) => c.Names[0] ?? '')
    .filter((n) => n.startsWith(`/${p}`))
    .sort();

/**
 * When names alone decide what a client sees, dockscope asks the daemon for the list with a `name`
 * filter of them, so that the daemon does not serialise (and dockscope not scan) every container
 * the client will never get. The daemon reads each value as an unanchored regular expression on the
 * name with and without its `/`, so the values are sent quoted: unquoted, `.` would match any letter.
 * The answer is still filtered by dockscope, so a filter that kept more would show nothing more.
 */
describe('container lists: the daemon filters by name first', () => {
  const p = uniquePrefix('nf');
  const visible = `${p}-x.y-1`;
  const lookalike = `${p}-xzy-1`;
  const other = `${p}-other`;
  let dir = '';
  let relay: Awaited<ReturnType<typeof recordingRelay>>;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    for (const name of [visible, lookalike, other]) {
      await createContainer(dockerHost, image, { name, createOnly: true });
    }
    dir = await mkdtemp(join(tmpdir(), 'ds-nf-'));
    relay = await recordingRelay(dir);
    proxy = await startTestDockscope({ PROXY_URL: `unix://${relay.path}`, CONTAINER_NAMES: `${p}-x.y` });
  });
  afterAll(async () => {
    await proxy?.close();
    relay?.close();
    await removeContainers(dockerHost, [visible, lookalike, other]);
    await rm(dir, { recursive: true, force: true });
  });

  const daemonList = async (filters: unknown) =>
    own(
      json(
        await rawRequest(
          { socketPath: dockerSocket },
          'GET',
          `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`,
        ),
      ),
      p,
    );

  it('the daemon: a name filter is a regular expression, matched with and without the slash', async () => {
    expect(await daemonList({ name: [`${p}-x.y`] })).toEqual([`/${visible}`, `/${lookalike}`]);
    expect(await daemonList({ name: [`${p}-x\\.y`] })).toEqual([`/${visible}`]);
    expect(await daemonList({ name: [`^${p}-x\\.y-1$`] })).toEqual([`/${visible}`]);
    expect(await daemonList({ name: [`^/${p}-x\\.y-1$`] })).toEqual([`/${visible}`]);
  });

  it('dockscope sends the quoted name filter and lists exactly the visible container', async () => {
    relay.seen.length = 0;
    const res = await rawRequest({ url: proxy.url }, 'GET', '/v1.41/containers/json?all=1');
    expect(res.status).toBe(200);
    expect(own(json(res), p)).toEqual([`/${visible}`]);
    const sent = relay.seen.filter((l) => l.startsWith('GET /v1.41/containers/json'));
    expect(sent).toHaveLength(1);
    const query = new URLSearchParams(sent[0]?.split('?')[1]);
    expect(JSON.parse(query.get('filters') ?? '')).toEqual({ name: { [`${p}-x\\.y`]: true } });
    expect(query.get('all')).toBe('1');
  });

  it('with filters of its own, in either form, the name filter joins them; a name filter of its own is kept', async () => {
    const through = async (filters: unknown) => {
      relay.seen.length = 0;
      const res = await rawRequest(
        { url: proxy.url },
        'GET',
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`,
      );
      expect(res.status).toBe(200);
      const line = relay.seen.find((l) => l.startsWith('GET /containers/json')) ?? '';
      return {
        names: own(json(res), p),
        sent: JSON.parse(new URLSearchParams(line.split('?')[1]).get('filters') ?? ''),
      };
    };
    const current = await through({ status: { created: true } });
    expect(current.names).toEqual([`/${visible}`]);
    expect(current.sent).toEqual({ status: { created: true }, name: { [`${p}-x\\.y`]: true } });
    const legacy = await through({ status: ['created'] });
    expect(legacy.names).toEqual([`/${visible}`]);
    expect(legacy.sent).toEqual({ status: ['created'], name: [`${p}-x\\.y`] });
    // The client's own (unquoted) name filter matches the look-alike in the daemon; dockscope still drops it.
    const theirs = await through({ name: [`${p}-x.y`] });
    expect(theirs.sent).toEqual({ name: [`${p}-x.y`] });
    expect(theirs.names).toEqual([`/${visible}`]);
  });
});

/**
 * Issue #26: one exact label rule (or the owner label alone) goes to the daemon as its `label` filter,
 * which compares key and value exactly and makes every value hold. Shown on the daemon first.
 */
describe('container lists: the daemon filters by an exact label rule first', () => {
  const p = uniquePrefix('lf');
  const key = `${p}.team`;
  const names = [`${p}-a1`, `${p}-a2`, `${p}-ab`, `${p}-b`];
  let dir = '';
  let relay: Awaited<ReturnType<typeof recordingRelay>>;
  let ds: RunningDockscope;
  let url = '';

  beforeAll(async () => {
    const labels = { [`${p}-a1`]: 'a', [`${p}-a2`]: 'a', [`${p}-ab`]: 'ab', [`${p}-b`]: 'b' };
    for (const name of names) {
      await createContainer(dockerHost, image, {
        name,
        createOnly: true,
        labels: { [key]: labels[name] ?? '' },
      });
    }
    dir = await mkdtemp(join(tmpdir(), 'ds-lf-'));
    relay = await recordingRelay(dir);
    ds = await startTestDockscopeFile(`
upstream: unix://${relay.path}
listeners:
  - { name: main, address: "127.0.0.1:0" }
clients:
  - name: team-a
    match: { listener: main }
    containers: { labels: ["${key}=a"], match: exact }
`);
    url = ds.url;
  });
  afterAll(async () => {
    await ds?.close();
    relay?.close();
    await removeContainers(dockerHost, names);
    await rm(dir, { recursive: true, force: true });
  });

  const list = async (target: { url?: string; socketPath?: string }, filters?: unknown) => {
    relay.seen.length = 0;
    const query = filters === undefined ? '' : `&filters=${encodeURIComponent(JSON.stringify(filters))}`;
    const res = await rawRequest(target, 'GET', `/containers/json?all=1${query}`);
    expect(res.status).toBe(200);
    const line = relay.seen.find((l) => l.startsWith('GET /containers/json')) ?? '';
    return { names: own(json(res), p), sent: new URLSearchParams(line.split('?')[1]).get('filters') };
  };

  it('the daemon: a label filter compares the value exactly, and all its values must hold', async () => {
    const daemon = { socketPath: dockerSocket };
    expect((await list(daemon, { label: [`${key}=a`] })).names).toEqual([`/${p}-a1`, `/${p}-a2`]);
    expect((await list(daemon, { label: [`${key}=a`, `${key}=b`] })).names).toEqual([]);
  });

  it('dockscope sends the rule as the label filter, joins the client’s own, and lists exactly the visible', async () => {
    const plain = await list({ url });
    expect(plain.names).toEqual([`/${p}-a1`, `/${p}-a2`]);
    expect(JSON.parse(plain.sent ?? '')).toEqual({ label: { [`${key}=a`]: true } });
    const current = await list({ url }, { status: { created: true } });
    expect(current.names).toEqual([`/${p}-a1`, `/${p}-a2`]);
    expect(JSON.parse(current.sent ?? '')).toEqual({
      status: { created: true },
      label: { [`${key}=a`]: true },
    });
    const legacy = await list({ url }, { label: [`${key}=b`] });
    expect(legacy.names).toEqual([]);
    expect(JSON.parse(legacy.sent ?? '')).toEqual({ label: [`${key}=b`, `${key}=a`] });
  });
});
