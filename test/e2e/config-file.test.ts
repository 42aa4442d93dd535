import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getFreePort } from '../harness/free-port.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');
const MAIN = resolve('dist/main.js');

/** `node dist/main.js --config FILE`, as the image runs it; collects its output. */
function startMain(args: string[], cwd: string) {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '' } });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d;
  });
  const exited = new Promise<number | null>((r) => child.on('close', r));
  return { child, output: () => output, exited };
}

describe('a configuration file, as the process reads it', () => {
  const p = uniquePrefix('cf');
  let dir: string;
  let port = 0;
  const file = () => join(dir, 'dockscope.yml');
  const config = (names: string) => `upstream: ${dockerHost}
listeners:
  - { name: lan, address: "127.0.0.1:${port}" }
clients:
  - name: everyone
    containers: { names: [${names}], match: exact }
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsc-file-'));
    port = await getFreePort();
    for (const n of ['a', 'b']) await createContainer(dockerHost, image, { name: `${p}-${n}` });
  });
  afterAll(async () => {
    await removeContainers(dockerHost, [`${p}-a`, `${p}-b`]);
    await rm(dir, { recursive: true, force: true });
  });

  it('an invalid file stops the start with the file, line and key (exit 2)', async () => {
    await writeFile(file(), `${config(`${p}-a`)}    scrubenvs: yes\n`);
    const run = startMain(['--config', file()], dir);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(
      `dockscope: configuration error: ${file()}:7: clients[0]: unknown key "scrubenvs" (did you mean "scrubEnvs"?)`,
    );
  });

  it('SIGHUP puts an edited file in force at the next request; an invalid edit is refused and the old rules hold', async () => {
    await writeFile(file(), config(`${p}-a`));
    const run = startMain([`--config=${file()}`], dir);
    try {
      await waitFor('dockscope to listen', async () => run.output().includes('dockscope is listening'));
      const names = async () =>
        (
          json(await rawRequest({ url: `http://127.0.0.1:${port}` }, 'GET', '/containers/json?all=1')) as {
            Names: string[];
          }[]
        )
          .map((c) => c.Names[0])
          .filter((n) => n?.startsWith(`/${p}-`));
      expect(await names()).toEqual([`/${p}-a`]);
      await writeFile(file(), config(`${p}-b`));
      run.child.kill('SIGHUP');
      await waitFor('the reload', async () => run.output().includes('configuration reloaded'));
      expect(await names()).toEqual([`/${p}-b`]);
      await writeFile(file(), `${config(`${p}-a`)}    allow: ["GET /nope*"]\n`);
      run.child.kill('SIGHUP');
      await waitFor('the refusal', async () => run.output().includes('the configuration in force stays'));
      expect(run.output()).toContain(`${file()}:7: clients[0].allow`);
      expect(await names()).toEqual([`/${p}-b`]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('dockscope check prints the effective configuration; explain prints the decision and its rule', async () => {
    await writeFile(file(), `${config(`${p}-a`)}    allow: [read-only, "POST /containers/{id}/restart"]\n`);
    const check = startMain(['check', '--config', file()], dir);
    expect(await check.exited).toBe(0);
    expect(check.output()).toContain(`configuration: ${file()} is valid`);
    expect(check.output()).toContain(`lan: 127.0.0.1:${port}`);
    expect(check.output()).toContain('POST /containers/{id}/restart');
    expect(check.output()).toContain('create: rules in force; allowed beyond a plain container: nothing');
    const refused = startMain(
      ['explain', '--config', file(), '--client', 'everyone', 'POST', '/v1.41/containers/x/start'],
      dir,
    );
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toBe(
      'POST /v1.41/containers/x/start: refused (403) for client "everyone" by allow: no entry matches\n',
    );
    const allowed = startMain(
      ['explain', '--config', file(), '--client', 'everyone', 'POST', '/containers/x/restart?t=5'],
      dir,
    );
    expect(await allowed.exited).toBe(0);
    expect(allowed.output()).toMatch(
      /^POST \/containers\/x\/restart\?t=5: route container, passes the allow\/deny lists of client "everyone" \(allow: POST \/containers\/\{id\}\/restart\);/,
    );
    expect(allowed.output()).toContain('recorded as POST /containers/{id}/restart\n');
    // explain takes the server's first step: the version floor refuses what the server refuses.
    const old = startMain(
      ['explain', '--config', file(), '--client', 'everyone', 'GET', '/v1.23/containers/json'],
      dir,
    );
    expect(await old.exited).toBe(1);
    expect(old.output()).toBe(
      'GET /v1.23/containers/json: refused (400): client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version\n',
    );
    const bad = startMain(['check', '--config', join(dir, 'missing.yml')], dir);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('missing.yml: cannot be read (ENOENT)');
  });

  it('a from: host name that does not resolve never stops the start: it warns and matches nothing (issue #22)', async () => {
    await writeFile(
      file(),
      `upstream: ${dockerHost}
listeners:
  - { name: lan, address: "127.0.0.1:${port}" }
clients:
  - name: homepage
    match: { from: [homepage.invalid] }
    containers: { names: [${p}-a] }
  - name: local
    match: { from: [localhost] }
    containers: { names: [${p}-b], match: exact }
`,
    );
    const check = startMain(['check', '--config', file()], dir);
    expect(await check.exited).toBe(0);
    expect(check.output()).toContain(
      'warning: clients[0] (homepage).match.from: homepage.invalid does not resolve now; it matches nothing until it does\n',
    );
    const run = startMain(['--config', file()], dir);
    try {
      await waitFor('dockscope to listen', async () => run.output().includes('dockscope is listening'));
      const lines = run
        .output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.filter((l) => l.host === 'homepage.invalid')).toMatchObject([
        {
          level: 40,
          at: 'clients[0] (homepage).match.from',
          msg: 'host name does not resolve: it matches nothing until it does',
        },
      ]);
      // localhost resolves: 127.0.0.1 is the second client, and sees its container.
      const list = json(
        await rawRequest({ url: `http://127.0.0.1:${port}` }, 'GET', '/containers/json?all=1'),
      ) as {
        Names: string[];
      }[];
      expect(list.map((c) => c.Names[0]).filter((n) => n?.startsWith(`/${p}-`))).toEqual([`/${p}-b`]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
