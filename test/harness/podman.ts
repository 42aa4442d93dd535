import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { unmountUnder } from './daemon.ts';
import { busyboxTarball, DEFAULT_IMAGE_TAG } from './image.ts';
import {
  descendantsOf,
  dieWithParent,
  logTail,
  pidsMentioning,
  signal,
  terminate,
  waitForExit,
} from './process.ts';

/** A private `podman system service`: Podman's Docker-compatible API on a socket of its own. */
export interface PodmanService {
  /** Private temp dir holding the storage, run root, tmp dir, configuration, socket and log. */
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST, PROXY_URL or `podman --url`. */
  readonly host: string;
  readonly pid: number;
  readonly logPath: string;
  /** Removes every container of this service, stops it by its pid and deletes `dir`. Idempotent. */
  stop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

/**
 * Network none by default: the tests need no network, and a bridge would alter the host's firewall.
 * The nofile and nproc limits: as root, Podman raises both to 1048576 in each container, which this
 * sandbox (and CI's) refuses (`setting rlimit type 7 (NOFILE)` / `type 6` : operation not permitted).
 */
function containersConf(dir: string): string {
  return [
    '[containers]',
    'netns = "none"',
    'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]',
    'log_driver = "k8s-file"',
    '[engine]',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = "${join(dir, 'events.log')}"`,
    // Networks are kept in /etc/cni/net.d (or /etc/containers/networks) by default, outside --root:
    // this service keeps its own, so no test network outlives it or meets another run's.
    '[network]',
    `network_config_dir = "${join(dir, 'networks')}"`,
    '',
  ].join('\n');
}

/** Only this service's storage: the host's storage.conf must not point it elsewhere. */
function storageConf(dir: string): string {
  return [
    '[storage]',
    'driver = "vfs"',
    `runroot = "${join(dir, 'runroot')}"`,
    `graphroot = "${join(dir, 'root')}"`,
    '',
  ].join('\n');
}

/** The environment every podman process of this service runs with (the service and `podman --url`). */
function podmanEnv(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    TMPDIR: join(dir, 'tmp'),
  };
}

function globalArgs(dir: string): string[] {
  return [
    ...['--root', join(dir, 'root')],
    ...['--runroot', join(dir, 'runroot')],
    ...['--tmpdir', join(dir, 'tmp')],
    '--storage-driver=vfs',
    '--cgroup-manager=cgroupfs',
    '--events-backend=file',
  ];
}

/** Runs the podman CLI as a client of `service` (through its socket, not on the storage directly). */
export async function podmanOk(
  service: Pick<PodmanService, 'dir' | 'host'>,
  args: readonly string[],
  input?: Buffer,
): Promise<string> {
  const child = execFileAsync('podman', ['--url', service.host, ...args], {
    env: podmanEnv(service.dir),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  if (input !== undefined) child.child.stdin?.end(input);
  const { stdout } = await child;
  return stdout;
}

async function ping(socketPath: string): Promise<boolean> {
  const http = await import('node:http');
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping', method: 'GET', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2_000, () => req.destroy());
    req.end();
  });
}

/** conmon and the containers' processes outlive a killed service: found by the service's dir. */
async function killLeftovers(dir: string): Promise<void> {
  const roots = await pidsMentioning(`${dir}/`);
  if (roots.length === 0) return;
  const all = [...(await descendantsOf(roots)), ...roots];
  for (const pid of all) signal(pid, 'SIGKILL');
  for (const pid of all) await waitForExit(pid, 5_000);
}

/**
 * Starts `podman system service --time=0` on a socket in a fresh temp dir, with its own storage (vfs),
 * run root, tmp dir and containers.conf, and waits until it answers `/_ping`. Like the dockerd harness
 * it runs detached with its output in a file; `stop()` ends it by its pid.
 */
export async function startPodman(opts: { readyTimeoutMs?: number } = {}): Promise<PodmanService> {
  // unix socket paths are limited to 108 bytes: a short base.
  const dir = await mkdtemp(join(tmpdir().length > 60 ? '/tmp' : tmpdir(), 'dsp-'));
  for (const sub of ['root', 'runroot', 'tmp', 'networks']) await mkdir(join(dir, sub));
  await writeFile(join(dir, 'containers.conf'), containersConf(dir));
  await writeFile(join(dir, 'storage.conf'), storageConf(dir));
  const socketPath = join(dir, 'podman.sock');
  const logPath = join(dir, 'podman.log');
  const log = await open(logPath, 'a');
  const [command, args] = dieWithParent('podman', [
    ...globalArgs(dir),
    ...['--log-level', 'warn'],
    'system',
    'service',
    '--time=0',
    `unix://${socketPath}`,
  ]);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: podmanEnv(dir) });
    const spawned = once(child, 'spawn');
    await log.close();
    await spawned;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot start podman: ${(err as Error).message}`);
  }
  // Checked rather than asserted: a pid of -1 would make every kill below hit all processes.
  if (child.pid === undefined) throw new Error('podman started without a pid');
  const pid = child.pid;
  child.unref();
  const onExit = (): void => signal(pid, 'SIGTERM');
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const service: PodmanService = {
    dir,
    socketPath,
    host: `unix://${socketPath}`,
    pid,
    logPath,
    stop: () => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        try {
          await podmanOk(service, ['rm', '--force', '--all', '--time', '0']).catch(() => {});
          await terminate(pid, 15_000);
        } finally {
          await killLeftovers(dir);
          await unmountUnder(dir);
          await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        }
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  while (!(await ping(socketPath))) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    if (exited || Date.now() > deadline) {
      const tail = await logTail(logPath);
      await service.stop().catch(() => {});
      throw new Error(
        `podman system service ${exited ? 'exited' : 'did not answer /_ping'} before it was ready\n--- podman.log (tail) ---\n${tail}`,
      );
    }
    await sleep(100);
  }
  return service;
}

/** The busybox image of test/harness/image.ts, imported with `podman import` (a single layer). */
export async function importBusyboxIntoPodman(
  service: PodmanService,
  tag: string = DEFAULT_IMAGE_TAG,
): Promise<string> {
  await podmanOk(service, ['import', '--change', 'CMD ["sh"]', '-', tag], await busyboxTarball());
  return tag;
}
