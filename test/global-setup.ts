import type { TestProject } from 'vitest/node';
import { type Daemon, startDaemon } from './harness/daemon.ts';
import { importBusyboxImage } from './harness/image.ts';
import { type SocketProxy, startSocketProxy } from './harness/socket-proxy.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `unix://...` of the private dockerd shared by all e2e tests. */
    dockerHost: string;
    /** Path of that daemon's socket. */
    dockerSocket: string;
    /** `http://127.0.0.1:PORT` of an HAProxy socket proxy (allow all) in front of the daemon. */
    socketProxyUrl: string;
    /** Tag of the busybox image imported into the daemon. */
    image: string;
  }
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  console.log(`[e2e setup] ${label} in ${Math.round(performance.now() - started)} ms`);
  return result;
}

/** One daemon, image and socket proxy for the whole e2e run: starting dockerd per file would cost more. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let daemon: Daemon | undefined;
  let proxy: SocketProxy | undefined;
  const teardown = async (): Promise<void> => {
    // Proxy first, so nothing reaches the daemon while it shuts down.
    try {
      await proxy?.stop();
    } finally {
      await daemon?.stop();
    }
  };
  try {
    daemon = await timed('dockerd ready', () => startDaemon());
    const { host, socketPath } = daemon;
    const image = await timed('image imported', () => importBusyboxImage({ host }));
    proxy = await timed('haproxy ready', () => startSocketProxy(socketPath));
    project.provide('dockerHost', daemon.host);
    project.provide('dockerSocket', daemon.socketPath);
    project.provide('socketProxyUrl', proxy.url);
    project.provide('image', image);
  } catch (err) {
    await teardown().catch(() => {});
    throw new Error(`e2e global setup failed: ${(err as Error).message}`, { cause: err });
  }
  return teardown;
}
