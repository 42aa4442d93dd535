import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getFreePort } from '../harness/free-port.ts';
import { waitFor } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const MAIN = resolve('dist/main.js');
const HEALTHCHECK = resolve('dist/healthcheck.js');

function run(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [HEALTHCHECK, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** `node dist/main.js --config FILE` with `env`, until it listens. */
async function serve(file: string, env: Record<string, string>, cwd: string) {
  const child = spawn(process.execPath, [MAIN, '--config', file], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d;
  });
  await waitFor('dockscope to listen', async () => output.includes('dockscope is listening'));
  return child;
}

describe('the image healthcheck, with a configuration file (issue #22)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsc-health-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the listener and the client that answer it: from-matched clients refuse loopback, the token client answers', async () => {
    const port = await getFreePort();
    const file = join(dir, 'token.yml');
    await writeFile(
      file,
      `upstream: ${dockerHost}
listeners:
  - { name: lan, address: "0.0.0.0:${port}" }
clients:
  - name: homepage
    match: { from: [192.0.2.10] }
    containers: { labels: [homepage] }
  - name: scripts
    match: { token: { env: DS_TOKEN } }
    containers: { names: [web] }
    allow: [read-only]
`,
    );
    const child = await serve(file, { DS_TOKEN: 'tok-123' }, dir);
    try {
      expect(await run([], { DOCKSCOPE_CONFIG: file, DS_TOKEN: 'tok-123' }, dir)).toEqual({
        code: 0,
        stdout: `dockscope healthcheck: listener lan 127.0.0.1:${port} as client scripts (its token) /_ping: 200\n`,
        stderr: '',
      });
      // `--config` works as DOCKSCOPE_CONFIG does; a wrong token is the server's 401, unhealthy.
      expect(await run(['--config', file], { DS_TOKEN: 'other' }, dir)).toEqual({
        code: 1,
        stdout: '',
        stderr: `dockscope healthcheck: listener lan 127.0.0.1:${port} as client scripts (its token) /_ping: 401\n`,
      });
      // LISTEN is refused beside a file, as the server refuses it: the old healthcheck read only LISTEN.
      const listen = await run(
        [],
        { DOCKSCOPE_CONFIG: file, DS_TOKEN: 'tok-123', LISTEN: `127.0.0.1:${port}` },
        dir,
      );
      expect(listen.code).toBe(1);
      expect(listen.stderr).toMatch(/^dockscope healthcheck: LISTEN: is set, but the configuration file/);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('asks the admin listener for /ready when there is one', async () => {
    const [port, admin] = [await getFreePort(), await getFreePort()];
    const file = join(dir, 'admin.yml');
    await writeFile(
      file,
      `upstream: ${dockerHost}
admin: { address: "127.0.0.1:${admin}" }
listeners:
  - { name: lan, address: "127.0.0.1:${port}" }
clients:
  - { name: nobody-here, match: { from: [192.0.2.10] }, containers: all }
`,
    );
    const child = await serve(file, {}, dir);
    try {
      expect(await run([], { DOCKSCOPE_CONFIG: file }, dir)).toEqual({
        code: 0,
        stdout: `dockscope healthcheck: admin 127.0.0.1:${admin} /ready: 200\n`,
        stderr: '',
      });
    } finally {
      child.kill('SIGTERM');
    }
    await waitFor('it to stop', async () => child.exitCode !== null);
    const down = await run([], { DOCKSCOPE_CONFIG: file }, dir);
    expect([down.code, down.stderr]).toEqual([
      1,
      `dockscope healthcheck: admin 127.0.0.1:${admin} /ready: no answer\n`,
    ]);
  });

  it('says how to fix a configuration no probe from here can pass', async () => {
    const file = join(dir, 'closed.yml');
    await writeFile(
      file,
      `upstream: ${dockerHost}
listeners:
  - { name: lan, address: "127.0.0.1:${await getFreePort()}" }
clients:
  - { name: homepage, match: { from: [192.0.2.10] }, containers: all }
`,
    );
    const res = await run([], { DOCKSCOPE_CONFIG: file }, dir);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('set an admin listener, such as admin: { address: "127.0.0.1:9100" }');
  });
});
