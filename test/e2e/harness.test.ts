import { once } from 'node:events';
import { request } from 'node:http';
import Docker from 'dockerode';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { startSocketProxy } from '../harness/socket-proxy.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');
// The Docker CLI speaks plain HTTP to tcp:// hosts.
const proxyHost = inject('socketProxyUrl').replace(/^http:/, 'tcp:');

function pingSocket(socketPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/_ping', timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The stdout frames of a multiplexed (non-TTY) attach stream. */
function stdoutOf(raw: Buffer): string {
  let out = '';
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    if (raw[at] === 1) out += raw.subarray(at + 8, at + 8 + size).toString('utf8');
    at += 8 + size;
  }
  return out;
}

async function execWithInput(docker: Docker, container: string, input: string): Promise<string> {
  const exec = await docker.getContainer(container).exec({
    AttachStdin: true,
    AttachStdout: true,
    Cmd: ['sh', '-c', 'cat; echo done'],
  });
  const stream = await exec.start({ hijack: true, stdin: true });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(stream, 'end');
  stream.end(input);
  await ended;
  return stdoutOf(Buffer.concat(chunks));
}

describe('e2e harness', () => {
  const name = `dsc-harness-${process.pid}`;

  afterAll(async () => {
    await dockerCli(dockerHost, ['rm', '-f', name]);
  });

  it('reaches a private daemon, not the default one', async () => {
    expect(dockerHost).toBe(`unix://${dockerSocket}`);
    expect(dockerSocket).not.toBe('/var/run/docker.sock');
    await expect(pingSocket(dockerSocket)).resolves.toEqual({ status: 200, body: 'OK' });
  });

  it('runs the busybox image', async () => {
    const out = await dockerOk(dockerHost, ['run', '--rm', '--network', 'none', image, 'echo', 'hello']);
    expect(out).toBe('hello\n');
  });

  it('lists a container through the HAProxy socket proxy', async () => {
    await dockerOk(dockerHost, ['run', '-d', '--network', 'none', '--name', name, image, 'sleep', '300']);
    const out = await dockerOk(proxyHost, ['ps', '--filter', `name=^${name}$`, '--format', '{{.Names}}']);
    expect(out.trim()).toBe(name);
  });

  it('upgrades `docker exec -i` through HAProxy', async () => {
    const out = await dockerOk(proxyHost, ['exec', '-i', name, 'sh', '-c', 'cat; echo done'], {
      input: 'abc',
    });
    expect(out).toBe('abcdone\n');
  });

  it('upgrades exec for a keep-alive HTTP client (dockerode) through HAProxy', async () => {
    // Node's default agent reuses connections; a hijack on a reused connection is what HAProxy breaks.
    const port = Number(new URL(inject('socketProxyUrl')).port);
    const docker = new Docker({ host: '127.0.0.1', port, protocol: 'http' });
    for (const input of ['one', 'two']) {
      await docker.ping();
      expect(await execWithInput(docker, name, input)).toBe(`${input}done\n`);
    }
  });

  it('upgrades `docker run -i` (attach) through HAProxy', async () => {
    const args = ['run', '--rm', '-i', '--network', 'none', image, 'sh', '-c', 'wc -c'];
    const out = await dockerOk(proxyHost, args, { input: 'hello' });
    expect(out.trim()).toBe('5');
  });

  it('answers 403 for denied sections and passes the rest', async () => {
    const proxy = await startSocketProxy(dockerSocket, { deny: ['events'] });
    try {
      for (const path of ['/events', '/v1.41/events', '/v1.41/events?since=0', '/v1.41/%65vents']) {
        const res = await fetch(`${proxy.url}${path}`);
        await res.arrayBuffer();
        expect(res.status, path).toBe(403);
      }
      const ping = await fetch(`${proxy.url}/_ping`);
      expect(await ping.text()).toBe('OK');
      const viaProxy = proxy.url.replace(/^http:/, 'tcp:');
      // --until keeps the command finite should the deny rule ever stop matching.
      const until = String(Math.floor(Date.now() / 1000));
      const denied = await dockerCli(viaProxy, ['events', '--since', '0', '--until', until]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/403|forbidden/i);
      const ps = await dockerOk(viaProxy, ['ps', '--format', '{{.Names}}']);
      expect(ps).toContain(name);
    } finally {
      await proxy.stop();
    }
  });
});
