import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { startCli } from './support/cli-process.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const socketProxyUrl = inject('socketProxyUrl');
const image = inject('image');

const upstreams = [
  { mode: 'directly on the daemon socket', url: dockerHost },
  { mode: 'in front of an HAProxy socket proxy', url: socketProxyUrl },
] as const;

describe.each(upstreams)('streams and hijacked connections through dockscope $mode', ({ url }) => {
  const p = uniquePrefix('st');
  const web = `${p}-web`;
  const hidden = `${p}-hidden`;
  const created: string[] = [web, hidden];
  let proxy: RunningDockscope;

  beforeAll(async () => {
    await createContainer(dockerHost, image, {
      name: web,
      // Prints a line each time /tmp/go appears, so a test can make it log while `logs -f` follows.
      cmd: [
        'sh',
        '-c',
        'echo ready; while true; do if [ -f /tmp/go ]; then cat /tmp/go; rm /tmp/go; fi; sleep 0.1; done',
      ],
    });
    await createContainer(dockerHost, image, { name: hidden });
    proxy = await startTestDockscope({ PROXY_URL: url, CONTAINER_NAMES: `${p}-web,${p}-job` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, created);
  });

  it('docker exec -it runs an interactive shell: a command typed in, its output back, then exit', async () => {
    const shell = startCli(proxy.host, ['exec', '-it', web, 'sh'], { tty: true });
    try {
      shell.child.stdin.write('echo "sum=$((40+2))"\r');
      await shell.waitFor(/sum=42/);
      shell.child.stdin.write('exit 3\r');
      expect(await shell.exited()).toBe(3);
    } finally {
      shell.kill();
    }
  });

  it('docker exec -i with piped stdin sees the data, then EOF, and output keeps flowing after the half-close', async () => {
    const payload = randomBytes(64 * 1024).toString('hex');
    const res = await dockerCli(
      proxy.host,
      ['exec', '-i', web, 'sh', '-c', 'wc -c; sleep 0.3; echo after-eof'],
      {
        input: payload,
      },
    );
    expect(res.code).toBe(0);
    expect(res.stdout.trim().split(/\s+/)).toEqual([String(payload.length), 'after-eof']);
  });

  it('docker exec -it on a hidden container fails as for a missing one', async () => {
    const res = await dockerCli(proxy.host, ['exec', '-i', hidden, 'true']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`No such container: ${hidden}`);
  });

  it('docker run -i --rm (create, attach, start, wait) works for a visible name', async () => {
    const name = `${p}-job-${randomBytes(2).toString('hex')}`;
    created.push(name);
    const res = await dockerCli(
      proxy.host,
      ['run', '-i', '--rm', '--network', 'none', '--name', name, image, 'sh', '-c', 'read l; echo "got:$l"'],
      {
        input: 'hello\n',
      },
    );
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('got:hello');
  });

  it('docker attach streams the output of a visible container', async () => {
    const name = `${p}-job-${randomBytes(2).toString('hex')}`;
    created.push(name);
    // It keeps printing, so the test does not depend on when the attach is in place.
    await createContainer(dockerHost, image, {
      name,
      cmd: ['sh', '-c', 'while true; do echo attached-line; sleep 0.2; done'],
    });
    const attach = startCli(proxy.host, ['attach', '--no-stdin', name]);
    try {
      await attach.waitFor(/attached-line\n[\s\S]*attached-line/);
    } finally {
      attach.kill();
    }
  });

  it('docker logs -f receives a line written after the follow started', async () => {
    const follow = startCli(proxy.host, ['logs', '-f', '--tail', '1', web]);
    try {
      await follow.waitFor(/ready|\n/);
      const marker = `late-${randomBytes(4).toString('hex')}`;
      await dockerOk(dockerHost, ['exec', web, 'sh', '-c', `echo ${marker} > /tmp/go`]);
      await follow.waitFor(new RegExp(marker));
    } finally {
      follow.kill();
    }
  });

  it('docker events receives the start of a visible container and nothing of a hidden one', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const events = startCli(proxy.host, [
      'events',
      '--since',
      String(since),
      '--format',
      '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
    ]);
    try {
      const name = `${p}-job-${randomBytes(2).toString('hex')}`;
      created.push(name);
      await dockerOk(dockerHost, ['restart', '-t', '0', hidden]);
      await createContainer(dockerHost, image, { name, cmd: ['true'] });
      await events.waitFor(new RegExp(`container start ${name}`));
      await events.waitFor(new RegExp(`container die ${name}`));
      expect(events.output()).not.toContain(hidden);
    } finally {
      events.kill();
    }
  });

  it('docker stats streams samples of a visible container', async () => {
    const stats = startCli(proxy.host, ['stats', '--format', 'sample {{.Name}}', web]);
    try {
      await stats.waitFor(new RegExp(`sample ${web}[\\s\\S]*sample ${web}`), 20_000);
    } finally {
      stats.kill();
    }
  });

  it('docker cp copies into and out of a visible container, and not of a hidden one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dsc-cp-'));
    try {
      const content = `cp-${randomBytes(8).toString('hex')}`;
      await writeFile(join(dir, 'in.txt'), content);
      await dockerOk(proxy.host, ['cp', join(dir, 'in.txt'), `${web}:/tmp/in.txt`]);
      expect((await dockerOk(dockerHost, ['exec', web, 'cat', '/tmp/in.txt'])).trim()).toBe(content);
      await dockerOk(proxy.host, ['cp', `${web}:/tmp/in.txt`, join(dir, 'out.txt')]);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe(content);
      const res = await dockerCli(proxy.host, ['cp', `${hidden}:/etc/passwd`, join(dir, 'stolen')]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('No such container');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('docker wait returns the exit code of a visible container', async () => {
    const name = `${p}-job-${randomBytes(2).toString('hex')}`;
    created.push(name);
    await createContainer(dockerHost, image, { name, cmd: ['sh', '-c', 'sleep 1; exit 7'] });
    expect((await dockerOk(proxy.host, ['wait', name])).trim()).toBe('7');
  });

  it('a hundred abandoned log streams leave no upstream connection behind', async () => {
    const agents = [proxy.ds.upstream.agent, proxy.ds.upstream.longAgent];
    const open = () =>
      agents.reduce(
        (total, agent) =>
          total +
          Object.values(agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0) +
          Object.values(agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0),
        0,
      );
    const baseline = open();
    const streams = await Promise.all(
      Array.from(
        { length: 100 },
        () =>
          new Promise<http.ClientRequest>((resolve, reject) => {
            const req = http.get(
              `${proxy.url}/containers/${web}/logs?follow=1&stdout=1&tail=0`,
              { agent: false },
              (res) => {
                expect(res.statusCode).toBe(200);
                resolve(req);
              },
            );
            req.on('error', reject);
          }),
      ),
    );
    // Idle keep-alive sockets of the baseline may be taken by the new streams.
    expect(open()).toBeGreaterThanOrEqual(100);
    for (const req of streams) req.destroy();
    await waitFor('upstream connections back to the baseline', async () => open() <= baseline, 10_000);
  });
});

describe('timeouts: junk connections are reaped, quiet streams are not', () => {
  const p = uniquePrefix('to');
  const quiet = `${p}-quiet`;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    await createContainer(dockerHost, image, { name: quiet, cmd: ['sleep', '3600'] });
    proxy = await startTestDockscope(
      { PROXY_URL: dockerHost, CONTAINER_NAMES: quiet },
      { headersTimeoutMs: 1000 },
    );
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [quiet]);
  });

  it('a connection that never finishes its request head is closed', async () => {
    const socket = net.connect(proxy.port, '127.0.0.1');
    socket.write('GET /containers/json HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('utf8');
    });
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('a quiet logs -f stream outlives the header timeout many times over', async () => {
    const follow = startCli(proxy.host, ['logs', '-f', quiet]);
    try {
      await new Promise((r) => setTimeout(r, 4000));
      expect(follow.child.exitCode).toBeNull();
      const marker = `quiet-${randomBytes(3).toString('hex')}`;
      await dockerOk(dockerHost, ['exec', quiet, 'sh', '-c', `echo ${marker} > /proc/1/fd/1`]);
      await follow.waitFor(new RegExp(marker));
    } finally {
      follow.kill();
    }
  });
});

describe('backpressure: a client that stops reading does not make dockscope read on', () => {
  const p = uniquePrefix('bp');
  const busy = `${p}-busy`;
  let proxy: RunningDockscope;

  beforeAll(async () => {
    await createContainer(dockerHost, image, { name: busy, cmd: ['sleep', '3600'] });
    // No event watch: the only upstream connections are the ones this test makes.
    proxy = await startTestDockscope(
      { PROXY_URL: dockerHost, CONTAINER_NAMES: busy },
      { watchEvents: false },
    );
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, [busy]);
  });

  it('an exec printing without end, to a client that reads nothing, is read upstream only as far as buffers go', async () => {
    const created = await fetch(`${proxy.url}/containers/${busy}/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Cmd: ['yes', 'backpressure'], AttachStdout: true }),
    });
    const { Id } = (await created.json()) as { Id: string };
    // Without Upgrade headers exec start answers a plain streamed 200 (Docker's non-hijacked mode).
    const req = http.request(`${proxy.url}/exec/${Id}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      agent: false,
    });
    req.end(JSON.stringify({ Detach: false, Tty: true }));
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.statusCode).toBe(200);
    res.pause();
    const upstreamBytes = () =>
      [proxy.ds.upstream.agent, proxy.ds.upstream.longAgent]
        .flatMap((agent) => Object.values(agent.sockets).flat())
        .reduce((n, s) => n + (s?.bytesRead ?? 0), 0);
    await new Promise((r) => setTimeout(r, 1000));
    const after1s = upstreamBytes();
    await new Promise((r) => setTimeout(r, 2000));
    const after3s = upstreamBytes();
    // `yes` writes hundreds of MB per second; with backpressure only socket and stream buffers fill.
    expect(after3s).toBeLessThan(16 * 1024 * 1024);
    expect(after3s - after1s).toBeLessThan(1024 * 1024);
    req.destroy();
    await waitFor(
      'the upstream stream to be closed',
      async () => Object.values(proxy.ds.upstream.longAgent.sockets).flat().length === 0,
      10_000,
    );
  });
});
