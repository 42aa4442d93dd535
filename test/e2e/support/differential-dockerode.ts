import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { Outcome } from './differential.ts';
import { normalise, recordStep } from './differential.ts';

type Networks = Record<string, { Aliases?: string[] | null; Links?: string[] | null }>;

/** Reads a hijacked exec stream to its end, split into stdout and stderr as dockerode's demuxer does. */
async function demuxed(docker: Docker, stream: NodeJS.ReadableStream): Promise<[string, string]> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks: [Buffer[], Buffer[]] = [[], []];
  out.on('data', (c: Buffer) => chunks[0].push(c));
  err.on('data', (c: Buffer) => chunks[1].push(c));
  docker.modem.demuxStream(stream, out, err);
  await new Promise((resolve) => stream.on('end', resolve));
  return [Buffer.concat(chunks[0]).toString(), Buffer.concat(chunks[1]).toString()];
}

/**
 * The dockerode part of the differential harness: create with the runtime and endpoint aliases, links
 * on a network (one to a container that does not exist yet), exec with environment, user, working
 * directory, tty and exit codes, network connect and disconnect, logs and removal. Returns one outcome
 * per operation, normalised as the docker-py script's are.
 */
export async function runDockerode(docker: Docker, prefix: string, image: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const step = (op: string, fn: () => Promise<unknown>) => recordStep(outcomes, prefix, op, fn);
  const net = `${prefix}-dnet`;
  const endpoint = async (name: string, network: string) => {
    const info = (await docker.getContainer(name).inspect()) as { NetworkSettings: { Networks: Networks } };
    const e = info.NetworkSettings.Networks[network] ?? {};
    const aliases = (e.Aliases ?? []).filter((a) => !/^[0-9a-f]{12}$/.test(a)).sort();
    return { aliases, links: [...(e.Links ?? [])].sort() };
  };
  await step(
    'network create',
    async () => (await docker.createNetwork({ Name: net, Internal: true })).id !== '',
  );
  await step('create with runtime, endpoint aliases and links', async () => {
    const c = await docker.createContainer({
      name: `${prefix}-app`,
      Image: image,
      Cmd: ['sleep', '600'],
      Env: ['E=1'],
      HostConfig: { NetworkMode: net, Runtime: 'runc', Memory: 64 * 1024 * 1024 },
      NetworkingConfig: {
        EndpointsConfig: { [net]: { Aliases: ['appalias'], Links: [`${prefix}-notyet:later`] } },
      },
    });
    await c.start();
    const info = await c.inspect();
    return {
      runtime: info.HostConfig.Runtime,
      memory: info.HostConfig.Memory,
      running: info.State.Running,
      endpoint: await endpoint(c.id, net),
    };
  });
  const app = docker.getContainer(`${prefix}-app`);
  const exec = async (options: Docker.ExecCreateOptions, tty = false) => {
    const e = await app.exec({ AttachStdout: true, AttachStderr: true, Tty: tty, ...options });
    const stream = await e.start({ hijack: true, stdin: false, Tty: tty });
    const output = tty
      ? await new Promise<string>((resolve) => {
          let text = '';
          stream.on('data', (c: Buffer) => {
            text += c.toString();
          });
          stream.on('end', () => resolve(text));
        })
      : await demuxed(docker, stream);
    return [(await e.inspect()).ExitCode, output];
  };
  await step('exec stdout and stderr', () => exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2'] }));
  await step('exec environment', () => exec({ Cmd: ['sh', '-c', 'echo $X $E'], Env: ['X=ex'] }));
  await step('exec user', () => exec({ Cmd: ['id', '-u'], User: '1000' }));
  await step('exec working directory', () => exec({ Cmd: ['pwd'], WorkingDir: '/tmp' }));
  await step('exec exit code', () => exec({ Cmd: ['sh', '-c', 'exit 5'] }));
  await step('exec tty', () => exec({ Cmd: ['echo', 'tty'] }, true));
  await step('network connect with aliases and links, disconnect', async () => {
    // Out of its network and back in with aliases and links (one network: address pools are shared).
    const other = docker.getNetwork(net);
    const helper = await docker.createContainer({
      name: `${prefix}-dhelper`,
      Image: image,
      Cmd: ['true'],
      HostConfig: { NetworkMode: net },
    });
    await other.disconnect({ Container: helper.id });
    await other.connect({
      Container: helper.id,
      EndpointConfig: { Aliases: ['helper'], Links: [`${prefix}-app:a`, `${prefix}-gone:g`] },
    });
    const connected = await endpoint(helper.id, net);
    await helper.remove();
    return connected;
  });
  await step('logs', async () => {
    const c = await docker.createContainer({
      name: `${prefix}-dlog`,
      Image: image,
      Cmd: ['sh', '-c', 'echo hello; echo bye >&2'],
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    const waited = (await c.wait()) as { StatusCode: number };
    // Each stream on its own: the daemon's order between the two is not fixed.
    const out = await c.logs({ stdout: true, stderr: false, follow: false });
    const err = await c.logs({ stdout: false, stderr: true, follow: false });
    await c.remove();
    return [waited.StatusCode, out.toString('latin1'), err.toString('latin1')];
  });
  await step('missing container', () => docker.getContainer(`${prefix}-nosuch`).inspect());
  await step('remove', async () => {
    await app.remove({ force: true });
    await docker.getNetwork(net).remove();
    return 'removed';
  });
  return outcomes.map((o) => normalise(o, prefix) as Outcome);
}
