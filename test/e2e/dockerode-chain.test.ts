import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import type { Scenario } from './support/scenario.ts';
import { createScenario } from './support/scenario.ts';

const dockerHost = inject('dockerHost');
const socketProxyUrl = inject('socketProxyUrl');
const image = inject('image');

/** The "proxy for your proxy" chain: client → dockscope → HAProxy socket proxy → dockerd. */
describe('dockerode through dockscope in front of an HAProxy socket proxy', () => {
  let s: Scenario;
  let proxy: RunningDockscope;
  let docker: Docker;

  beforeAll(async () => {
    s = await createScenario(dockerHost, image, 'dode');
    proxy = await startTestDockscope({ PROXY_URL: socketProxyUrl, SCRUB_ENVS: 'true', ...s.env });
    docker = new Docker({ host: '127.0.0.1', port: proxy.port, protocol: 'http' });
  });
  afterAll(async () => {
    await proxy?.close();
    await s?.cleanup();
  });

  it('listContainers returns exactly the visible containers, with their labels', async () => {
    const list = await docker.listContainers({ all: true, filters: { name: [s.prefix] } });
    const names = list.map((c) => c.Names[0]?.slice(1)).sort();
    expect(names).toEqual(s.visible.map((f) => f.name).sort());
    expect(list.find((c) => c.Names[0] === `/${s.prefix}-kv`)?.Labels).toEqual({
      [`${s.prefix}.tier`]: 'frontend',
    });
  });

  it('a hidden container answers 404 "No such container" to inspect, logs and stop', async () => {
    const db = s.byName('db');
    for (const ref of [db.name, db.id, db.id.slice(0, 12)]) {
      const c = docker.getContainer(ref);
      await expect(c.inspect()).rejects.toMatchObject({
        statusCode: 404,
        json: { message: `No such container: ${ref}` },
      });
      await expect(c.logs({ stdout: true })).rejects.toMatchObject({ statusCode: 404 });
      await expect(c.stop()).rejects.toMatchObject({ statusCode: 404 });
    }
  });

  it('inspect of a visible container has its identity and no environment', async () => {
    const web = s.byName('web');
    const info = await docker.getContainer(web.id.slice(0, 10)).inspect();
    expect(info.Id).toBe(web.id);
    expect(info.Name).toBe(`/${web.name}`);
    expect(info.Config.Env).toEqual([]);
  });

  it('logs of a visible container come through the chain', async () => {
    const kv = s.byName('kv');
    const buf = (await docker
      .getContainer(kv.name)
      .logs({ stdout: true, stderr: true })) as unknown as Buffer;
    expect(buf.toString('utf8')).toContain(`log-of-${kv.name}`);
  });

  it('exec with a hijacked stream runs in a visible container', async () => {
    const web = s.byName('web');
    const exec = await docker
      .getContainer(web.name)
      .exec({ Cmd: ['echo', 'from-exec'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
    });
    expect(Buffer.concat(chunks).toString('utf8')).toContain('from-exec');
    const inspected = await exec.inspect();
    expect(inspected.ExitCode).toBe(0);
  });

  it('the Docker CLI works through the same chain', async () => {
    const out = await dockerOk(proxy.host, [
      'ps',
      '-a',
      '--filter',
      `name=${s.prefix}`,
      '--format',
      '{{.Names}}',
    ]);
    expect(out.trim().split('\n').sort()).toEqual(s.visible.map((f) => f.name).sort());
    const res = await dockerCli(proxy.host, ['logs', s.byName('cross').id]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('No such container');
  });
});
