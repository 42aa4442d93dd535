import * as net from 'node:net';

/**
 * A TCP pass-through to 127.0.0.1:targetPort that records the request line of each HTTP request it
 * carries, so the benchmark can count what dockscope (a separate process) asks of its upstream.
 *
 * A request is recognised by a request line at the start of a chunk sent by the client, which holds
 * for the body-less requests measured here: Node writes each head in one piece, and requests sent one
 * after the other on a keep-alive connection arrive as separate chunks.
 */
export interface Counter {
  readonly url: string;
  /** `METHOD path` of every request seen since the last reset. */
  readonly seen: string[];
  reset(): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/;

export async function startCounter(targetPort: number): Promise<Counter> {
  let seen: string[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    open.add(client).add(upstream);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', done);
      socket.on('close', done);
    }
    client.on('data', (chunk: Buffer) => {
      const line = REQUEST_LINE.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 4096)));
      if (line) seen.push(`${line[1]} ${line[2]}`);
    });
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    get seen() {
      return seen;
    },
    reset() {
      seen = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
