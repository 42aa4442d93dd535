import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { CallerAddresses } from '../../../src/policy/caller-addresses.ts';
import type { Upstream } from '../../../src/upstream/client.ts';
import { upstreamAnswer } from '../support/recording-response.ts';

const WEB = 'a'.repeat(64);
const DB = 'b'.repeat(64);
const IMG = `sha256:${'1'.repeat(64)}`;
const LABELLED_IMG = `sha256:${'2'.repeat(64)}`;

interface World {
  /** Network id → subnet and its endpoints (container id → IPv4 or IPv6 address with its prefix). */
  networks: Record<string, { subnet: string; endpoints: Record<string, string> }>;
  containers: { Id: string; Names: string[]; Labels: Record<string, string>; ImageID: string }[];
  images: Record<string, Record<string, string>>;
  /** Answered to every look-up instead of the world (a daemon in trouble). */
  failWith?: number;
}

/**
 * dockscope's Upstream over a fixed world of networks, containers and images, answered as the daemon
 * shapes those bodies; every path asked is recorded and `hold` stops answers until released.
 */
function upstreamOf(world: World) {
  const paths: string[] = [];
  let gate: Promise<void> | null = null;
  const json = (status: number, body: unknown) => upstreamAnswer(status, [JSON.stringify(body)]);
  const answer = (path: string) => {
    if (world.failWith) return json(world.failWith, { message: 'boom' });
    if (path === '/networks') {
      return json(
        200,
        Object.entries(world.networks).map(([Id, n]) => ({ Id, IPAM: { Config: [{ Subnet: n.subnet }] } })),
      );
    }
    const net = /^\/networks\/(.+)$/.exec(path);
    if (net) {
      const n = world.networks[decodeURIComponent(net[1] ?? '')];
      if (!n) return json(404, { message: 'network not found' });
      const v6 = n.subnet.includes(':');
      return json(200, {
        Containers: Object.fromEntries(
          Object.entries(n.endpoints).map(([id, a]) => [id, v6 ? { IPv6Address: a } : { IPv4Address: a }]),
        ),
      });
    }
    if (path.startsWith('/containers/json?all=1&filters=')) {
      const filters = JSON.parse(decodeURIComponent(path.split('filters=')[1] ?? ''));
      const wanted: string = filters.id[0];
      return json(
        200,
        world.containers.filter((c) => c.Id.startsWith(wanted)),
      );
    }
    const img = /^\/images\/(.+)\/json$/.exec(path);
    if (img) {
      const labels = world.images[decodeURIComponent(img[1] ?? '')];
      return labels ? json(200, { Config: { Labels: labels } }) : json(404, { message: 'No such image' });
    }
    return json(404, { message: 'page not found' });
  };
  const upstream = {
    display: 'stub',
    timeoutMs: 60_000,
    controlAgent: {},
    open: async (method: string, path: string) => {
      expect(method).toBe('GET');
      paths.push(path);
      if (gate) await gate;
      return answer(path);
    },
  } as unknown as Upstream;
  return {
    upstream,
    paths,
    hold(): () => void {
      let release = () => {};
      gate = new Promise<void>((r) => {
        release = () => {
          gate = null;
          r();
        };
      });
      return release;
    },
  };
}

const warnings: string[] = [];
const log = {
  warn: (o: { err: string }, msg: string) => warnings.push(`${msg}: ${o.err}`),
} as unknown as Logger;

function world(): World {
  return {
    networks: {
      n1: { subnet: '172.18.0.0/16', endpoints: { [WEB]: '172.18.0.5/16', [DB]: '172.18.0.6/16' } },
      n6: { subnet: 'fd00::/64', endpoints: { [WEB]: 'fd00::5/64' } },
    },
    containers: [
      { Id: WEB, Names: ['/web'], Labels: { team: 'a' }, ImageID: IMG },
      { Id: DB, Names: ['/db'], Labels: { 'dockscope.client': 'ops' }, ImageID: IMG },
    ],
    images: { [IMG]: {}, [LABELLED_IMG]: { 'dockscope.client': 'ops' } },
  };
}

const webCaller = { id: WEB, name: 'web', labels: { team: 'a' }, imageId: IMG, client: null };

describe('CallerAddresses: which container a TCP caller is, by its source address (issue #23)', () => {
  it.each([
    ['172.18.0.5', webCaller],
    ['::ffff:172.18.0.5', webCaller],
    ['fd00::5', webCaller],
    ['FD00:0:0:0::0005', webCaller],
    ['172.18.0.9', null],
    ['10.0.0.1', null],
  ])('the caller at %s is %j', async (address, expected) => {
    const u = upstreamOf(world());
    expect(await new CallerAddresses(u.upstream, 60_000, log).locate(address)).toEqual(expected);
  });

  it.each([
    ['no address (a unix socket)', undefined],
    ['a text that is no address', 'nope'],
    ['a link-local IPv6 address', 'fe80::5'],
    ['a scoped IPv6 address', 'fd00::5%eth0'],
  ])('%s is no container, and nothing is asked', async (_what, address) => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    expect(await callers.locate(address)).toBeNull();
    expect([u.paths, callers.lookups]).toEqual([[], 0]);
  });

  it('the look-up asks the networks, the ones holding the address, then that container by id', async () => {
    const u = upstreamOf(world());
    await new CallerAddresses(u.upstream, 60_000, log).locate('172.18.0.5');
    expect(u.paths).toEqual([
      '/networks',
      '/networks/n1',
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ id: [WEB] }))}`,
    ]);
  });

  it('an address two containers hold (on two networks) is no one’s', async () => {
    const w = world();
    w.networks.n2 = { subnet: '172.18.0.0/24', endpoints: { [DB]: '172.18.0.5/24' } };
    expect(await new CallerAddresses(upstreamOf(w).upstream, 60_000, log).locate('172.18.0.5')).toBeNull();
  });

  it('the id filter matches prefixes: only the entry of that very id counts', async () => {
    const w = world();
    const longer = `${WEB.slice(0, 63)}f`;
    w.networks.n1 = { subnet: '172.18.0.0/16', endpoints: { [WEB.slice(0, 12)]: '172.18.0.5/16' } };
    w.containers = [{ Id: longer, Names: ['/other'], Labels: {}, ImageID: IMG }, ...w.containers];
    expect(await new CallerAddresses(upstreamOf(w).upstream, 60_000, log).locate('172.18.0.5')).toBeNull();
  });

  it.each([
    ['its own label', IMG, 'ops'],
    ['a label its image carries too (inherited: counts for nothing)', LABELLED_IMG, null],
    ['a label whose image cannot be read (removed since)', `sha256:${'9'.repeat(64)}`, null],
    ['a label with no image id', '', null],
  ])('a caller with the client label: %s gives client %j', async (_what, imageId, client) => {
    const w = world();
    w.containers = [{ Id: DB, Names: ['/db'], Labels: { 'dockscope.client': 'ops' }, ImageID: imageId }];
    const found = await new CallerAddresses(upstreamOf(w).upstream, 60_000, log).locate('172.18.0.6');
    expect(found).toEqual({ id: DB, name: 'db', labels: { 'dockscope.client': 'ops' }, imageId, client });
  });

  it('an image’s labels are asked once (an image id names immutable content)', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    await callers.locate('172.18.0.6');
    await callers.locate('172.18.0.6');
    expect(u.paths.filter((p) => p.startsWith('/images/'))).toEqual([
      `/images/${encodeURIComponent(IMG)}/json`,
    ]);
  });

  it('a daemon that fails a look-up: no container (fail closed), and the log says why', async () => {
    const w = world();
    w.failWith = 500;
    warnings.length = 0;
    expect(await new CallerAddresses(upstreamOf(w).upstream, 60_000, log).locate('172.18.0.5')).toBeNull();
    expect(warnings).toEqual([
      'caller container look-up failed: no container client matches: the upstream answered 500 to a look-up',
    ]);
  });

  it('without the event watch nothing is kept: every request looks the address up', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    await callers.locate('172.18.0.5');
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(2);
  });

  it('with the watch a found container is kept; forget, forgetAll and the watch going down drop it', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    callers.setWatching(true);
    await callers.locate('172.18.0.5');
    await callers.locate('::ffff:172.18.0.5');
    expect(callers.lookups).toBe(1);
    callers.forget(DB);
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(1);
    callers.forget(WEB);
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(2);
    callers.forgetAll();
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(3);
    callers.setWatching(true);
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(4);
  });

  it('an address another container takes after a forget carries the new one’s identity', async () => {
    const w = world();
    const u = upstreamOf(w);
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    callers.setWatching(true);
    expect((await callers.locate('172.18.0.5'))?.name).toBe('web');
    w.networks.n1 = { subnet: '172.18.0.0/16', endpoints: { [DB]: '172.18.0.5/16' } };
    callers.forget(WEB);
    expect((await callers.locate('172.18.0.5'))?.name).toBe('db');
  });

  it('an absence is never kept: a container that joins later is found at once', async () => {
    const w = world();
    const callers = new CallerAddresses(upstreamOf(w).upstream, 60_000, log);
    callers.setWatching(true);
    expect(await callers.locate('172.18.0.7')).toBeNull();
    w.networks.n1 = { subnet: '172.18.0.0/16', endpoints: { [WEB]: '172.18.0.7/16' } };
    expect((await callers.locate('172.18.0.7'))?.id).toBe(WEB);
  });

  it('a kept entry past its TTL is looked up again', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 1, log);
    callers.setWatching(true);
    await callers.locate('172.18.0.5');
    await new Promise((r) => setTimeout(r, 10));
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(2);
  });

  it('a look-up that began before a forget answers its request but is not kept', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    callers.setWatching(true);
    const release = u.hold();
    const pending = callers.locate('172.18.0.5');
    callers.forget(WEB);
    release();
    expect((await pending)?.id).toBe(WEB);
    await callers.locate('172.18.0.5');
    expect(callers.lookups).toBe(2);
  });

  it('misses during a look-up share one look-up queued behind it (it may predate their container)', async () => {
    const u = upstreamOf(world());
    const callers = new CallerAddresses(u.upstream, 60_000, log);
    const release = u.hold();
    const first = callers.locate('172.18.0.5');
    const second = callers.locate('172.18.0.5');
    const third = callers.locate('172.18.0.5');
    release();
    const found = await Promise.all([first, second, third]);
    expect(found.map((c) => c?.id)).toEqual([WEB, WEB, WEB]);
    expect(callers.lookups).toBe(2);
  });
});
