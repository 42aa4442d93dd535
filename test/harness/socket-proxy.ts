import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { getFreePort } from './free-port.ts';
import { haproxyConfig } from './haproxy-config.ts';
import { dieWithParent, logTail, signal, terminate } from './process.ts';

export interface SocketProxy {
  /** `http://127.0.0.1:PORT`; the Docker CLI wants it as `tcp://127.0.0.1:PORT`. */
  url: string;
  port: number;
  logPath: string;
  /** Stops HAProxy and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface SocketProxyOptions {
  /** API sections answered 403 (e.g. `['events', 'exec']`); everything else passes. */
  deny?: string[];
  /** Plain HTTP with keep-alive (no exec/attach): see `haproxyConfig`. */
  keepAlive?: boolean;
}

const ATTEMPTS = 5;
const READY_TIMEOUT_MS = 10_000;

/** Resolves once `/_ping` through the proxy answers 200; rejects if HAProxy exits first. */
async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'not tried';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`haproxy exited (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/_ping`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `status ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(50);
  }
  throw new Error(`haproxy did not answer /_ping within ${READY_TIMEOUT_MS} ms (last error: ${lastError})`);
}

async function spawnHaproxy(dir: string, configPath: string, logPath: string): Promise<ChildProcess> {
  const log = await open(logPath, 'a');
  // -db: stay in the foreground without the master-worker split, so the child is HAProxy itself and a
  // SIGTERM to it stops everything at once.
  const [command, args] = dieWithParent('haproxy', ['-f', configPath, '-db']);
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', log.fd, log.fd] });
  // Listen before the first await: 'spawn' fires on the next tick and would be missed otherwise.
  const spawned = once(child, 'spawn');
  await log.close();
  await spawned;
  // Output goes to a file and stop() ends the process: nothing here should keep the runner alive.
  child.unref();
  return child;
}

/**
 * Starts Debian's HAProxy as a Docker socket proxy on 127.0.0.1 in front of `socketPath`
 * (see haproxy-config.ts for the routing and why it looks the way it does).
 */
export async function startSocketProxy(
  socketPath: string,
  opts: SocketProxyOptions = {},
): Promise<SocketProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'dsh-'));
  const configPath = join(dir, 'haproxy.cfg');
  const logPath = join(dir, 'haproxy.log');
  let failures = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    // The free port may be taken again before HAProxy binds it; then HAProxy exits and we retry.
    const port = await getFreePort();
    const url = `http://127.0.0.1:${port}`;
    await writeFile(
      configPath,
      haproxyConfig({ port, socketPath, deny: opts.deny ?? [], keepAlive: opts.keepAlive ?? false }),
    );
    const child = await spawnHaproxy(dir, configPath, logPath);
    const pid = child.pid;
    if (pid === undefined) throw new Error('haproxy started without a pid');
    // A runner that dies without calling stop() should not leave HAProxy or its temp dir behind.
    const onExit = (): void => {
      signal(pid, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    };
    process.once('exit', onExit);
    const stopProcess = async (): Promise<void> => {
      process.removeListener('exit', onExit);
      await terminate(pid, 5_000);
    };
    try {
      await waitUntilReady(url, child);
    } catch (err) {
      await stopProcess();
      failures += `attempt ${attempt} on port ${port}: ${(err as Error).message}\n`;
      continue;
    }
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= stopProcess().finally(() => rm(dir, { recursive: true, force: true }));
      return stopping;
    };
    return { url, port, logPath, stop };
  }
  const tail = await logTail(logPath);
  await rm(dir, { recursive: true, force: true });
  throw new Error(`cannot start haproxy:\n${failures}--- haproxy.log (tail) ---\n${tail}`);
}
