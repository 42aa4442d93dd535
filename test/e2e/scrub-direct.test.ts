import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

/**
 * Issue #22: in environment mode directly on the daemon's socket nothing but dockscope limits the
 * routes, so `docker exec web env` printed what SCRUB_ENVS blanks in inspect. There, SCRUB_ENVS allows
 * only reads (read-only, logs, events) unless ALLOW says otherwise.
 */
describe('SCRUB_ENVS directly on the daemon socket', () => {
  const p = uniquePrefix('sd');
  const secret = `${p}-db-password`;
  let scrubbed: RunningDockscope;
  let chosen: RunningDockscope;

  beforeAll(async () => {
    await createContainer(dockerHost, image, { name: `${p}-web`, env: { DB_PASSWORD: secret } });
    scrubbed = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-web`,
      SCRUB_ENVS: 'true',
    });
    chosen = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-web`,
      SCRUB_ENVS: 'true',
      ALLOW: 'read-only,exec',
    });
  });
  afterAll(async () => {
    await scrubbed?.close();
    await chosen?.close();
    await removeContainers(dockerHost, [`${p}-web`]);
  });

  it('docker exec is refused, so env cannot print what inspect scrubs; reads still work', async () => {
    const exec = await dockerCli(scrubbed.host, ['exec', `${p}-web`, 'env']);
    expect(exec.code).not.toBe(0);
    expect(exec.stdout).not.toContain(secret);
    expect(exec.stderr).toContain(
      `dockscope: POST /containers/${p}-web/exec is not allowed for client "default" (allow: no entry matches)`,
    );
    const run = await dockerCli(scrubbed.host, [
      'run',
      '--rm',
      '--pid',
      `container:${p}-web`,
      '--name',
      `${p}-web-2`,
      image,
      'cat',
      '/proc/1/environ',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain(secret);
    expect(await dockerOk(scrubbed.host, ['inspect', '--format', '{{json .Config.Env}}', `${p}-web`])).toBe(
      '[]\n',
    );
    expect(await dockerOk(scrubbed.host, ['ps', '--format', '{{.Names}}', '--filter', `name=${p}`])).toBe(
      `${p}-web\n`,
    );
    expect(await dockerOk(scrubbed.host, ['logs', `${p}-web`])).toBe(`log-of-${p}-web\n`);
  });

  it('ALLOW chooses the routes: with exec allowed, exec runs (and shows the environment, as asked)', async () => {
    expect(await dockerOk(chosen.host, ['inspect', '--format', '{{json .Config.Env}}', `${p}-web`])).toBe(
      '[]\n',
    );
    expect(await dockerOk(chosen.host, ['exec', `${p}-web`, 'env'])).toContain(`DB_PASSWORD=${secret}`);
    const logs = await dockerCli(chosen.host, ['logs', `${p}-web`]);
    expect(logs.stderr).toContain('is not allowed for client "default"');
  });
});
