import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import {
  descendantsOf,
  dieWithParent,
  isAlive,
  logTail,
  pidsMentioning,
  signal,
  terminate,
  waitForExit,
} from './process.ts';

export interface Daemon {
  /** Private temp dir holding the data root, exec root, socket, pidfile and log. */
  dir: string;
  socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST or `docker -H`. */
  host: string;
  pid: number;
  logPath: string;
  /** Force-removes every container of this daemon, stops it and deletes `dir`. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the daemon (SIGTERM, as a service manager would) and starts it again on the same data, socket
   * and pidfile; resolves when it answers `/_ping` again. Its containers are stopped by the restart.
   */
  restart(): Promise<void>;
}

export interface StartDaemonOptions {
  /** How long to wait for `/_ping` to answer. */
  readyTimeoutMs?: number;
}

const execFileAsync = promisify(execFile);

/** unix socket paths are limited to 108 bytes; a long $TMPDIR would push docker.sock past it. */
function shortTmpdir(): string {
  const base = tmpdir();
  return base.length > 60 ? '/tmp' : base;
}

function dockerdArgs(dir: string): string[] {
  // Namespaces unique to this daemon: should dockerd ever attach to a system containerd (it does when
  // /run/containerd/containerd.sock exists), its containers still cannot collide with another daemon's.
  const namespace = `dockscope-${basename(dir)}`;
  return [
    // An empty config file, so /etc/docker/daemon.json of the host cannot change the test daemon.
    ...['--config-file', join(dir, 'daemon.json')],
    ...['--data-root', join(dir, 'data')],
    ...['--exec-root', join(dir, 'exec')],
    ...['-H', `unix://${join(dir, 'docker.sock')}`],
    ...['--pidfile', join(dir, 'docker.pid')],
    ...['--containerd-namespace', namespace],
    ...['--containerd-plugins-namespace', `${namespace}-plugins`],
    // vfs works on any filesystem (overlay on overlay does not) and needs no kernel module.
    '--storage-driver=vfs',
    // No bridge, NAT or forwarding: tests run containers with --network none and must not alter the
    // host's firewall or sysctls.
    '--iptables=false',
    '--ip-masq=false',
    '--ip-forward=false',
    '--bridge=none',
    // Networks the tests make (--internal bridges) take their subnets from here, 256 of them: the
    // default pools hold about 30, which a full run's networks outgrew. 198.18.0.0/15 is the range
    // RFC 2544 sets aside for benchmarks, so it meets no real network of the host.
    ...['--default-address-pool', 'base=198.18.0.0/16,size=24'],
    ...['--shutdown-timeout', '2'],
    ...['--log-level', 'warn'],
  ];
}

function client(socketPath: string): Docker {
  return new Docker({ socketPath, timeout: 5_000 });
}

async function waitUntilReady(
  socketPath: string,
  exited: () => string | undefined,
  timeoutMs: number,
): Promise<void> {
  const docker = client(socketPath);
  const deadline = Date.now() + timeoutMs;
  let lastError = 'not tried';
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== undefined) throw new Error(`dockerd exited before it was ready (${exit})`);
    try {
      await docker.ping();
      return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`dockerd did not answer /_ping within ${timeoutMs} ms (last error: ${lastError})`);
}

async function removeAllContainers(socketPath: string): Promise<void> {
  const docker = client(socketPath);
  const containers = await docker.listContainers({ all: true });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true })));
}

/**
 * Mounts a daemon left under `dir` (shm, netns) after a hard kill; `rm -rf` fails with EBUSY on them.
 * Also for the Podman service (test/harness/podman.ts).
 */
export async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point?.startsWith(`${dir}/`) === true)
    .sort((a, b) => b.length - a.length);
  for (const point of points) {
    await execFileAsync('umount', ['-l', point]).catch(() => {});
  }
}

/**
 * After a clean shutdown nothing of the daemon is left. After a SIGKILL its containerd, the shims
 * (found by the daemon's unique dir in their command lines) and the container processes under the shims
 * are; there is no one left to stop them gracefully.
 */
async function killLeftovers(dir: string): Promise<void> {
  const roots = await pidsMentioning(`${dir}/`);
  if (roots.length === 0) return;
  const all = [...(await descendantsOf(roots)), ...roots];
  for (const pid of all) signal(pid, 'SIGKILL');
  for (const pid of all) await waitForExit(pid, 5_000);
}

async function readPid(pidfile: string, fallback: number): Promise<number> {
  try {
    const pid = Number((await readFile(pidfile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Starts a private dockerd in a fresh temp dir and waits until it answers `/_ping`.
 *
 * The daemon runs in its own session (detached) with its output in a file, so it neither holds the
 * test runner's event loop open nor receives the terminal's Ctrl-C. `stop()` ends it; should the runner
 * die without calling it, an 'exit' handler or the parent-death signal (see dieWithParent) sends it
 * SIGTERM, and only the temp dir is left behind.
 */
export async function startDaemon(opts: StartDaemonOptions = {}): Promise<Daemon> {
  const dir = await mkdtemp(join(shortTmpdir(), 'dsd-'));
  const socketPath = join(dir, 'docker.sock');
  const pidfile = join(dir, 'docker.pid');
  const logPath = join(dir, 'dockerd.log');
  await writeFile(join(dir, 'daemon.json'), '{}\n');

  const spawnDockerd = async () => {
    const log = await open(logPath, 'a');
    const [command, args] = dieWithParent('dockerd', dockerdArgs(dir));
    const child = spawn(command, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    // Listen before the first await: 'spawn' fires on the next tick and would be missed otherwise.
    const spawned = once(child, 'spawn');
    await log.close();
    await spawned;
    // Checked rather than asserted: a pid of -1 would make every kill below hit all processes.
    if (child.pid === undefined) throw new Error('dockerd started without a pid');
    child.unref();
    return child;
  };
  let child: Awaited<ReturnType<typeof spawnDockerd>>;
  try {
    child = await spawnDockerd();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot start dockerd: ${(err as Error).message}`);
  }
  let childPid = child.pid as number;
  // Read from the child's state, not from an 'exit' listener: a dockerd that fails at once may have
  // exited before any listener could be attached.
  const exitStatus = (): string | undefined => {
    if (child.signalCode !== null) return `signal ${child.signalCode}`;
    return child.exitCode === null ? undefined : `exit code ${child.exitCode}`;
  };

  // A runner that dies without calling stop() should at least not leave the daemon running.
  const onExit = (): void => signal(childPid, 'SIGTERM');
  process.once('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.removeListener('exit', onExit);
      try {
        if (await isAlive(childPid)) await removeAllContainers(socketPath).catch(() => {});
        await terminate(await readPid(pidfile, childPid), 15_000);
      } finally {
        await killLeftovers(dir);
        await unmountUnder(dir);
        await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      }
    })();
    return stopping;
  };

  try {
    await waitUntilReady(socketPath, exitStatus, opts.readyTimeoutMs ?? 30_000);
  } catch (err) {
    const tail = await logTail(logPath);
    await stop().catch(() => {});
    throw new Error(`${(err as Error).message}\n--- dockerd.log (tail) ---\n${tail}`);
  }

  const daemon: Daemon = {
    dir,
    socketPath,
    host: `unix://${socketPath}`,
    pid: await readPid(pidfile, childPid),
    logPath,
    stop,
    restart: async () => {
      await terminate(await readPid(pidfile, childPid), 15_000);
      child = await spawnDockerd();
      childPid = child.pid as number;
      await waitUntilReady(socketPath, exitStatus, opts.readyTimeoutMs ?? 30_000);
      daemon.pid = await readPid(pidfile, childPid);
    },
  };
  return daemon;
}
