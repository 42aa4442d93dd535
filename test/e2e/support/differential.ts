import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One scripted operation's outcome, with ids and the run's own prefix taken out. */
export interface Outcome {
  readonly op: string;
  readonly ok?: unknown;
  readonly status?: number;
  readonly error?: string;
  readonly exception?: string;
}

const HEX = /\b[0-9a-f]{12,64}\b/g;

/** The prefix becomes `<p>` and every container, image or network id `<id>`, at any depth. */
export function normalise(value: unknown, prefix: string): unknown {
  if (typeof value === 'string') return value.replaceAll(prefix, '<p>').replace(HEX, '<id>');
  if (Array.isArray(value)) return value.map((v) => normalise(v, prefix));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [normalise(k, prefix), normalise(v, prefix)]),
    );
  }
  return value;
}

/** Runs one operation and records what came of it: its value, or the daemon's status and message. */
export async function recordStep(
  outcomes: Outcome[],
  prefix: string,
  op: string,
  fn: () => Promise<unknown>,
): Promise<void> {
  try {
    outcomes.push({ op, ok: normalise(await fn(), prefix) });
  } catch (error) {
    const e = error as { statusCode?: number; json?: { message?: string }; message?: string };
    outcomes.push(
      e.statusCode === undefined
        ? { op, exception: 'Error', error: String(e.message) }
        : { op, status: e.statusCode, error: String(normalise(e.json?.message ?? e.message, prefix)) },
    );
  }
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a client program against `host` with no inherited Docker or Compose settings. */
export function runClient(
  file: string,
  args: readonly string[],
  host: string,
  cwd: string,
  extra: Record<string, string> = {},
): Promise<Run> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DOCKER_') && !k.startsWith('COMPOSE_')) env[k] = v;
  }
  Object.assign(env, extra);
  env.DOCKER_HOST = host;
  // A fresh, empty config: no credential helper or context of the host can change what runs.
  env.DOCKER_CONFIG = join(cwd, `.docker-${Math.random().toString(36).slice(2)}`);
  return new Promise((resolve) => {
    execFile(file, [...args], { env, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'differential.py');

/** The docker-py script (differential.py): one outcome per line. */
export async function runDockerPy(
  host: string,
  prefix: string,
  image: string,
  context: string,
): Promise<Outcome[]> {
  const run = await runClient('python3', [SCRIPT, prefix, image, context], host, context);
  if (run.code !== 0) throw new Error(`differential.py failed (${run.code}): ${run.stderr}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Outcome);
}

/** A docker-compose v1 project: the operations and what each printed and exited with. */
export async function runCompose(host: string, project: string, dir: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const compose = async (op: string, args: string[], keepStdout = true) => {
    const r = await runClient('docker-compose', ['-p', project, ...args], host, dir, {
      BUILT_TAG: `${project}-built`,
    });
    // stderr carries progress lines ("Creating ... done") whose order varies; the exit code and
    // the output of the command run are what a user relies on.
    const stdout = keepStdout ? r.stdout.replace(/^(\w+)_1\s+\| /gm, '$1 | ') : '';
    outcomes.push({ op, ok: normalise({ code: r.code, stdout }, project) });
    if (r.code !== 0 && !keepStdout) outcomes.push({ op: `${op} stderr`, error: r.stderr });
  };
  await compose('build', ['build', '--no-cache', 'built']);
  await compose('up -d', ['up', '-d'], false);
  await compose('exec -T -u -w -e (and the environment from the file)', [
    ...['exec', '-T', '-u', '1000', '-w', '/tmp', '-e', 'X=ex', 'web'],
    ...['sh', '-c', 'echo $GREETING; id -u; pwd; echo $X'],
  ]);
  await compose('run --rm (its exit code)', ['run', '--rm', '-T', 'web', 'sh', '-c', 'echo ran; exit 3']);
  await compose('logs', ['logs', '--no-color', 'web']);
  await compose('down -v', ['down', '-v'], false);
  return outcomes;
}

/** The Docker CLI (`cli` is its path): the same operations, each one's exit code and output. */
export async function runCli(
  cli: string,
  host: string,
  prefix: string,
  image: string,
  dir: string,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const docker = async (op: string, args: string[]) => {
    const r = await runClient(cli, args, host, dir);
    outcomes.push({ op, ok: normalise({ code: r.code, stdout: r.stdout, stderr: r.stderr }, prefix) });
  };
  const net = `${prefix}-cnet`;
  await docker('network create', ['network', 'create', '--internal', net]);
  await docker('run -d --network-alias', [
    ...['run', '-d', '--name', `${prefix}-ca`, '--network', net, '--network-alias', 'alias-a'],
    ...[image, 'sh', '-c', 'echo log of a; exec sleep 600'],
  ]);
  await docker('run -d --link --runtime (one link to a container that does not exist yet)', [
    ...['run', '-d', '--name', `${prefix}-cb`, '--network', net, '--runtime', 'runc'],
    ...['--link', `${prefix}-ca:la`, '--link', `${prefix}-cnotyet:later`, image, 'sleep', '600'],
  ]);
  await docker('exec -e -u -w', [
    ...['exec', '-e', 'X=ex', '-u', '1000', '-w', '/tmp', `${prefix}-cb`],
    ...['sh', '-c', 'echo $X; id -u; pwd'],
  ]);
  await docker('exec exit code', ['exec', `${prefix}-cb`, 'sh', '-c', 'exit 3']);
  await docker('inspect aliases and links', [
    ...[
      'inspect',
      '-f',
      '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.Aliases}} {{$v.Links}}{{end}} {{.HostConfig.Runtime}}',
    ],
    `${prefix}-cb`,
  ]);
  // Out of its network and back in with an alias and a link (one network: address pools are shared).
  await docker('network disconnect', ['network', 'disconnect', net, `${prefix}-ca`]);
  await docker('network connect --alias --link', [
    ...['network', 'connect', '--alias', 'again', '--link', `${prefix}-gone:g`, net, `${prefix}-ca`],
  ]);
  await docker('inspect the connected endpoint', [
    ...['inspect', '-f', `{{with index .NetworkSettings.Networks "${net}"}}{{.Aliases}} {{.Links}}{{end}}`],
    `${prefix}-ca`,
  ]);
  await docker('logs', ['logs', `${prefix}-ca`]);
  await docker('inspect a missing container', ['inspect', `${prefix}-nosuch`]);
  await docker('rm -f', ['rm', '-f', `${prefix}-ca`, `${prefix}-cb`]);
  await docker('network rm', ['network', 'rm', net]);
  return outcomes;
}
