import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/config.ts';
import type { Dockscope } from '../../../src/server/server.ts';
import { startDockscope } from '../../../src/server/server.ts';
import type { Daemon } from '../../harness/daemon.ts';
import { startDaemon } from '../../harness/daemon.ts';
import { dockerOk } from '../../harness/docker-cli.ts';
import { getFreePort } from '../../harness/free-port.ts';
import { importBusyboxImage } from '../../harness/image.ts';
import { tokenClient } from './fixtures.ts';

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

export type Owner = 'a' | 'b';

/**
 * dockscope in front of a swarm for two token clients `ci-a` and `ci-b`, each `containers: owned` with
 * its own owner and `create: { swarm: true }`; their tokens and CLI config folders are in `dir` (the
 * caller removes it).
 */
export async function startSwarmOwners(
  daemon: Daemon,
  dirPrefix: string,
): Promise<{
  dir: string;
  ds: Dockscope;
  host: string;
  tokens: Record<Owner, string>;
  cliDirs: Record<Owner, string>;
}> {
  const dir = await mkdtemp(join(tmpdir(), dirPrefix));
  const tokens: Record<Owner, string> = { a: '', b: '' };
  const cliDirs: Record<Owner, string> = { a: '', b: '' };
  for (const who of ['a', 'b'] as const) {
    ({ token: tokens[who], cliDir: cliDirs[who] } = await tokenClient(dir, who));
  }
  const yaml = `
upstream: ${daemon.host}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
${(['a', 'b'] as const)
  .map(
    (who) => `  - name: ci-${who}
    match: { token: { file: ${join(dir, `token-${who}`)} } }
    containers: owned
    owner: ci-${who}
    create: { swarm: true }`,
  )
  .join('\n')}
`;
  const ds = await startDockscope(
    loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
    pino({ level: 'silent' }),
  );
  return { dir, ds, host: `tcp://${ds.addresses.ci}`, tokens, cliDirs };
}
