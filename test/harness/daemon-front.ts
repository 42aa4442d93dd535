import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface DaemonFront {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Paths (without the version prefix and query) of the requests that reached the front, in order. */
  readonly seen: string[];
  close(): Promise<void>;
}

/**
 * What the front does with a request: `'pass'` forwards it to the daemon; `{ status }` answers that
 * status with a Docker-style message; `'silent'` answers 200 with a chunked head and then nothing,
 * as an event stream of a daemon with no events would, but never ends (a stalled stream).
 */
export type FrontAction = 'pass' | 'silent' | { readonly status: number };

/**
 * An HTTP server in front of the real daemon's socket that passes every request through, except those
 * `decide` answers itself. For the faults a real daemon cannot produce on demand (a 503 on /events, an
 * event stream that stays silent while containers are renamed); everything else is the daemon's.
 */
export async function startDaemonFront(
  socketPath: string,
  decide: (path: string) => FrontAction,
): Promise<DaemonFront> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]?.replace(/^\/v[\d.]+/, '') ?? '';
    seen.push(path);
    const action = decide(path);
    if (action === 'silent') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.flushHeaders();
      return;
    }
    if (action !== 'pass') {
      const body = `{"message":"front: answered ${action.status}"}\n`;
      res.writeHead(action.status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
      return;
    }
    const up = http.request(
      { socketPath, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        // A stream's head goes on at once, as the daemon sent it (an event stream may stay quiet).
        res.flushHeaders();
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
