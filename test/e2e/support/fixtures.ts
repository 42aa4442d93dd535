import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dockerCli, dockerOk } from '../../harness/docker-cli.ts';

/** A unique prefix per test file, so parallel files never match each other's containers. */
export function uniquePrefix(base: string): string {
  return `${base}${randomBytes(3).toString('hex')}`;
}

export interface ContainerSpec {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  /** The command; defaults to printing a log line then sleeping. */
  readonly cmd?: readonly string[];
  /** Create only (do not start). */
  readonly createOnly?: boolean;
}

export interface Fixture {
  readonly name: string;
  readonly id: string;
}

/** Creates (and starts) a container directly on the daemon, with no network, as the tests' ground truth. */
export async function createContainer(
  dockerHost: string,
  image: string,
  spec: ContainerSpec,
): Promise<Fixture> {
  const args = [
    spec.createOnly ? 'create' : 'run',
    ...(spec.createOnly ? [] : ['-d']),
    '--network',
    'none',
    '--name',
    spec.name,
  ];
  for (const [k, v] of Object.entries(spec.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(spec.env ?? {})) args.push('--env', `${k}=${v}`);
  args.push(image, ...(spec.cmd ?? ['sh', '-c', `echo log-of-${spec.name}; exec sleep 3600`]));
  const out = await dockerOk(dockerHost, args);
  const id = out.trim().split('\n').pop() ?? '';
  return { name: spec.name, id };
}

export async function removeContainers(dockerHost: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await dockerCli(dockerHost, ['rm', '-f', '-v', ...names]);
}

/** Waits until `probe` returns true (polling), or fails with `what`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A client that identifies by a bearer token: the token (written to `<dir>/token-<who>` for the
 * configuration's `match.token.file`) and a docker CLI config folder that sends it.
 */
export async function tokenClient(dir: string, who: string): Promise<{ token: string; cliDir: string }> {
  const token = `tok-${who}-${randomBytes(9).toString('hex')}`;
  await writeFile(join(dir, `token-${who}`), `${token}\n`);
  const cliDir = join(dir, `cli-${who}`);
  await mkdir(cliDir);
  await writeFile(
    join(cliDir, 'config.json'),
    JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
  );
  return { token, cliDir };
}
