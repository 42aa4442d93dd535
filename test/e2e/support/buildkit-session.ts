import { randomBytes } from 'node:crypto';
import * as http2 from 'node:http2';
import * as net from 'node:net';

/** Where a session is opened: dockscope's TCP listener or the daemon's socket. */
export type SessionTarget = { readonly port: number } | { readonly socketPath: string };

export const HEALTH_CHECK = '/grpc.health.v1.Health/Check';
export const DIFF_COPY = '/moby.filesync.v1.FileSync/DiffCopy';

export interface OpenedSession {
  readonly id: string;
  readonly status: number;
  /** The answer's head and body when it was not a 101. */
  readonly answer: string;
  /** The gRPC methods the daemon called on this session (health checks left out). */
  readonly calls: string[];
  /** Resolves at the next call of `method` (or rejects after `ms`). */
  called(method: string, ms?: number): Promise<void>;
  close(): void;
}

/** A session id as the CLI makes them: 25 base-36 letters. */
export function newSessionId(): string {
  return BigInt(`0x${randomBytes(16).toString('hex')}`)
    .toString(36)
    .padStart(25, '0')
    .slice(0, 25);
}

/**
 * Opens a BuildKit session as the CLI does (`POST /session`, `Upgrade: h2c`) on a raw socket and,
 * after the 101, serves it: the daemon is the HTTP/2 client and calls the methods the session
 * exposes. Health checks are answered (the daemon drops a session that fails them); every other
 * call is recorded and, with `hold`, left open (a build then waits on it), else answered
 * `unimplemented`.
 */
export async function openBuildSession(
  at: SessionTarget,
  options: { id?: string; hold?: boolean; headers?: Record<string, string> } = {},
): Promise<OpenedSession> {
  const id = options.id ?? newSessionId();
  const socket = 'socketPath' in at ? net.connect(at.socketPath) : net.connect(at.port, '127.0.0.1');
  socket.on('error', () => {});
  const methods = [HEALTH_CHECK, DIFF_COPY, '/moby.filesync.v1.FileSync/TarStream'];
  const head = [
    'POST /session HTTP/1.1',
    'Host: docker',
    'Content-Length: 0',
    'Connection: Upgrade',
    'Upgrade: h2c',
    ...methods.map((m) => `X-Docker-Expose-Session-Grpc-Method: ${m}`),
    'X-Docker-Expose-Session-Name: ctx',
    `X-Docker-Expose-Session-Sharedkey: key-${id}`,
    `X-Docker-Expose-Session-Uuid: ${id}`,
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');
  const { status, text, rest } = await new Promise<{ status: number; text: string; rest: Buffer }>(
    (resolve, reject) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error('no answer to POST /session')), 10_000);
      const onData = (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0);
        if (status !== 101) return;
        finish(status, buf.subarray(0, end).toString('latin1'), buf.subarray(end + 4));
      };
      const finish = (s: number, t: string, r: Buffer) => {
        clearTimeout(timer);
        socket.off('data', onData);
        socket.off('end', onEnd);
        resolve({ status: s, text: t, rest: r });
      };
      // A refusal ends with its connection (hijack answers carry Connection: close).
      const onEnd = () =>
        finish(
          Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1'))?.[1] ?? 0),
          buf.toString('utf8'),
          Buffer.alloc(0),
        );
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.write(head);
    },
  );
  const calls: string[] = [];
  const waiting: { method: string; resolve: () => void }[] = [];
  const h2 = http2.createServer();
  if (status === 101) {
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    h2.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      stream.on('error', () => {});
      stream.resume();
      if (path === HEALTH_CHECK) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        // HealthCheckResponse{status: SERVING}, in one gRPC message frame.
        stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]));
        return;
      }
      calls.push(path);
      for (const w of waiting.filter((x) => x.method === path)) w.resolve();
      if (options.hold) return;
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '12',
          'grpc-message': 'test session',
        },
        { endStream: true },
      );
    });
    h2.on('sessionError', () => {});
    h2.emit('connection', socket);
  } else socket.destroy();
  return {
    id,
    status,
    answer: text,
    calls,
    called: (method, ms = 15_000) =>
      calls.includes(method)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`${method} was not called`)), ms);
            waiting.push({
              method,
              resolve: () => {
                clearTimeout(timer);
                resolve();
              },
            });
          }),
    close: () => {
      socket.destroy();
      h2.close();
    },
  };
}
