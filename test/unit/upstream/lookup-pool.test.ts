import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Upstream } from '../../../src/upstream/client.ts';
import { countVisibleContainers } from '../../../src/upstream/count-containers.ts';
import { DaemonClient } from '../../../src/upstream/daemon-client.ts';
import { parseUpstreamUrl } from '../../../src/upstream/target.ts';

// dockscope's own questions (look-ups, the /info count) take the look-up pool, so that client traffic
// filling the client pool never starves them, nor they it. A fake upstream answers: what is measured
// is which pool a request went on, not what a daemon says.
const CONTAINERS = [
  { Id: 'a'.repeat(64), Names: ['/web'], Labels: {}, State: 'running' },
  { Id: 'b'.repeat(64), Names: ['/db'], Labels: {}, State: 'exited' },
];

let server: http.Server;
let upstream: Upstream;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/containers/json')) res.end(JSON.stringify(CONTAINERS));
    else if (req.url === '/volumes/create') {
      res.statusCode = 201;
      res.end(JSON.stringify({ Name: 'v', Labels: { owner: 'ci' } }));
    } else if (req.url?.startsWith('/volumes/'))
      res.end(JSON.stringify({ Driver: 'local', Labels: { a: 'b' } }));
    else {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'No such container: x' }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

// Each test counts the sockets of its own pools.
beforeEach(() => {
  const { port } = server.address() as AddressInfo;
  upstream = new Upstream(parseUpstreamUrl(`tcp://127.0.0.1:${port}`), 5000);
});
afterEach(() => upstream.destroy());

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** How many requests each pool has carried (sockets it made, free or in use). */
function pools() {
  const made = (agent: http.Agent) =>
    Object.values(agent.sockets).flat().length + Object.values(agent.freeSockets).flat().length;
  return { client: made(upstream.agent), lookup: made(upstream.controlAgent) };
}

describe("dockscope's own questions go on the look-up pool", () => {
  it('the /info count streams the container list on the look-up pool, not the client pool', async () => {
    const counts = await countVisibleContainers(upstream, (c) => c.name === 'web');
    expect(counts).toEqual({ total: 1, running: 1, paused: 0, stopped: 0 });
    expect(pools()).toEqual({ client: 0, lookup: 1 });
  });

  it("the daemon client's look-ups and its volume create take the look-up pool", async () => {
    const daemon = new DaemonClient(upstream, pino({ level: 'silent' }));
    expect(await daemon.container('x')).toBeNull();
    expect(await daemon.volumeLabels('v')).toEqual({ a: 'b' });
    expect(await daemon.createVolume('{"Name":"v"}')).toEqual({ owner: 'ci' });
    expect((await daemon.volumeUsers('v')).map((c) => c.name)).toEqual(['web', 'db']);
    expect(pools().client).toBe(0);
    expect(daemon.lookups).toBe(1);
  });
});
