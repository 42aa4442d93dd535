import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Daemon } from './daemon.ts';
import { dockerOk } from './docker-cli.ts';

/** Debian's busybox-static; the dynamic `busybox` package would need a libc inside the image. */
export const BUSYBOX_PATH = '/bin/busybox';

export const DEFAULT_IMAGE_TAG = 'dockscope-test:latest';

/** The applets tests may call by name inside the image (each a symlink to busybox in /bin). */
export const BUSYBOX_APPLETS = [
  'sh',
  'echo',
  'cat',
  'sleep',
  'ls',
  'env',
  'true',
  'false',
  'wc',
  'head',
  'tail',
  'printf',
  'id',
  'yes',
  'dd',
  'seq',
  'date',
  'mkdir',
  'rm',
  'touch',
  'grep',
  'tr',
] as const;

const execFileAsync = promisify(execFile);

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * Throws unless `path` is an ELF executable without a PT_INTERP header, i.e. one that runs in an image
 * that has no dynamic loader or libc.
 */
export async function assertStaticElf(path: string): Promise<void> {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(64);
    await file.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    const is64 = header[4] === 2;
    const le = header[5] === 1;
    const u16 = (buf: Buffer, at: number): number => (le ? buf.readUInt16LE(at) : buf.readUInt16BE(at));
    const u32 = (buf: Buffer, at: number): number => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    const phoff = is64
      ? Number(le ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20))
      : u32(header, 0x1c);
    const phentsize = u16(header, is64 ? 0x36 : 0x2a);
    const phnum = u16(header, is64 ? 0x38 : 0x2c);
    const table = Buffer.alloc(phentsize * phnum);
    await file.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) {
        throw new Error(`${path} is dynamically linked; install Debian's busybox-static`);
      }
    }
  } finally {
    await file.close();
  }
}

export async function buildRootfs(rootfs: string): Promise<void> {
  await assertStaticElf(BUSYBOX_PATH);
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'etc'));
  await mkdir(join(rootfs, 'root'), { mode: 0o700 });
  await mkdir(join(rootfs, 'tmp'));
  // mkdir's mode is filtered by the umask; the sticky world-writable bit needs an explicit chmod.
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile(BUSYBOX_PATH, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc', 'passwd'), PASSWD);
  await writeFile(join(rootfs, 'etc', 'group'), GROUP);
}

/**
 * Builds a one-binary busybox image and imports it into `daemon` under `tag`.
 *
 * There is no registry to pull from, so this is the only image the tests have; `docker import` keeps it
 * a single layer, which is quick even on the vfs driver.
 */
export async function importBusyboxImage(
  daemon: Pick<Daemon, 'host'>,
  tag: string = DEFAULT_IMAGE_TAG,
): Promise<string> {
  await dockerOk(daemon.host, ['import', '--change', 'CMD ["sh"]', '-', tag], {
    input: await busyboxTarball(),
  });
  return tag;
}

/** The busybox root file system as a tar stream, for `docker import` and `podman import`. */
export async function busyboxTarball(): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), 'dsi-'));
  try {
    const rootfs = join(work, 'rootfs');
    await buildRootfs(rootfs);
    // Numeric root ownership whoever runs the build, so files in the image are owned by uid 0.
    const { stdout } = await execFileAsync(
      'tar',
      ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-c', '.'],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
