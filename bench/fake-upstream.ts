// Issue #26: a container list larger than the private dockerd can hold in a benchmark run (vfs copies
// the image for every container; see docs/benchmarks.md), served by a fake upstream. Its entries are
// the real daemon's, recorded, repeated with new ids and names. Clearly a fake: its figures are shown
// as such, beside the real daemon's.
import * as http from 'node:http';
import { containerName } from './fixtures.ts';

export interface FakeUpstream {
  readonly url: string;
  readonly bytes: number;
  close(): Promise<void>;
}

/**
 * The recorded list (`GET /containers/json?all=1` of the real daemon) grown to `n` entries: entry i is
 * recorded entry i mod length with the id and name of container i (visible every 10th, as the
 * fixture's), so dockscope keeps the same share.
 */
export function grownList(recorded: readonly Record<string, unknown>[], n: number): string {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const entry = recorded[i % recorded.length] ?? {};
    out.push({ ...entry, Id: i.toString(16).padStart(64, 'f'), Names: [`/${containerName(i)}`] });
  }
  return `${JSON.stringify(out)}\n`;
}

/**
 * Answers what a dockscope asks of its upstream for a list benchmark: `/_ping`, `/version` (the
 * recorded answer), `/events` (held open, quiet), and every `/containers/json` with the grown list,
 * whatever its filters (dockscope's name push-down is ignored: it filters all n entries itself, the
 * case of rules the daemon cannot decide). Anything else is a 404 in the daemon's shape.
 */
export async function startFakeUpstream(list: string, version: string): Promise<FakeUpstream> {
  const body = Buffer.from(list);
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/v[0-9.]+\//, '/');
    const json = (status: number, text: string | Buffer) => {
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (path === '/_ping') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.41', 'Content-Length': 2 });
      res.end('OK');
    } else if (path === '/version') json(200, version);
    else if (path.startsWith('/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => streams.delete(res));
    } else if (path.startsWith('/containers/json')) json(200, body);
    else json(404, '{"message":"page not found"}\n');
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    bytes: body.length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
