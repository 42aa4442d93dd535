import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const MAIN = resolve('dist/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The ```yaml blocks of a document: compose files (`services:`) and dockscope configurations. */
async function blocks(doc: string, kind: 'compose' | 'config'): Promise<string[]> {
  const text = await readFile(resolve(doc), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .filter((b) => (kind === 'compose' ? /^services:/.test(b) : /^(upstream|listeners):/.test(b)));
}

interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: string;
      user?: string;
      environment?: Record<string, string>;
      command?: string[];
      volumes?: string[];
    }
  >;
}

/** Issue #22: a newcomer copies a README block and it works. */
describe('the snippets of the README and the docs run as written', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsc-snippets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every README compose example builds the dockscope image it uses, and docker-compose accepts it', async () => {
    const composes = await blocks('README.md', 'compose');
    expect(composes.length).toBe(3);
    for (const [i, text] of composes.entries()) {
      const services = Object.entries((parse(text) as Compose).services);
      for (const [name, s] of services) {
        if (s.image === 'dockscope') expect(s.build, `README compose ${i}: ${name}`).toBe('.');
      }
      const file = join(dir, `readme-${i}.yml`);
      await writeFile(file, text);
      const res = await run('docker-compose', ['-f', file, 'config', '-q'], { DOCKER_GID: '998' }, dir);
      expect([res.code, res.stderr], `README compose ${i}`).toEqual([0, '']);
    }
  });

  it("the wollomatic example runs its proxy with the socket's group, and says so when it is not given", async () => {
    const [text] = (await blocks('README.md', 'compose')).filter((b) => b.includes('wollomatic'));
    const file = join(dir, 'wollomatic.yml');
    await writeFile(file, text ?? '');
    const config = await run('docker-compose', ['-f', file, 'config'], { DOCKER_GID: '998' }, dir);
    expect((parse(config.stdout) as Compose).services['socket-proxy']?.user).toBe('65534:998');
    const unset = await run('docker-compose', ['-f', file, 'config', '-q'], {}, dir);
    expect(unset.code).not.toBe(0);
    expect(unset.stderr).toContain('set DOCKER_GID to the group id of /var/run/docker.sock');
  });

  it("every compose example's dockscope environment is one a start accepts (dockscope check)", async () => {
    const composes = [
      ...(await blocks('README.md', 'compose')),
      await readFile(resolve('docker-compose.example.yml'), 'utf8'),
    ];
    for (const [i, text] of composes.entries()) {
      const env = (parse(text) as Compose).services.dockscope?.environment;
      expect(env, `compose ${i}`).toBeDefined();
      const strings = Object.fromEntries(Object.entries(env ?? {}).map(([k, v]) => [k, String(v)]));
      const res = await run(process.execPath, [MAIN, 'check'], strings, dir);
      expect([res.code, res.stderr], `compose ${i}`).toEqual([0, '']);
      expect(res.stdout).toContain('configuration: environment is valid');
    }
  });

  it("every recipe's compose file is valid, builds dockscope, and runs it with a configuration check accepts", async () => {
    const text = await readFile(resolve('docs/recipes.md'), 'utf8');
    const sections = text.split(/^## /m).slice(1);
    expect(sections.map((s) => s.split('\n')[0])).toEqual(['Traefik', 'Dozzle', 'Watchtower', 'Portainer']);
    for (const section of sections) {
      const tool = section.split('\n')[0] ?? '';
      const yamls = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
      const compose = yamls.find((b) => /^services:/.test(b)) ?? '';
      const file = join(dir, `recipe-${tool}.yml`);
      await writeFile(file, compose);
      const valid = await run('docker-compose', ['-f', file, 'config', '-q'], { DOCKER_GID: '998' }, dir);
      expect([valid.code, valid.stderr], `${tool} compose`).toEqual([0, '']);
      const dockscope = (parse(compose) as Compose).services.dockscope;
      expect(dockscope?.build, tool).toBe('.');
      if (dockscope?.environment) {
        const env = Object.fromEntries(Object.entries(dockscope.environment).map(([k, v]) => [k, String(v)]));
        const res = await run(process.execPath, [MAIN, 'check'], env, dir);
        expect([res.code, res.stderr], `${tool} environment`).toEqual([0, '']);
        continue;
      }
      // File mode: the compose file mounts the section's own configuration ("Saved as x.yml") where
      // its command reads it, and that configuration passes check.
      expect(dockscope?.command, tool).toEqual(['--config', '/etc/dockscope/dockscope.yml']);
      const saved = /Saved as `([\w.-]+\.yml)`/.exec(section)?.[1];
      expect(dockscope?.volumes, tool).toContain(`./${saved}:/etc/dockscope/dockscope.yml:ro`);
      const config = join(dir, saved ?? 'none.yml');
      await writeFile(config, yamls.find((b) => /^(upstream|listeners):/.test(b)) ?? '');
      const res = await run(process.execPath, [MAIN, 'check', '--config', config], {}, dir);
      expect([res.code, res.stderr], `${tool} configuration`).toEqual([0, '']);
    }
  });

  it('docker-compose.example.yml is valid and keeps the admin listener on loopback (docs/operations.md)', async () => {
    const res = await run(
      'docker-compose',
      ['-f', resolve('docker-compose.example.yml'), 'config', '-q'],
      {},
      dir,
    );
    expect([res.code, res.stderr]).toEqual([0, '']);
    const compose = parse(await readFile(resolve('docker-compose.example.yml'), 'utf8')) as Compose;
    expect(compose.services.dockscope?.environment?.ADMIN_LISTEN).toBe('127.0.0.1:9100');
    expect(compose.services.dockscope?.build).toBe('.');
  });

  it('every configuration file of the README and docs/configuration.md passes dockscope check', async () => {
    const configs = [
      ...(await blocks('README.md', 'config')),
      ...(await blocks('docs/configuration.md', 'config')),
      ...(await blocks('docs/recipes.md', 'config')),
    ];
    // At least the four of the first version of this test (a regex that finds none would pass nothing).
    expect(configs.length).toBeGreaterThanOrEqual(4);
    for (const [i, text] of configs.entries()) {
      // Token files the examples name are made here, as a user would make them.
      const local = text.replaceAll('/run/secrets/', `${dir}/`);
      for (const [, name] of local.matchAll(new RegExp(`${dir}/(\\w+)`, 'g'))) {
        await writeFile(join(dir, name ?? ''), `token-${name}\n`);
      }
      const file = join(dir, `config-${i}.yml`);
      await writeFile(file, local);
      const res = await run(process.execPath, [MAIN, 'check', '--config', file], {}, dir);
      expect([res.code, res.stderr], `configuration ${i}`).toEqual([0, '']);
      expect(res.stdout).toContain(`configuration: ${file} is valid`);
    }
  });
});
