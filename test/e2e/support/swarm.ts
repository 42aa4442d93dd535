import type { Daemon } from '../../harness/daemon.ts';
import { startDaemon } from '../../harness/daemon.ts';
import { dockerOk } from '../../harness/docker-cli.ts';
import { getFreePort } from '../../harness/free-port.ts';
import { importBusyboxImage } from '../../harness/image.ts';

/**
 * A private daemon made a single-node swarm manager (the shared test daemon is not: other files run
 * against it), with the test image. Stop it with `stopSwarm`.
 */
export async function startSwarm(): Promise<{ daemon: Daemon; image: string }> {
  const daemon = await startDaemon();
  const image = await importBusyboxImage(daemon);
  const port = await getFreePort();
  await dockerOk(daemon.host, [
    'swarm',
    'init',
    '--advertise-addr',
    '127.0.0.1',
    '--listen-addr',
    `127.0.0.1:${port}`,
  ]);
  return { daemon, image };
}
