import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NODE_FLAGS } from '../../src/server/banner.ts';
import { getFreePort } from '../harness/free-port.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

// The compiled entry points the Dockerfile runs (`npm test` builds them first).
const MAIN = resolve('dist/main.js');
const HEALTHCHECK = resolve('dist/healthcheck.js');
const BIN = resolve('dist/bin.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  script: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 10_000,
  args: readonly string[] = [],
): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** Starts `node dist/main.js` and resolves once it listens; `output()` is everything it logged. */
async function startMain(cwd: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH ?? '', ...env } });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  try {
    await waitFor('dockscope to listen', async () => stdout.includes('dockscope is listening'));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, output: () => stdout };
}

describe('the dockscope process, as `node dist/main.js` (the Dockerfile adds only V8 flags)', () => {
  const p = uniquePrefix('up');
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsc-start-'));
    await createContainer(dockerHost, image, { name: `${p}-vis`, env: { TOKEN: `${p}-env-secret` } });
    await createContainer(dockerHost, image, { name: `${p}-hid` });
  });
  afterAll(async () => {
    await removeContainers(dockerHost, [`${p}-vis`, `${p}-hid`]);
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['PROXY_URL', 'ftp://socket-proxy:2375', 'scheme "ftp:" is not supported'],
    ['PROXY_URL', 'http://socket-proxy:99999', 'is not a URL'],
    ['PROXY_URL', 'unix://relative/docker.sock', 'absolute socket path'],
    ['SCRUB_ENVS', 'maybe', 'is not a boolean'],
    ['CONTAINER_NAMES', 'web,,db', 'is empty'],
    ['CONTAINER_LABELS', 'k=', 'empty value'],
    ['LISTEN', 'nonsense', 'is not host:port'],
    ['LISTEN', '0.0.0.0:70000', 'out of range'],
    ['LOG_LEVEL', 'loud', 'is not one of'],
    // A bare number used to mean milliseconds: 60 ms cut every request short (issue #22).
    ['UPSTREAM_TIMEOUT', '60', '"60" has no unit: write 60s for seconds or 60ms for milliseconds'],
    ['CACHE_TTL', '2', '"2" has no unit: write 2s for seconds'],
  ])('a bad %s=%s stops the start with a message naming it', async (variable, value, why) => {
    // CONTAINERS=all: the start would be refused without lists, and the test is about the bad value.
    const res = await run(MAIN, { CONTAINERS: 'all', [variable]: value }, dir);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(`^dockscope: configuration error: ${variable}: .*${why.replace(/[()[\]"]/g, '.')}`),
    );
    expect(res.stderr).toContain(`Example: ${variable}=`);
  });

  it.each<[string, string, string]>([
    [
      'CONTAINER_NAME',
      'web',
      'did you mean CONTAINER_NAMES? Unread, the list would scope nothing. Example: CONTAINER_NAMES=web,db',
    ],
    [
      'SCRUB_ENV',
      'true',
      'did you mean SCRUB_ENVS? Unread, environment variables (secrets) would be shown in inspect answers. Example: SCRUB_ENVS=true',
    ],
    [
      'container_labels',
      'homepage',
      'did you mean CONTAINER_LABELS? Unread, the list would scope nothing. Example: CONTAINER_LABELS=homepage',
    ],
  ])(
    'a near miss %s=%s stops the start instead of leaving every container visible (issue #22)',
    async (variable, value, why) => {
      const res = await run(MAIN, { [variable]: value, LISTEN: '127.0.0.1:0' }, dir);
      expect(res.code).toBe(2);
      expect(res.stdout).toBe('');
      expect(res.stderr).toBe(
        `dockscope: configuration error: ${variable}: is not a variable dockscope reads; ${why}\n`,
      );
    },
  );

  // Issue #22: docker-proxy-filter shows every container when no list is set; a forgotten or misspelt
  // list must not do that silently.
  it('without CONTAINER_NAMES, CONTAINER_LABELS or CONTAINERS=all the start is refused, saying how', async () => {
    const port = await getFreePort();
    const res = await run(MAIN, { PROXY_URL: dockerHost, LISTEN: `127.0.0.1:${port}` }, dir);
    expect(res).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'dockscope: configuration error: CONTAINERS: is unset, and so are CONTAINER_NAMES and CONTAINER_LABELS: ' +
        'dockscope shows every container only when told to. Set CONTAINER_NAMES=web,db (containers whose names ' +
        'contain web or db), CONTAINER_LABELS=homepage (containers with a label whose key contains homepage), ' +
        'or CONTAINERS=all (every container). Example: CONTAINER_NAMES=web,db\n',
    });
  });

  it.each<[Record<string, string>, string]>([
    [
      { CONTAINERS: 'all', CONTAINER_NAMES: 'web' },
      'CONTAINERS: is "all", but CONTAINER_NAMES shows only some containers: unset one or the other. Example: CONTAINERS=(unset)',
    ],
    [
      { CONTAINERS: 'some' },
      'CONTAINERS: "some" is not "all", its only value (to see some containers, set CONTAINER_NAMES or CONTAINER_LABELS; ' +
        "CONTAINERS=1 is a socket proxy's setting). Example: CONTAINERS=all",
    ],
  ])('%j is refused (issue #22)', async (env, message) => {
    const res = await run(MAIN, { PROXY_URL: dockerHost, LISTEN: '127.0.0.1:0', ...env }, dir);
    expect(res).toEqual({ code: 2, stdout: '', stderr: `dockscope: configuration error: ${message}\n` });
  });

  it('with CONTAINERS=all it starts and shows every container, as docker-proxy-filter without lists', async () => {
    const port = await getFreePort();
    const { child, output } = await startMain(dir, {
      PROXY_URL: dockerHost,
      LISTEN: `127.0.0.1:${port}`,
      CONTAINERS: 'all',
    });
    try {
      const url = { url: `http://127.0.0.1:${port}` };
      const list = await rawRequest(
        url,
        'GET',
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [p] }))}`,
      );
      expect((JSON.parse(list.body) as { Names: string[] }[]).map((c) => c.Names[0]).sort()).toEqual([
        `/${p}-hid`,
        `/${p}-vis`,
      ]);
      expect((await rawRequest(url, 'GET', `/containers/${p}-hid/json`)).status).toBe(200);
      expect(output()).toContain('dockscope is listening');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });

  it('--help and --version print and exit 0; an unknown argument exits 2 with the usage; none of them serves (issue #22)', async () => {
    const port = await getFreePort();
    // Each would start a proxy on this port if the arguments were ignored.
    const env = { PROXY_URL: dockerHost, LISTEN: `127.0.0.1:${port}`, CONTAINER_NAMES: `${p}-vis` };
    const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as { version: string };
    const help = await run(MAIN, env, dir, 10_000, ['--help']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout).toMatch(/^usage: dockscope \[serve\] \[--config FILE\]/);
    expect(help.stdout).toContain('dockscope explain [--config FILE] --client NAME METHOD PATH');
    expect(await run(MAIN, env, dir, 10_000, ['--version'])).toEqual({
      code: 0,
      stdout: `dockscope ${pkg.version}\n`,
      stderr: '',
    });
    for (const [args, message] of [
      [['--confg', 'x.yml'], 'unknown option "--confg" (did you mean --config?)'],
      [['chek'], 'unknown command "chek" (did you mean check?)'],
      [['serve', '--verbose'], 'unknown option "--verbose" for serve'],
    ] as const) {
      const res = await run(MAIN, env, dir, 10_000, args);
      expect([res.code, res.stdout], args.join(' ')).toEqual([2, '']);
      expect(res.stderr).toBe(`dockscope: ${message}\n${help.stdout}`);
    }
  });

  it('the dockscope command (package.json bin) runs itself with the V8 flags of npm start, as one process', async () => {
    const pkg = JSON.parse(await readFile(resolve('package.json'), 'utf8')) as {
      version: string;
      bin: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ dockscope: 'dist/bin.js' });
    // Through its shebang, with this Node first on PATH.
    const version = await new Promise<Run>((done) => {
      const child = spawn(BIN, ['--version'], {
        env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d;
      });
      child.on('close', (code) => done({ code, stdout, stderr: '' }));
    });
    expect([version.code, version.stdout]).toEqual([0, `dockscope ${pkg.version}\n`]);
    const port = await getFreePort();
    const child = spawn(process.execPath, [BIN], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        PROXY_URL: dockerHost,
        LISTEN: `127.0.0.1:${port}`,
        CONTAINER_NAMES: `${p}-vis`,
      },
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    try {
      await waitFor('dockscope to listen', async () => stdout.includes('dockscope is listening'));
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { missing?: string[] });
      // execve: the same pid, and no warning about missing flags.
      expect(lines.filter((l) => l.missing)).toEqual([]);
      const cmdline = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      expect(cmdline).toEqual([process.execPath, ...NODE_FLAGS, resolve('dist/main.js')]);
      expect((await rawRequest({ url: `http://127.0.0.1:${port}` }, 'GET', '/_ping')).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise((r) => child.on('close', r))).toBe(0);
  });

  it("docker-proxy-filter's PORT is the port it listens on, on every address", async () => {
    const port = await getFreePort();
    const { child } = await startMain(dir, {
      PROXY_URL: dockerHost,
      PORT: String(port),
      CONTAINER_NAMES: `${p}-vis`,
    });
    try {
      const res = await rawRequest({ url: `http://127.0.0.1:${port}` }, 'GET', '/_ping');
      expect([res.status, res.body]).toEqual([200, 'OK']);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('reads .env, filters, logs one JSON line per request without secrets, pings healthy, and stops on SIGTERM', async () => {
    const port = await getFreePort();
    await writeFile(
      join(dir, '.env'),
      `PROXY_URL=${dockerHost}\nLISTEN=127.0.0.1:${port}\nCONTAINER_NAMES=${p}-vis\nLOG_LEVEL=info\n`,
    );
    const { child, output } = await startMain(dir, {});
    try {
      const url = { url: `http://127.0.0.1:${port}` };
      const list = await rawRequest(
        url,
        'GET',
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ name: [p] }))}`,
      );
      expect((JSON.parse(list.body) as { Names: string[] }[]).map((c) => c.Names[0])).toEqual([`/${p}-vis`]);
      const inspect = await rawRequest(url, 'GET', `/containers/${p}-vis/json`, undefined, {
        authorization: 'Bearer sekret-token',
      });
      expect(inspect.body).toContain(`${p}-env-secret`);
      expect((await rawRequest(url, 'GET', `/containers/${p}-hid/json`)).status).toBe(404);

      const health = await run(HEALTHCHECK, { LISTEN: `127.0.0.1:${port}` }, dir);
      expect(health.code).toBe(0);
      const unhealthy = await run(HEALTHCHECK, { LISTEN: `127.0.0.1:${await getFreePort()}` }, dir);
      expect(unhealthy.code).toBe(1);

      await waitFor('the access log lines', async () => output().includes(`/containers/${p}-hid/json`));
      const lines = output()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // Started as `node dist/main.js`, without the V8 flags of `npm start`: it says so, once.
      expect(lines.filter((l) => Array.isArray(l.missing))).toMatchObject([
        { level: 40, missing: [...NODE_FLAGS] },
      ]);
      const hiddenLine = lines.find((l) => l.path === `/containers/${p}-hid/json`);
      expect(hiddenLine).toMatchObject({
        method: 'GET',
        route: 'container',
        decision: 'hidden',
        status: 404,
      });
      expect(lines.find((l) => l.path === `/containers/${p}-vis/json`)).toMatchObject({
        decision: 'filtered',
        status: 200,
      });
      expect(output()).not.toContain(`${p}-env-secret`);
      expect(output()).not.toContain('sekret-token');
      expect(output()).not.toContain('filters');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(0);
  });

  it("an unreachable upstream answers 502 in Docker's error shape, and the process keeps serving", async () => {
    const port = await getFreePort();
    const { child } = await startMain(dir, {
      PROXY_URL: `unix://${dir}/no-such.sock`,
      LISTEN: `127.0.0.1:${port}`,
      CONTAINER_NAMES: 'x',
    });
    try {
      const url = { url: `http://127.0.0.1:${port}` };
      for (const path of ['/_ping', '/containers/json', '/containers/abc/logs', '/events']) {
        const res = await rawRequest(url, 'GET', path);
        expect(res.status, path).toBe(502);
        expect(JSON.parse(res.body).message).toMatch(/^dockscope: upstream unix:\/\/.* failed: ENOENT/);
      }
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
