import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NODE_FLAGS } from '../../src/server/banner.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { importNodeBaseImage } from '../harness/node-image.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * The container image, as users run it: its base image made here (no registry is reachable), the
 * Dockerfile built with the test daemon, then run non-root with a read-only root file system, no
 * capabilities and no-new-privileges, the daemon's socket mounted with its group added, until its
 * HEALTHCHECK says healthy; the Docker CLI then works through it over a unix socket in a mounted
 * directory (containers here have no bridge network).
 */
describe('the dockscope image, built and run', () => {
  const p = uniquePrefix('im');
  const tag = `dockscope-image-test:${p}`;
  const name = `${p}-dockscope`;
  let dir: string;

  beforeAll(async () => {
    await importNodeBaseImage({ host: dockerHost });
    // The classic builder, on the host's network: `npm ci` in the Dockerfile reaches the npm registry.
    await dockerOk(dockerHost, ['build', '--network', 'host', '-q', '-t', tag, process.cwd()], {
      env: { DOCKER_BUILDKIT: '0' },
      timeoutMs: 15 * 60_000,
    });
    await createContainer(dockerHost, image, { name: `${p}-web` });
    await createContainer(dockerHost, image, { name: `${p}-hidden` });
    dir = await mkdtemp(join(tmpdir(), 'ds-image-'));
    // The image's user (uid 1000) creates its socket here.
    await chmod(dir, 0o777);
  }, 20 * 60_000);

  afterAll(async () => {
    await removeContainers(dockerHost, [name, `${p}-web`, `${p}-hidden`]);
    await dockerCli(dockerHost, ['rmi', '-f', tag]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs as a non-root user with a healthcheck and dockscope as its entrypoint', async () => {
    const config = JSON.parse(
      await dockerOk(dockerHost, ['image', 'inspect', '-f', '{{json .Config}}', tag]),
    ) as {
      User: string;
      Entrypoint: string[];
      Healthcheck: { Test: string[] };
    };
    expect(config.User).toBe('node');
    // The image runs dockscope exactly as `npm start` does, V8 flags included (docs/operations.md#memory).
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toBe(`node ${NODE_FLAGS.join(' ')} dist/main.js`);
    expect(config.Entrypoint).toEqual(pkg.scripts.start.split(' '));
    expect(config.Healthcheck.Test).toEqual(['CMD', 'node', 'dist/healthcheck.js']);
  });

  it('read-only, no capabilities, socket group added: healthy, and the CLI works through it, scoped', async () => {
    const gid = (await stat(dockerSocket)).gid;
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--group-add',
      String(gid),
      '-v',
      `${dockerSocket}:/var/run/docker.sock`,
      '-v',
      `${dir}:/run/dockscope`,
      '-e',
      'LISTEN=unix:///run/dockscope/dockscope.sock',
      '-e',
      `CONTAINER_NAMES=${p}-web`,
      // The image's own HEALTHCHECK command, checked more often than its 30 s so the test is short.
      '--health-interval',
      '1s',
      tag,
    ]);
    await waitFor(
      'the container to be healthy',
      async () =>
        (await dockerOk(dockerHost, ['inspect', '-f', '{{.State.Health.Status}}', name])).trim() ===
        'healthy',
      60_000,
    );
    expect((await dockerOk(dockerHost, ['exec', name, 'id', '-u'])).trim()).toBe('1000');
    const through = `unix://${join(dir, 'dockscope.sock')}`;
    const ps = await dockerOk(through, ['ps', '-a', '--format', '{{.Names}}']);
    expect(ps.split('\n').filter((n) => n.startsWith(p))).toEqual([`${p}-web`]);
    const inspect = await dockerCli(through, ['inspect', `${p}-hidden`]);
    expect(inspect.stderr).toContain(`No such object: ${p}-hidden`);
    const privileged = await dockerCli(through, [
      'create',
      '--privileged',
      '--name',
      `${p}-web-root`,
      image,
      'true',
    ]);
    expect(privileged.stderr).toContain('create rule "privileged"');
    // Nothing but its socket is written: the root file system is read-only.
    const write = await dockerCli(dockerHost, ['exec', name, 'touch', '/app/x']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it('with a configuration file given as arguments and only a token client: healthy, and dockscope on the PATH (issue #22)', async () => {
    const gid = (await stat(dockerSocket)).gid;
    await writeFile(
      join(dir, 'dockscope.yml'),
      `upstream: unix:///var/run/docker.sock
listeners:
  - { name: local, address: "unix:///run/dockscope/cf.sock" }
clients:
  - name: homepage
    match: { from: [192.0.2.10] }
    containers: { labels: [homepage] }
  - name: scripts
    match: { token: { env: DS_TOKEN } }
    containers: { names: [${p}-web] }
`,
    );
    await chmod(join(dir, 'dockscope.yml'), 0o644);
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--name',
      `${name}-cf`,
      '--network',
      'none',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--group-add',
      String(gid),
      '-v',
      `${dockerSocket}:/var/run/docker.sock`,
      '-v',
      `${dir}:/run/dockscope`,
      '-e',
      'DS_TOKEN=image-test-token',
      '--health-interval',
      '1s',
      tag,
      '--config',
      '/run/dockscope/dockscope.yml',
    ]);
    try {
      await waitFor(
        'the container to be healthy',
        async () =>
          (await dockerOk(dockerHost, ['inspect', '-f', '{{.State.Health.Status}}', `${name}-cf`])).trim() ===
          'healthy',
        60_000,
      );
      const log = JSON.parse(
        await dockerOk(dockerHost, ['inspect', '-f', '{{json .State.Health.Log}}', `${name}-cf`]),
      ) as { Output: string }[];
      expect(log.at(-1)?.Output).toBe(
        'dockscope healthcheck: listener local unix:///run/dockscope/cf.sock as client scripts (its token) /_ping: 200\n',
      );
      const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      expect(await dockerOk(dockerHost, ['exec', `${name}-cf`, 'dockscope', '--version'])).toBe(
        `dockscope ${pkg.version}\n`,
      );
      const check = await dockerOk(dockerHost, [
        'exec',
        `${name}-cf`,
        'dockscope',
        'check',
        '--config',
        '/run/dockscope/dockscope.yml',
      ]);
      expect(check).toContain('configuration: /run/dockscope/dockscope.yml is valid');
    } finally {
      await removeContainers(dockerHost, [`${name}-cf`]);
    }
  });
});
