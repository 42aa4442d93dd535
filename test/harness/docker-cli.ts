import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DockerCliOptions {
  /** Written to the CLI's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** The CLI is SIGKILLed after this long and the result gets code 124, like timeout(1). */
  timeoutMs?: number;
  /** Extra environment, applied last; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Runs the CLI as this user and group (through setpriv, with no supplementary groups). */
  asUser?: { uid: number; gid: number };
  /** Another CLI binary than the `docker` on PATH (e.g. Debian's 20.10, whose build has BuildKit built in). */
  dockerPath?: string;
}

export interface DockerCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * A private DOCKER_CONFIG path, so that neither the user's config.json (credential helpers, proxies, a
 * current context pointing at another daemon), CLI plugins, nor another test's leftovers can change
 * what the CLI does. The directory is deliberately not created: a missing one reads as empty, and
 * run/exec/logs/cp/events/build never create it, so a worker that vitest SIGTERMs in the middle of a
 * call leaves nothing behind. Only a writing command (login, context create) creates it.
 */
function freshConfigDir(): string {
  return join(tmpdir(), `dsc-cfg-${randomUUID()}`);
}

function cliEnv(host: string, configDir: string, extra: DockerCliOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Drop every inherited DOCKER_* variable (DOCKER_CONTEXT, DOCKER_TLS_VERIFY, ...): the only daemon a
  // test may reach is the one it names.
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('DOCKER_')) env[key] = value;
  }
  env.DOCKER_HOST = host;
  env.DOCKER_CONFIG = configDir;
  // Keeps "What's next" hints and similar chatter out of stdout/stderr that tests compare.
  env.DOCKER_CLI_HINTS = 'false';
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * The environment `dockerCli` runs the CLI with, for tests that spawn `docker` themselves (long-running
 * or interactive commands): only `host`, no inherited DOCKER_* variable, a private DOCKER_CONFIG.
 */
export function dockerCliEnv(host: string, extra?: DockerCliOptions['env']): NodeJS.ProcessEnv {
  return cliEnv(host, freshConfigDir(), extra);
}

/**
 * Runs the real `docker` CLI against `host` (`unix://...` or `tcp://127.0.0.1:PORT`).
 *
 * Resolves with the exit code whatever it is; rejects only when the CLI cannot be started at all.
 */
export async function dockerCli(
  host: string,
  args: string[],
  opts: DockerCliOptions = {},
): Promise<DockerCliResult> {
  const configDir = freshConfigDir();
  try {
    return await runCli(args, cliEnv(host, configDir, opts.env), opts);
  } finally {
    // A no-op unless the command wrote a config (see freshConfigDir).
    await rm(configDir, { recursive: true, force: true });
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv, opts: DockerCliOptions): Promise<DockerCliResult> {
  return new Promise((resolve, reject) => {
    const [command, argv] = opts.asUser
      ? [
          'setpriv',
          [
            '--reuid',
            String(opts.asUser.uid),
            '--regid',
            String(opts.asUser.gid),
            '--clear-groups',
            opts.dockerPath ?? 'docker',
            ...args,
          ],
        ]
      : [opts.dockerPath ?? 'docker', args];
    const child = spawn(command, argv, {
      env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let err = Buffer.concat(stderr).toString('utf8');
      let exitCode = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
      if (timedOut) {
        exitCode = 124;
        err += `\n[dockerCli] docker ${args.join(' ')} timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
      }
      resolve({ code: exitCode, stdout: Buffer.concat(stdout).toString('utf8'), stderr: err });
    });

    if (opts.input !== undefined && child.stdin !== null) {
      // The CLI may exit before reading all of its input (e.g. the container is gone); that is the
      // test's business, not a reason to crash the test process with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** Like `dockerCli`, but throws (with stderr) unless the CLI exits 0; returns stdout. */
export async function dockerOk(host: string, args: string[], opts: DockerCliOptions = {}): Promise<string> {
  const result = await dockerCli(host, args, opts);
  if (result.code !== 0) {
    throw new Error(`docker ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
