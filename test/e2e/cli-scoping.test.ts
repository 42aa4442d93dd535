import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Scenario } from './support/scenario.ts';
import { createScenario } from './support/scenario.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

describe('the Docker CLI through dockscope, directly on the daemon socket', () => {
  let s: Scenario;
  let proxy: RunningDockscope;
  let plain: RunningDockscope;

  beforeAll(async () => {
    s = await createScenario(dockerHost, image, 'cli');
    // ALLOW=all: these are the routes' hidden-as-missing answers; SCRUB_ENVS's reads-only default on
    // the socket is test/e2e/scrub-direct.test.ts.
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, SCRUB_ENVS: 'true', ALLOW: 'all', ...s.env });
    plain = await startTestDockscope({ PROXY_URL: dockerHost, ...s.env });
  });
  afterAll(async () => {
    await proxy?.close();
    await plain?.close();
    await s?.cleanup();
  });

  const names = (out: string) =>
    out
      .split('\n')
      .filter((n) => n.startsWith(s.prefix))
      .sort();

  it('docker ps -a lists exactly the visible containers', async () => {
    const out = await dockerOk(proxy.host, ['ps', '-a', '--format', '{{.Names}}']);
    expect(names(out)).toEqual(s.visible.map((f) => f.name).sort());
    // Ground truth: the daemon itself has all six.
    const direct = await dockerOk(dockerHost, ['ps', '-a', '--format', '{{.Names}}']);
    expect(names(direct)).toHaveLength(6);
  });

  it('docker ps with a name filter for a hidden container lists nothing', async () => {
    const out = await dockerOk(proxy.host, [
      'ps',
      '-a',
      '--filter',
      `name=${s.prefix}-db`,
      '--format',
      '{{.Names}}',
    ]);
    expect(out.trim()).toBe('');
  });

  it('docker inspect of a hidden container fails as for a missing one, by name, full id and short id', async () => {
    for (const hidden of s.hidden) {
      for (const ref of [hidden.name, hidden.id, hidden.id.slice(0, 12), hidden.id.slice(0, 5)]) {
        const res = await dockerCli(proxy.host, ['container', 'inspect', ref]);
        expect(res.code, ref).toBe(1);
        expect(res.stderr).toContain(`No such container: ${ref}`);
        expect(res.stdout).not.toContain(hidden.id);
      }
    }
  });

  it('docker inspect of a visible container works by name, full id and short id', async () => {
    const web = s.byName('web');
    for (const ref of [web.name, web.id, web.id.slice(0, 12)]) {
      const out = await dockerOk(proxy.host, ['container', 'inspect', '--format', '{{.Id}}', ref]);
      expect(out.trim()).toBe(web.id);
    }
  });

  it('docker logs prints the log of a visible container and fails for a hidden one', async () => {
    for (const f of s.visible) {
      expect(await dockerOk(proxy.host, ['logs', f.name])).toContain(`log-of-${f.name}`);
    }
    const res = await dockerCli(proxy.host, ['logs', s.byName('db').name]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`No such container: ${s.byName('db').name}`);
    expect(res.stdout).not.toContain('log-of-');
  });

  it('hidden containers cannot be stopped, killed, renamed or removed', async () => {
    const db = s.byName('db');
    for (const args of [
      ['stop', '-t', '0', db.name],
      ['kill', db.id.slice(0, 12)],
      ['rename', db.name, `${s.prefix}-web-taken`],
      // Not `rm -f`: the CLI treats "no such container" as success when forcing.
      ['rm', db.id],
      ['exec', db.name, 'true'],
      ['top', db.name],
    ]) {
      const res = await dockerCli(proxy.host, args);
      expect(res.code, args.join(' ')).not.toBe(0);
      expect(res.stderr, args.join(' ')).toMatch(/No such container/);
    }
    const state = await dockerOk(dockerHost, ['inspect', '--format', '{{.State.Running}} {{.Name}}', db.id]);
    expect(state.trim()).toBe(`true /${db.name}`);
  });

  it('SCRUB_ENVS=true empties Config.Env; without it the environment is shown', async () => {
    const web = s.byName('web');
    const scrubbed = await dockerOk(proxy.host, ['inspect', '--format', '{{json .Config.Env}}', web.name]);
    expect(scrubbed.trim()).toBe('[]');
    const shown = await dockerOk(plain.host, ['inspect', '--format', '{{json .Config.Env}}', web.name]);
    expect(shown).toContain(`SECRET=${s.secretOf(web)}`);
  });

  it('docker top, stats --no-stream and wait-free actions work on a visible container', async () => {
    const web = s.byName('web');
    expect(await dockerOk(proxy.host, ['top', web.name])).toContain('sleep 3600');
    const stats = await dockerOk(proxy.host, ['stats', '--no-stream', '--format', '{{.Name}}', web.name]);
    expect(stats.trim()).toBe(web.name);
    await dockerOk(proxy.host, ['pause', web.name]);
    expect((await dockerOk(dockerHost, ['inspect', '--format', '{{.State.Paused}}', web.id])).trim()).toBe(
      'true',
    );
    await dockerOk(proxy.host, ['unpause', web.id.slice(0, 12)]);
    expect((await dockerOk(dockerHost, ['inspect', '--format', '{{.State.Paused}}', web.id])).trim()).toBe(
      'false',
    );
  });
});
