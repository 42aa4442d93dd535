import { chmod, chown, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import type * as http from 'node:http';
import * as net from 'node:net';
import { basename, dirname, join } from 'node:path';
import type { ListenerConfig } from '../config/config.ts';
import { describeErrno } from '../errno-text.ts';

/** Where a server listens once it does: `unix:///path` or `host:port`. */
export function addressOf(server: net.Server): string {
  const addr = server.address();
  return typeof addr === 'string' ? `unix://${addr}` : addr ? `${addr.address}:${addr.port}` : '';
}

/** The TLS options of a listener (mutual TLS when it names a client CA: a certificate is required). */
export async function tlsOptions(listener: ListenerConfig) {
  const tls = listener.tls;
  if (!tls) return null;
  const read = (file: string, what: string) =>
    readFile(file).catch((error: unknown) => {
      throw new Error(`listener ${listener.name}: cannot read the ${what} ${file}: ${describeErrno(error)}`);
    });
  return {
    cert: await read(tls.cert, 'certificate'),
    key: await read(tls.key, 'key'),
    ...(tls.clientCa
      ? { ca: await read(tls.clientCa, 'client CA'), requestCert: true, rejectUnauthorized: true }
      : {}),
  };
}

/**
 * Listens as the listener says. A unix socket is created with its owner, group and mode before anyone
 * can connect: it is bound inside a fresh directory only root can enter (mode 0700), given its
 * permissions there, and then renamed into place, so there is no moment with looser ones. A socket
 * file left by an earlier run (nobody answers on it) is replaced; one something still listens on is
 * an error. Returns the function that removes the socket file again.
 */
export async function listen(server: http.Server, listener: ListenerConfig): Promise<() => Promise<void>> {
  const address = listener.address;
  if (!('socketPath' in address)) {
    await bind(server, () => server.listen(address.port, address.host));
    return async () => {};
  }
  const target = address.socketPath;
  await refuseLiveSocket(target, listener.name);
  const dir = await mkdtemp(join(dirname(target), `.${basename(target)}-`));
  try {
    await chmod(dir, 0o700);
    const staging = join(dir, 'sock');
    await bind(server, () => server.listen(staging));
    const mode = listener.socket?.mode ?? 0o660;
    await chmod(staging, mode);
    if (listener.socket?.owner !== undefined || listener.socket?.group !== undefined) {
      const owner = listener.socket.owner ?? -1;
      const group = listener.socket.group ?? -1;
      await chown(staging, owner, group).catch((error: unknown) => {
        // Named (issue #22): which listener, which socket, which owner, and why.
        throw new Error(
          `listener ${listener.name}: cannot give unix://${target} owner ${owner === -1 ? '-' : owner} group ${group === -1 ? '-' : group}: ${describeErrno(error)}` +
            ((error as NodeJS.ErrnoException).code === 'EPERM'
              ? ' (only root may give a socket another owner, and a group only one dockscope is in)'
              : ''),
        );
      });
    }
    await rename(staging, target);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return () => rm(target, { force: true });
}

function bind(server: http.Server, start: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    start();
  });
}

async function refuseLiveSocket(path: string, name: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info) return;
  if (!info.isSocket()) throw new Error(`listener ${name}: ${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`listener ${name}: something already listens on ${path}`);
}
