import { once } from 'node:events';
import * as net from 'node:net';

/** One request exactly as it reached the upstream. */
export interface RecordedRequest {
  readonly method: string;
  readonly target: string;
  /** Header lines as sent (name and value, letter case kept). */
  readonly headers: readonly (readonly [string, string])[];
  /** The body bytes as framed on the wire (chunked bodies keep their chunk framing). */
  readonly rawBody: string;
  /** The body with chunk framing removed. */
  readonly body: string;
  header(name: string): string | undefined;
}

export interface RawUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Every byte received, on every connection, in order of arrival per connection. */
  readonly connections: string[];
  /** Connections open now. */
  open(): number;
  close(): Promise<void>;
}

/**
 * What the upstream does with a request: answer these bytes; `null`, never answer (a hung upstream);
 * `{ cut }`, write these bytes and close the connection (an answer broken off); `{ hold }`, write these
 * bytes and keep the connection open without another byte (a quiet stream).
 */
export type Answer = (
  req: RecordedRequest,
) => string | null | { readonly cut: string } | { readonly hold: string };

export function httpAnswer(status: number, body = '', headers: Record<string, string> = {}): string {
  const lines = [`HTTP/1.1 ${status} X`];
  for (const [k, v] of Object.entries({ 'Content-Type': 'application/json', ...headers }))
    lines.push(`${k}: ${v}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', '');
  return lines.join('\r\n') + body;
}

/**
 * A deliberately lenient upstream on a raw socket (as httpxy's smuggling test builds one): it accepts
 * whatever framing arrives, records every request and every byte exactly, and answers each request
 * with `answer`. For proving what dockscope sends, not what an HTTP library would make of it.
 */
export async function startRawUpstream(answer: Answer): Promise<RawUpstream> {
  const requests: RecordedRequest[] = [];
  const connections: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const index = connections.push('') - 1;
    let buffer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      connections[index] += chunk;
      buffer += chunk;
      for (;;) {
        const parsed = parseOne(buffer);
        if (!parsed) break;
        buffer = buffer.slice(parsed.consumed);
        requests.push(parsed.request);
        const a = answer(parsed.request);
        if (a === null) return;
        if (typeof a !== 'string') {
          if ('cut' in a) socket.end(a.cut, () => socket.destroy());
          else socket.write(a.hold);
          return;
        }
        socket.write(a);
        if (/close/i.test(parsed.request.header('connection') ?? '')) {
          socket.end();
          return;
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections,
    open: () => sockets.size,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseOne(buffer: string): { request: RecordedRequest; consumed: number } | null {
  const end = buffer.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [requestLine = '', ...lines] = buffer.slice(0, end).split('\r\n');
  const [method = '', target = ''] = requestLine.split(' ');
  const headers = lines.map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()] as const;
  });
  const header = (name: string) => headers.find(([k]) => k.toLowerCase() === name)?.[1];
  let pos = end + 4;
  let body = '';
  if (/chunked/i.test(header('transfer-encoding') ?? '')) {
    for (;;) {
      const lineEnd = buffer.indexOf('\r\n', pos);
      if (lineEnd === -1) return null;
      const size = Number.parseInt(buffer.slice(pos, lineEnd), 16);
      if (buffer.length < lineEnd + 2 + size + 2) return null;
      body += buffer.slice(lineEnd + 2, lineEnd + 2 + size);
      pos = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
  } else {
    const length = Number(header('content-length') ?? 0);
    if (buffer.length < pos + length) return null;
    body = buffer.slice(pos, pos + length);
    pos += length;
  }
  const request: RecordedRequest = {
    method,
    target,
    headers,
    rawBody: buffer.slice(end + 4, pos),
    body,
    header: (name) => header(name.toLowerCase()),
  };
  return { request, consumed: pos };
}
