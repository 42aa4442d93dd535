import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '../test/harness/free-port.ts';
import { logTail, signal, terminate } from '../test/harness/process.ts';
import { EXACT_LABEL_RULE, NAME_RULE, SUBSTRING_LABEL_RULE } from './fixtures.ts';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const PACKAGE = new URL('../package.json', import.meta.url);

/**
 * The node flags `npm start` runs dockscope with (`node <flags> dist/main.js`), so that the benchmark
 * measures the process as it is deployed.
 */
export async function startFlags(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(PACKAGE, 'utf8')) as { scripts?: Record<string, string> };
  const words = (pkg.scripts?.start ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || words[words.length - 1] !== 'dist/main.js') {
    throw new Error(`package.json "start" is not "node [flags] dist/main.js": ${pkg.scripts?.start}`);
  }
  return words.slice(1, -1);
}
const ATTEMPTS = 3;

export interface DockscopeProcess {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly pid: number;
  /** Milliseconds from spawning the process to its first answer to `/_ping`. */
  readonly readyMs: number;
  /** How it ended (`exit code 0`, `signal SIGKILL`), or undefined while it runs. */
  exited(): string | undefined;
  /** SIGTERM (dockscope closes and exits 0, which also writes a `--cpu-prof` profile). Idempotent. */
  stop(): Promise<void>;
}

export interface DockscopeOptions {
  readonly proxyUrl: string;
  /** A private directory: the working directory (so no `.env` is read) and the log. */
  readonly dir: string;
  readonly name: string;
  /** Node flags: those of `npm start` (see startFlags) and e.g. `--cpu-prof`. */
  readonly nodeArgs: readonly string[];
  /** `warn` unless given. */
  readonly logLevel?: string;
  /** More environment (caps, timeouts), applied last. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Runs with a configuration file instead of the scoping variables: the YAML for the port dockscope
   * is to listen on (its first listener must use it).
   */
  readonly config?: (port: number) => Promise<string> | string;
  /** The script to run instead of `dist/main.js` (the bare Node proxy, which reads LISTEN and PROXY_URL). */
  readonly script?: string;
  /** How often `/_ping` is tried until it answers (ms; 50 unless given): small for start-up times. */
  readonly pollMs?: number;
  /** Headers of the readiness `/_ping` (a token client's, where only a token is let in). */
  readonly readyHeaders?: Readonly<Record<string, string>>;
}

async function waitUntilReady(
  url: string,
  child: ChildProcess,
  pollMs = 50,
  headers: Readonly<Record<string, string>> = {},
): Promise<void> {
  const deadline = Date.now() + 15_000;
  let last = 'not tried';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/_ping`, { headers, signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(pollMs);
  }
  throw new Error(`no answer to /_ping within 15 s (last: ${last})`);
}

const started: { name: string; process: DockscopeProcess; stopped: () => boolean }[] = [];

/**
 * How each dockscope started so far ended, for a failed run: one that exited although the benchmark
 * never stopped it explains a "fetch failed" (on a shared host, a stray kill of a reused pid can do it).
 */
export async function describeExits(): Promise<string> {
  await sleep(200); // let 'exit' of a process that just died be processed
  return started
    .map(({ name, process: p, stopped }) => {
      const how = p.exited();
      const state =
        how === undefined ? 'running' : `${how}${stopped() ? '' : ' (NOT stopped by the benchmark)'}`;
      return `${name} (pid ${p.pid}): ${state}`;
    })
    .join('\n');
}

/** What each of the three configured clients sees: the `containers:` entry of its file. */
export const SCOPES = {
  /** `ds`: by name (pushed down to the daemon as a `name` filter). */
  names: `{ names: [${NAME_RULE}] }`,
  /** `dsl`: one exact label rule (pushed down as a `label` filter; issue #26). */
  exactLabel: `{ labels: ["${EXACT_LABEL_RULE}"], match: exact }`,
  /** `dss`: one substring label rule (not pushed down: dockscope filters the whole list). */
  substringLabel: `{ labels: ["${SUBSTRING_LABEL_RULE}"] }`,
} as const;

/**
 * The configuration the targets of issue #13 hold for: three clients, each scoped to `bench-vis*`
 * (or to the visible containers' label: `scope`) with SCRUB_ENVS on: a token client on another
 * listener, a source address that does not match, and the listener the load comes in on, so every
 * measured request is identified after two failed matches.
 */
export function startConfigured(
  opts: Pick<DockscopeOptions, 'proxyUrl' | 'dir' | 'name' | 'nodeArgs'>,
  containers: string = SCOPES.names,
): Promise<DockscopeProcess> {
  const scope = `containers: ${containers}, scrubEnvs: true`;
  return startDockscopeProcess({
    ...opts,
    env: { BENCH_TOKEN: 'bench-token' },
    config: async (port) => `listeners:
  - { name: lan, address: "127.0.0.1:${port}" }
  - { name: api, address: "127.0.0.1:${await getFreePort()}" }
clients:
  - { name: scripts, match: { listener: api, token: { env: BENCH_TOKEN } }, ${scope} }
  - { name: dashboard, match: { from: [10.0.0.0/8] }, ${scope} }
  - { name: local, match: { listener: lan }, ${scope} }
`,
  });
}

/** Starts `node dist/main.js` as its own process, scoped to `bench-vis*`, and waits for `/_ping`. */
export async function startDockscopeProcess(opts: DockscopeOptions): Promise<DockscopeProcess> {
  const logPath = join(opts.dir, `${opts.name}.log`);
  let failures = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    // The free port may be taken before dockscope binds it: then it exits and we try another.
    const port = await getFreePort();
    const url = `http://127.0.0.1:${port}`;
    const log = await open(logPath, 'a');
    let scoping: Record<string, string> = {
      LISTEN: `127.0.0.1:${port}`,
      CONTAINER_NAMES: NAME_RULE,
      CONTAINER_LABELS: '',
    };
    if (opts.config) {
      const file = join(opts.dir, `${opts.name}.yml`);
      await writeFile(file, await opts.config(port));
      scoping = { DOCKSCOPE_CONFIG: file };
    }
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [...opts.nodeArgs, opts.script ?? MAIN], {
      cwd: opts.dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PROXY_URL: opts.proxyUrl,
        ...scoping,
        LOG_LEVEL: opts.logLevel ?? 'warn',
        ...opts.env,
      },
      stdio: ['ignore', log.fd, log.fd],
    });
    const spawned = once(child, 'spawn');
    await log.close();
    await spawned;
    const pid = child.pid;
    if (pid === undefined) throw new Error('dockscope started without a pid');
    const onExit = (): void => signal(pid, 'SIGKILL');
    process.once('exit', onExit);
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        process.removeListener('exit', onExit);
        await terminate(pid, 10_000);
      })();
      return stopping;
    };
    try {
      await waitUntilReady(url, child, opts.pollMs, opts.readyHeaders);
      const readyMs = performance.now() - spawnedAt;
      const exited = (): string | undefined =>
        child.signalCode !== null
          ? `signal ${child.signalCode}`
          : child.exitCode === null
            ? undefined
            : `exit code ${child.exitCode}`;
      const proc: DockscopeProcess = { url, pid, readyMs, exited, stop };
      started.push({ name: opts.name, process: proc, stopped: () => stopping !== undefined });
      return proc;
    } catch (error) {
      await stop();
      failures += `attempt ${attempt} on port ${port}: ${(error as Error).message}\n`;
    }
  }
  throw new Error(
    `cannot start dockscope (${opts.name}):\n${failures}--- log ---\n${await logTail(logPath)}`,
  );
}
