import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with a clean Docker environment pointed at `host`, with the client's config dir. */
function run(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('DOCKER_') && !k.startsWith('COMPOSE_')) clean[k] = v;
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...clean, ...env }, cwd, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * docker-compose and docker-py (Debian's packages) as CI jobs use them, through a dockscope with two
 * owner-scoped clients and create rules in force: a project comes up and down with its network and
 * volume, the other client sees none of it, and a privileged service is refused with the rule named.
 */
describe('docker-compose and docker-py through an owner-scoped client', () => {
  const p = uniquePrefix('cp');
  let dir: string;
  let ds: Dockscope;
  const envOf = (who: 'a' | 'b') => ({
    DOCKER_HOST: `tcp://${ds.addresses.ci}`,
    DOCKER_CONFIG: join(dir, `cli-${who}`),
  });
  const compose = (who: 'a' | 'b', args: string[], project = p) =>
    run('docker-compose', ['-p', project, ...args], envOf(who), dir);
  const python = (who: 'a' | 'b', code: string) => run('python3', ['-c', code], envOf(who), dir);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-compose-'));
    for (const who of ['a', 'b'] as const) {
      const token = `tok-${who}-${p}-${Math.random().toString(36).slice(2)}`;
      await writeFile(join(dir, `token-${who}`), `${token}\n`);
      await mkdir(join(dir, `cli-${who}`));
      await writeFile(
        join(dir, `cli-${who}`, 'config.json'),
        JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
      );
    }
    await writeFile(
      join(dir, 'docker-compose.yml'),
      `version: "3.8"
services:
  app:
    image: ${image}
    command: ["sleep", "3600"]
    volumes: ["data:/data"]
networks:
  default:
    internal: true
volumes:
  data: {}
`,
    );
    await mkdir(join(dir, 'privileged'));
    await writeFile(
      join(dir, 'privileged', 'docker-compose.yml'),
      `version: "3.8"
services:
  root:
    image: ${image}
    command: ["true"]
    privileged: true
    network_mode: none
`,
    );
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - { name: ci-a, match: { token: { file: ${join(dir, 'token-a')} } }, owner: ci-a, containers: owned }
  - { name: ci-b, match: { token: { file: ${join(dir, 'token-b')} } }, owner: ci-b, containers: owned }
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
  });

  afterAll(async () => {
    await ds?.close();
    await dockerCli(dockerHost, ['rm', '-f', `${p}_app_1`, `${p}priv_root_1`]);
    await dockerCli(dockerHost, ['volume', 'rm', '-f', `${p}_data`]);
    await dockerCli(dockerHost, ['network', 'rm', `${p}_default`]);
    await rm(dir, { recursive: true, force: true });
  });

  it('docker-compose up -d makes the project, labelled with its owner', async () => {
    const up = await compose('a', ['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    const container = json(
      await rawRequest({ socketPath: dockerSocket }, 'GET', `/containers/${p}_app_1/json`),
    ) as {
      State: { Running: boolean };
      Config: { Labels: Record<string, string> };
    };
    expect(container.State.Running).toBe(true);
    expect(container.Config.Labels['dockscope.owner']).toBe('ci-a');
    expect(container.Config.Labels['com.docker.compose.project']).toBe(p);
    const volume = json(await rawRequest({ socketPath: dockerSocket }, 'GET', `/volumes/${p}_data`)) as {
      Labels: Record<string, string>;
    };
    expect(volume.Labels['dockscope.owner']).toBe('ci-a');
    const ps = await compose('a', ['ps', '--services', '--filter', 'status=running']);
    expect(ps.stdout.trim()).toBe('app');
  });

  it('docker-py lists the project for its owner and nothing of it for the other client', async () => {
    const code = `
import docker
c = docker.from_env()
print(sorted(x.name for x in c.containers.list(all=True) if x.name.startswith('${p}')))
print(sorted(v.name for v in c.volumes.list() if v.name.startswith('${p}')))
print(sorted(n.name for n in c.networks.list() if n.name.startswith('${p}')))
`;
    const a = await python('a', code);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toBe(`['${p}_app_1']\n['${p}_data']\n['${p}_default']\n`);
    const b = await python('b', code);
    expect(b.stdout).toBe('[]\n[]\n[]\n');
    // And the other client's compose does not see the project.
    const ps = await compose('b', ['ps', '-q']);
    expect(ps.stdout.trim()).toBe('');
  });

  it('a privileged service is refused by the create rules, through compose and docker-py alike', async () => {
    const up = await run(
      'docker-compose',
      ['-p', `${p}priv`, 'up', '-d'],
      envOf('a'),
      join(dir, 'privileged'),
    );
    expect(up.code).not.toBe(0);
    expect(`${up.stdout}${up.stderr}`).toContain('create rule "privileged" refuses HostConfig.Privileged');
    const py = await python(
      'a',
      `
import docker
try:
    docker.from_env().containers.create('${image}', 'true', privileged=True, name='${p}-py', network_mode='none')
    print('created')
except docker.errors.APIError as e:
    print(e.status_code, e.explanation)
`,
    );
    expect(py.stdout).toMatch(/^403 dockscope: create rule "privileged" refuses HostConfig.Privileged/);
    expect((await rawRequest({ socketPath: dockerSocket }, 'GET', `/containers/${p}-py/json`)).status).toBe(
      404,
    );
  });

  it('docker-compose down -v removes the container, its network and its volume', async () => {
    const down = await compose('a', ['down', '-v']);
    expect(down.code, down.stderr).toBe(0);
    for (const path of [`/containers/${p}_app_1/json`, `/volumes/${p}_data`, `/networks/${p}_default`]) {
      expect((await rawRequest({ socketPath: dockerSocket }, 'GET', path)).status, path).toBe(404);
    }
  });
});
