import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { Run } from './support/differential.ts';
import { normalise, runClient } from './support/differential.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { uniquePrefix } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

/** The two CLIs users run: Debian's 20.10 and 28.2. */
const CLIS = { '20.10': '/usr/bin/docker', '28.2': '/usr/local/bin/docker' } as const;

/**
 * Builds with a Dockerfile at a path inside the context and on a user-defined network (issue #20),
 * through both CLIs. With the classic builder they answer exactly as directly. With BuildKit
 * (`DOCKER_BUILDKIT=1`) the client sends the context and the Dockerfile through its `/session`, which
 * dockscope tunnels and binds to the client (issue #25, test/e2e/buildkit.test.ts).
 */
describe('builds through the CLIs: a Dockerfile in a subdirectory, a user-defined network, BuildKit', () => {
  const p = uniquePrefix('bl');
  const net = `${p}-net`;
  let dir: string;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-build-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'Dockerfile'), `FROM ${image}\nRUN echo built in sub\n`);
    // No RUN: BuildKit's default network is the bridge, which the test daemon does not have.
    await writeFile(join(dir, 'sub', 'Dockerfile.kit'), `FROM ${image}\nCOPY sub/Dockerfile /copied\n`);
    await dockerOk(dockerHost, ['network', 'create', '--internal', net]);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost });
  });
  afterAll(async () => {
    await proxy?.close();
    await dockerCli(dockerHost, ['network', 'rm', net]);
    await rm(dir, { recursive: true, force: true });
  });

  /** What a user reads of a build: exit code and output, without ids, timings or the tag prefix. */
  const seen = (r: Run) =>
    normalise({ code: r.code, out: `${r.stdout}${r.stderr}`.replace(/\d+(\.\d+)?s\b/g, '<t>') }, p);
  const build = (cli: string, host: string, args: string[], kit: '0' | '1') =>
    runClient('env', [`DOCKER_BUILDKIT=${kit}`, cli, 'build', '--no-cache', ...args, '.'], host, dir);

  it.each(Object.entries(CLIS))(
    'classic builder, CLI %s: -f sub/Dockerfile and --network <user network> answer as directly',
    async (_v, cli) => {
      for (const args of [
        ['-f', 'sub/Dockerfile'],
        ['-f', 'sub/Dockerfile', '--network', net],
      ]) {
        const [direct, through] = await Promise.all([
          build(cli, dockerHost, args, '0'),
          build(cli, proxy.host, args, '0'),
        ]);
        expect(direct.code, direct.stderr).toBe(0);
        expect(direct.stdout).toContain('built in sub');
        expect(seen(through)).toEqual(seen(direct));
      }
    },
  );

  it('BuildKit (CLI 20.10, DOCKER_BUILDKIT=1): -f sub/Dockerfile builds directly and through dockscope (issue #25)', async () => {
    const direct = await build(CLIS['20.10'], dockerHost, ['-q', '-f', 'sub/Dockerfile.kit'], '1');
    expect(direct.code, direct.stderr).toBe(0);
    const through = await build(CLIS['20.10'], proxy.host, ['-q', '-f', 'sub/Dockerfile.kit'], '1');
    expect(through.code, through.stderr).toBe(0);
    expect(through.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });
});
