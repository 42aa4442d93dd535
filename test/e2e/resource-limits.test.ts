import { availableParallelism as cpus } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscopeFile } from './support/dockscope.ts';
import { removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface Stored {
  HostConfig: { Memory: number; NanoCpus: number; PidsLimit: number | null; MemorySwap: number };
}

/**
 * Issue #23: a client's `limits` are maxima of its creates and updates, and the defaults of a create
 * that asks for none. The daemon itself takes any size (shown first); through dockscope a create over
 * the limit is refused, and one without limits is stored with the defaults.
 */
describe('resource limits per client', () => {
  const p = uniquePrefix('rl');
  const names: string[] = [];
  let ds: RunningDockscope;
  let host: string;
  const daemon = { socketPath: dockerSocket };
  const stored = async (name: string) =>
    (json(await rawRequest(daemon, 'GET', `/containers/${name}/json`)) as Stored).HostConfig;

  beforeAll(async () => {
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: main, address: "127.0.0.1:0" }
clients:
  - name: ci
    match: { listener: main }
    containers: { names: [${p}-] }
    limits: { memory: 256m, cpus: 1, pids: 100, defaults: { memory: 64m } }
`;
    ds = await startTestDockscopeFile(yaml);
    host = ds.host;
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, names);
  });

  it('on the daemon, a create may take 64 GiB of memory and every CPU of the host, and one without limits is unlimited', async () => {
    names.push(`${p}-direct`, `${p}-bare`);
    await dockerOk(dockerHost, [
      'create',
      '--network',
      'none',
      '--name',
      `${p}-direct`,
      '-m',
      '64g',
      '--cpus',
      String(cpus()),
      image,
    ]);
    expect((await stored(`${p}-direct`)).Memory).toBe(64 * 1024 ** 3);
    await dockerOk(dockerHost, ['create', '--network', 'none', '--name', `${p}-bare`, image]);
    const bare = await stored(`${p}-bare`);
    expect([bare.Memory, bare.NanoCpus]).toEqual([0, 0]);
  });

  it.each<[string, string[], string]>([
    [
      'memory over the limit',
      ['-m', '1g'],
      'resource limit refuses HostConfig.Memory: 1073741824 bytes is more than',
    ],
    ['more CPUs', ['--cpus', '2'], 'resource limit refuses HostConfig.NanoCpus: 2 CPUs is more than'],
    ['more processes', ['--pids-limit', '1000'], 'resource limit refuses HostConfig.PidsLimit'],
    ['unlimited swap', ['-m', '128m', '--memory-swap', '-1'], 'HostConfig.MemorySwap: -1 is unlimited swap'],
  ])('through dockscope, %s is refused and nothing is created', async (_label, flags, message) => {
    const name = `${p}-over${names.length}`;
    names.push(name);
    const res = await dockerCli(host, ['create', '--network', 'none', '--name', name, ...flags, image]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(message);
    expect((await rawRequest(daemon, 'GET', `/containers/${name}/json`)).status).toBe(404);
  });

  it('a create without limits is stored with the defaults; one within them as asked', async () => {
    names.push(`${p}-def`, `${p}-within`);
    await dockerOk(host, ['create', '--network', 'none', '--name', `${p}-def`, image]);
    const def = await stored(`${p}-def`);
    expect([def.Memory, def.NanoCpus, def.PidsLimit]).toEqual([64 * 1024 ** 2, 1e9, 100]);
    await dockerOk(host, [
      'create',
      '--network',
      'none',
      '--name',
      `${p}-within`,
      '-m',
      '200m',
      '--cpus',
      '0.5',
      image,
    ]);
    const within = await stored(`${p}-within`);
    expect([within.Memory, within.NanoCpus, within.PidsLimit]).toEqual([200 * 1024 ** 2, 5e8, 100]);
  });

  it('docker update over the limit is refused; within it, applied', async () => {
    const over = await dockerCli(host, ['update', '--memory', '1g', '--memory-swap', '2g', `${p}-def`]);
    expect(over.code).not.toBe(0);
    expect(over.stderr).toContain('resource limit refuses Memory');
    await dockerOk(host, ['update', '--memory', '128m', '--memory-swap', '256m', `${p}-def`]);
    expect((await stored(`${p}-def`)).Memory).toBe(128 * 1024 ** 2);
  });
});
