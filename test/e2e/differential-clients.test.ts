import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import type { Outcome } from './support/differential.ts';
import { runCli, runCompose, runDockerPy } from './support/differential.ts';
import { runDockerode } from './support/differential-dockerode.ts';
import { withoutOwnerMarks } from './support/differential-owner.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { uniquePrefix } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/** The outcome of one operation, by name (each test also checks what the daemon itself did). */
const of = (outcomes: readonly Outcome[], op: string) => outcomes.find((o) => o.op === op);

/**
 * Issue #20: real client libraries work unchanged through dockscope. The same scripted operations run
 * through docker-py (Debian's python3-docker, high- and low-level API), dockerode and docker-compose
 * v1, once against the daemon and once through a dockscope with no rules (docker-py also through a
 * client with an owner), at the same time under different prefixes; the outcomes (exit codes, outputs, the fields of answers a client reads, error statuses and
 * messages; never ids) must be equal. Differences would be allowed only for a refusal docs/security.md
 * lists under "Refusals real clients hit": with no rules there is none (container prune, refused until
 * issue #20 even to a client that sees everything, is now forwarded).
 */
describe('the same client operations directly and through dockscope come out the same', () => {
  let proxy: RunningDockscope;
  /** A dockscope whose one client has an owner: what it makes carries its label, it sees what it owns. */
  let owned: Dockscope;
  let dir: string;
  /** docker-compose is the slowest client: its two runs start first and go on while the others run. */
  let composeRuns: Promise<[Outcome[], Outcome[]]>;
  const prefixes: string[] = [];
  const prefix = (base: string) => {
    const p = uniquePrefix(base);
    prefixes.push(p);
    return p;
  };

  beforeAll(async () => {
    proxy = await startTestDockscope({ PROXY_URL: dockerHost });
    dir = await mkdtemp(join(tmpdir(), 'ds-diff-'));
    const yaml = `upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - { name: ci-a, match: { listener: ci }, owner: ci-a, containers: owned }
`;
    owned = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'Dockerfile'), `FROM ${image}\nRUN echo built in sub\n`);
    await writeFile(
      join(dir, 'sub', 'Dockerfile.args'),
      `FROM ${image} AS first\nRUN true\nFROM ${image} AS final\nARG GREETING\nRUN echo "$GREETING" && cat /etc/hosts | tail -1 && df -k /dev/shm | tail -1\n`,
    );
    await writeFile(
      join(dir, 'docker-compose.yml'),
      `version: "2.4"
services:
  db:
    image: ${image}
    command: ["sleep", "600"]
    networks:
      default:
        aliases: [database]
  built:
    build: { context: ., dockerfile: sub/Dockerfile }
    image: \${BUILT_TAG:-built}
    command: ["sleep", "600"]
    network_mode: none
  web:
    image: ${image}
    command: ["sh", "-c", "echo started web; exec sleep 600"]
    environment: [GREETING=hello]
    links: ["db:dbalias"]
    depends_on: [db]
    runtime: runc
    volumes: ["data:/data"]
networks:
  default:
    internal: true
volumes:
  data: {}
`,
    );
    composeRuns = Promise.all([
      runCompose(dockerHost, prefix('dcd'), dir),
      runCompose(proxy.host, prefix('dct'), dir),
    ]);
    // Awaited by its test; a failure must not surface before as an unhandled rejection.
    composeRuns.catch(() => {});
  });
  afterAll(async () => {
    await proxy?.close();
    await owned?.close();
    // Whatever a failed run left behind.
    const leftovers = (
      await dockerCli(dockerHost, ['ps', '-aq', ...prefixes.flatMap((p) => ['--filter', `name=${p}`])])
    ).stdout
      .split('\n')
      .filter(Boolean);
    if (leftovers.length > 0) await dockerCli(dockerHost, ['rm', '-f', '-v', ...leftovers]);
    // docker-compose's built image (down -v leaves images; --rmi all would take the test image too).
    await dockerCli(dockerHost, ['rmi', ...prefixes.map((p) => `${p}-built`)]);
    await rm(dir, { recursive: true, force: true });
  });

  it('docker-py: networks with links and aliases, create with runtime and resources, exec in every form, build', async () => {
    const [direct, through, owner] = await Promise.all([
      runDockerPy(dockerHost, prefix('dpd'), image, dir),
      runDockerPy(proxy.host, prefix('dpt'), image, dir),
      runDockerPy(`tcp://${owned.addresses.ci}`, prefix('dpo'), image, dir),
    ]);
    // What the daemon itself does, so that equal outcomes cannot mean "both broken".
    expect(direct.filter((o) => o.ok === undefined)).toEqual([of(direct, 'missing container')]);
    expect(of(direct, 'exec demux')?.ok).toEqual([0, ['out\n', 'err\n']]);
    expect(of(direct, 'exec user')?.ok).toEqual([0, '1000\n']);
    expect(of(direct, 'exec workdir')?.ok).toEqual([0, '/tmp\n']);
    expect(of(direct, 'exec environment')?.ok).toEqual([0, 'ex 2\n']);
    expect(of(direct, 'exec tty')?.ok).toEqual([0, 'tty\r\n']);
    expect(
      ((of(direct, 'low-level exec create, start, inspect')?.ok ?? []) as unknown[]).slice(0, 2),
    ).toEqual(['d\n', 4]);
    expect(of(direct, 'network connect with aliases and links, disconnect')?.ok).toEqual([
      { aliases: ['sidekick'], links: ['<p>-db:db2', '<p>-gone:g'] },
      [],
    ]);
    expect(of(direct, 'build: dockerfile in a subdirectory, on a user-defined network')?.ok).toMatchObject({
      errors: [],
      output: expect.arrayContaining(['built in sub', 'Successfully tagged <p>-img:latest']),
    });
    expect(of(direct, 'missing container')).toMatchObject({
      status: 404,
      error: 'No such container: <p>-nosuch',
    });
    expect(of(direct, 'container prune (filtered by label)')?.ok).toBe(1);
    expect(through).toEqual(direct);
    // An owner client differs only as docs/security.md says: its label on what it makes, and the
    // build step that puts it on the image.
    expect(of(owner, 'create with options (runtime, resources, endpoint aliases)')).toMatchObject({
      ok: { labels: { 'dockscope.owner': 'ci-a' } },
    });
    expect(withoutOwnerMarks(owner, 'ci-a')).toEqual(direct);
  });

  it('dockerode: create with runtime and endpoint links, hijacked exec, network connect, logs', async () => {
    const [direct, through] = await Promise.all([
      runDockerode(new Docker({ socketPath: dockerSocket }), prefix('dod'), image),
      runDockerode(
        new Docker({ host: '127.0.0.1', port: proxy.port, protocol: 'http' }),
        prefix('dot'),
        image,
      ),
    ]);
    expect(of(direct, 'create with runtime, endpoint aliases and links')?.ok).toEqual({
      runtime: 'runc',
      memory: 64 * 1024 * 1024,
      running: true,
      endpoint: { aliases: ['appalias'], links: ['<p>-notyet:later'] },
    });
    expect(of(direct, 'exec stdout and stderr')?.ok).toEqual([0, ['out\n', 'err\n']]);
    expect(of(direct, 'exec exit code')?.ok).toEqual([5, ['', '']]);
    expect(of(direct, 'missing container')).toMatchObject({ status: 404 });
    expect(through).toEqual(direct);
  });

  it.each([
    ['20.10', '/usr/bin/docker'],
    ['28.2', '/usr/local/bin/docker'],
  ])(
    'the Docker CLI %s: run with aliases, links and runtime, exec -e -u -w, network connect, logs',
    async (_v, cli) => {
      const [direct, through] = await Promise.all([
        runCli(cli, dockerHost, prefix('dxd'), image, dir),
        runCli(cli, proxy.host, prefix('dxt'), image, dir),
      ]);
      expect(of(direct, 'exec -e -u -w')?.ok).toEqual({ code: 0, stdout: 'ex\n1000\n/tmp\n', stderr: '' });
      expect(of(direct, 'exec exit code')?.ok).toMatchObject({ code: 3 });
      expect(of(direct, 'inspect aliases and links')?.ok).toEqual({
        code: 0,
        stdout: '<p>-cnet [<id>] [<p>-ca:la <p>-cnotyet:later] runc\n',
        stderr: '',
      });
      expect(of(direct, 'inspect the connected endpoint')?.ok).toEqual({
        code: 0,
        stdout: '[again <id>] [<p>-gone:g]\n',
        stderr: '',
      });
      expect(of(direct, 'inspect a missing container')?.ok).toMatchObject({ code: 1 });
      expect(through).toEqual(direct);
    },
  );

  it('docker-compose v1: up -d, exec -T, run --rm, logs, down -v', async () => {
    const [direct, through] = await composeRuns;
    expect(direct.map((o) => (o.ok as { code: number } | undefined)?.code)).toEqual([0, 0, 0, 3, 0, 0]);
    expect(((of(direct, 'build')?.ok ?? {}) as { stdout?: string }).stdout).toContain('built in sub');
    expect(of(direct, 'exec -T -u -w -e (and the environment from the file)')?.ok).toEqual({
      code: 0,
      stdout: 'hello\n1000\n/tmp\nex\n',
    });
    expect(of(direct, 'run --rm (its exit code)')?.ok).toEqual({ code: 3, stdout: 'ran\n' });
    expect(of(direct, 'logs')?.ok).toEqual({
      code: 0,
      stdout: 'Attaching to <p>_web_1\nweb | started web\n',
    });
    expect(through).toEqual(direct);
  });
});
