import { execFile } from 'node:child_process';
import {
  appendFile,
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Daemon } from './daemon.ts';
import { dockerOk } from './docker-cli.ts';
import { buildRootfs } from './image.ts';

const execFileAsync = promisify(execFile);

/** The base image the Dockerfile starts from; made here, since no image registry is reachable. */
export const NODE_BASE_TAG = 'node:24-alpine';

/** npm for the image's `npm ci`, from the npm registry (which these machines reach). */
const NPM_VERSION = '10.9.4';

/** The shared libraries a dynamically linked binary loads, as ldd resolves them on this machine. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ldd', [binary]);
  const paths = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) paths.add(m[1]);
  }
  return [...paths];
}

async function copyInto(rootfs: string, path: string): Promise<void> {
  const to = join(rootfs, path);
  await mkdir(dirname(to), { recursive: true });
  await copyFile(path, to);
  await chmod(to, (await stat(path)).mode & 0o777);
}

/**
 * Makes a stand-in for the official `node:24-alpine` and imports it under that name: the Node that
 * runs the tests (Node 24, from the npm registry) with the libraries it links, npm from the registry,
 * busybox for the shell, a `node` user (uid 1000) as the official image has, and this machine's CA
 * bundle and npm CA setting, so that `npm ci` in a build reaches the registry the way the host does.
 * It is glibc, not musl: what matters to the Dockerfile is `node`, `npm`, `/bin/sh` and the user.
 */
export async function importNodeBaseImage(daemon: Pick<Daemon, 'host'>): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'dsn-'));
  try {
    const rootfs = join(work, 'rootfs');
    await buildRootfs(rootfs);
    await appendFile(join(rootfs, 'etc', 'passwd'), 'node:x:1000:1000:node:/home/node:/bin/sh\n');
    await appendFile(join(rootfs, 'etc', 'group'), 'node:x:1000:\n');
    await mkdir(join(rootfs, 'home', 'node'), { recursive: true });
    await mkdir(join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
    // As in the official image (busybox's env): what `#!/usr/bin/env node` scripts, the dockscope
    // command among them, run through.
    await mkdir(join(rootfs, 'usr', 'bin'), { recursive: true });
    await symlink('/bin/busybox', join(rootfs, 'usr', 'bin', 'env'));
    await copyFile(process.execPath, join(rootfs, 'usr', 'local', 'bin', 'node'));
    await chmod(join(rootfs, 'usr', 'local', 'bin', 'node'), 0o755);
    for (const lib of await sharedLibraries(process.execPath)) await copyInto(rootfs, lib);
    const { stdout } = await execFileAsync('npm', [
      'pack',
      `npm@${NPM_VERSION}`,
      '--silent',
      '--pack-destination',
      work,
    ]);
    const tarball = join(work, stdout.trim().split('\n').pop() ?? '');
    const npmDir = join(rootfs, 'usr', 'local', 'lib', 'node_modules', 'npm');
    await mkdir(npmDir, { recursive: true });
    await execFileAsync('tar', ['-xzf', tarball, '-C', npmDir, '--strip-components=1']);
    await writeFile(
      join(rootfs, 'usr', 'local', 'bin', 'npm'),
      '#!/bin/sh\nexec node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
      { mode: 0o755 },
    );
    const ca = '/etc/ssl/certs/ca-certificates.crt';
    if (await stat(ca).catch(() => null)) {
      await copyInto(rootfs, ca);
      await mkdir(join(rootfs, 'usr', 'local', 'etc'), { recursive: true });
      await writeFile(join(rootfs, 'usr', 'local', 'etc', 'npmrc'), `cafile=${ca}\n`);
    }
    if ((await readdir(rootfs)).length === 0) throw new Error('empty rootfs');
    const { stdout: tar } = await execFileAsync(
      'tar',
      ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-c', '.'],
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024 },
    );
    await dockerOk(
      daemon.host,
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/bin:/bin',
        '--change',
        `ENV NODE_EXTRA_CA_CERTS=${ca}`,
        '--change',
        'CMD ["node"]',
        '-',
        NODE_BASE_TAG,
      ],
      { input: tar, timeoutMs: 300_000 },
    );
    return NODE_BASE_TAG;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
