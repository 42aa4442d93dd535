import { createServer } from 'node:net';

/**
 * Asks the kernel for a currently free TCP port on `host`.
 *
 * The port is released before it is returned, so another process may grab it before the caller
 * binds: callers that spawn a server on it must be ready to retry with a new port.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
