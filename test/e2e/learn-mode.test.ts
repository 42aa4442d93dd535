import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

function suggest(client: string, file: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, 'suggest', '--client', client, file], {
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

/**
 * Learn mode: a dashboard-like and a CI-like client run their usual CLI commands through a client in
 * learn mode, `dockscope suggest` prints the allow list from the audit log, and with that list in
 * enforce mode the same commands pass while anything else is refused.
 */
describe('learn mode and dockscope suggest', () => {
  const p = uniquePrefix('lm');
  let dir: string;
  const started: Dockscope[] = [];
  const names: string[] = [];

  async function dockscope(clients: string, audit: string): Promise<string> {
    const yaml = `
upstream: ${dockerHost}
audit: ${audit}
listeners:
  - { name: dash, address: "127.0.0.1:0" }
  - { name: ci, address: "127.0.0.1:0" }
clients:
${clients}`;
    const ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'c.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    started.push(ds);
    return JSON.stringify(ds.addresses);
  }

  const dashboard = async (host: string) => {
    const runs = [
      await dockerCli(host, ['ps', '--format', '{{.Names}}']),
      await dockerCli(host, ['inspect', `${p}-web`]),
      await dockerCli(host, ['logs', `${p}-web`]),
      await dockerCli(host, ['version']),
    ];
    return runs.map((r) => r.code);
  };
  const ci = async (host: string, n: number) => {
    const name = `${p}-job${n}`;
    names.push(name);
    const runs = [
      await dockerCli(host, ['run', '-d', '--network', 'none', '--name', name, image, 'sleep', '60']),
      await dockerCli(host, ['exec', name, 'true']),
      await dockerCli(host, ['stop', '-t', '0', name]),
      await dockerCli(host, ['rm', name]),
    ];
    return runs.map((r) => r.code);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-learn-'));
    await createContainer(dockerHost, image, { name: `${p}-web` });
    names.push(`${p}-web`);
  });
  afterAll(async () => {
    for (const ds of started) await ds.close();
    await removeContainers(dockerHost, names);
    await rm(dir, { recursive: true, force: true });
  });

  it('what the clients did in learn mode becomes their allow list; enforced, it lets the same pass and nothing else', async () => {
    const audit = join(dir, 'learn.log');
    const learning = JSON.parse(
      await dockscope(
        `  - { name: dash, match: { listener: dash }, containers: { names: [${p}-web] }, mode: learn, allow: [ping] }
  - { name: ci, match: { listener: ci }, containers: { names: [${p}-job] }, mode: learn, allow: [] }
`,
        audit,
      ),
    ) as Record<string, string>;
    // In learn mode everything is served, though the lists would refuse most of it.
    expect(await dashboard(`tcp://${learning.dash}`)).toEqual([0, 0, 0, 0]);
    expect(await ci(`tcp://${learning.ci}`, 1)).toEqual([0, 0, 0, 0]);
    // Visibility still holds in learn mode.
    expect((await dockerCli(`tcp://${learning.dash}`, ['inspect', `${p}-job1`])).code).not.toBe(0);

    const dash = await suggest('dash', audit);
    const job = await suggest('ci', audit);
    expect(dash.code, dash.out).toBe(0);
    expect(job.code, job.out).toBe(0);
    expect(dash.out).toMatch(/^allow:\n/);
    expect(dash.out).toContain('"GET /containers/json"');
    // A group that the client used whole replaces its templates (`logs` is one template).
    expect(dash.out).toContain('"logs"');
    // `docker inspect NAME` asks for a container, then an image, a network, a plugin, a volume.
    expect(dash.out).toContain('"GET /images/*/**/json"');
    expect(job.out).toContain('"create"');
    expect(job.out).toContain('"POST /exec/{id}/start"');
    expect(job.out).toContain('"DELETE /containers/{id}"');

    // The suggestions, pasted into the entries in enforce mode.
    const indent = (allow: string) => allow.replace(/^allow:\n/, '').replace(/^ {2}- /gm, '      - ');
    const enforced = JSON.parse(
      await dockscope(
        `  - name: dash
    match: { listener: dash }
    containers: { names: [${p}-web] }
    allow:
${indent(dash.out)}  - name: ci
    match: { listener: ci }
    containers: { names: [${p}-job] }
    allow:
${indent(job.out)}`,
        join(dir, 'enforce.log'),
      ),
    ) as Record<string, string>;
    expect(await dashboard(`tcp://${enforced.dash}`)).toEqual([0, 0, 0, 0]);
    expect(await ci(`tcp://${enforced.ci}`, 2)).toEqual([0, 0, 0, 0]);
    // Anything else is refused by the lists.
    const other = await dockerCli(`tcp://${enforced.dash}`, ['stop', `${p}-web`]);
    expect(other.stderr).toContain('is not allowed for client "dash" (allow: no entry matches)');
    const net = await dockerCli(`tcp://${enforced.ci}`, ['network', 'create', `${p}-net`]);
    expect(net.stderr).toContain('is not allowed for client "ci" (allow: no entry matches)');
  });

  it('learn mode without an audit log is a configuration error', () => {
    expect(() =>
      loadConfig(
        {},
        {
          path: '/x.yaml',
          text: 'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: all, mode: learn }\n',
        },
      ),
    ).toThrow(/client "c" is in learn mode, which writes what it does to the audit log/);
  });
});
