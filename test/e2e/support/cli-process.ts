import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { dockerCliEnv } from '../../harness/docker-cli.ts';

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything printed on stdout and stderr so far. */
  output(): string;
  /** Resolves when the output matches, rejects after timeoutMs with what was seen. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  exited(): Promise<number>;
  kill(): void;
}

/**
 * Starts a long-running docker CLI command (logs -f, events, stats, an interactive exec) whose output
 * is read while it runs. With `tty`, it runs under script(1) so that the CLI sees a terminal, as a
 * person's shell would give it.
 */
export function startCli(host: string, args: readonly string[], opts: { tty?: boolean } = {}): CliProcess {
  const env = dockerCliEnv(host);
  const quoted = ['docker', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = opts.tty
    ? spawn('script', ['-qfec', quoted, '/dev/null'], { env })
    : spawn('docker', [...args], { env });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(`timed out waiting for ${pattern} in output: ${JSON.stringify(out.slice(-2000))}`),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited: () => exit,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
