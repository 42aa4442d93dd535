import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ContainerDirectory } from '../../src/policy/directory.ts';
import { buildVisibility } from '../../src/policy/matcher.ts';
import { linkSentinel } from '../../src/policy/missing.ts';
import { ContainerResolver } from '../../src/policy/resolver.ts';
import { Upstream } from '../../src/upstream/client.ts';
import { parseUpstreamUrl } from '../../src/upstream/target.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import { expectSamePaths, jsonPath } from '../unit/support/inspect-differential.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { removeContainers, uniquePrefix } from './support/fixtures.ts';
import { rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

// What a container name, label or environment can hold that a byte-level rewrite could trip on.
const TRICKY = [
  'quote " and backslash \\ and \\u0045nv',
  '","Env":["LEAK=1"],"x":"',
  '{"Config":{"Env":["LEAK=2"]}}',
  '<hidden> & <script>',
  'é € 😀 \u2028',
];

function sortedMounts(inspect: { Mounts?: { Destination: string }[] }): unknown {
  inspect.Mounts?.sort((a, b) => a.Destination.localeCompare(b.Destination));
  return inspect;
}

/**
 * Issue #26: container inspect is rewritten on the answer's text (transforms/inspect-text.ts). Every
 * shape the daemon gives, with tricky strings inside, is taken on by the text path and answered as
 * the full JSON path answers it; through dockscope the client gets that answer.
 */
describe('container inspect on its text answers as the JSON path on real daemon answers', () => {
  const p = uniquePrefix('it');
  const names: string[] = [];
  let proxy: RunningDockscope;
  const daemon = { socketPath: dockerSocket };
  const fresh = () =>
    new ContainerResolver(
      new ContainerDirectory(new Upstream(parseUpstreamUrl(dockerHost)), 60_000, pino({ level: 'silent' })),
      buildVisibility({ names: [`${p}-vis`], labels: [] }),
    );

  async function create(name: string, body: Record<string, unknown>, start = false): Promise<string> {
    const res = await rawRequest(
      daemon,
      'POST',
      `/containers/create?name=${name}`,
      JSON.stringify({ Image: image, Cmd: ['sleep', '3600'], ...body }),
      { 'content-type': 'application/json' },
    );
    expect(res.status, res.body).toBe(201);
    names.push(name);
    const id = (JSON.parse(res.body) as { Id: string }).Id;
    if (start) expect((await rawRequest(daemon, 'POST', `/containers/${id}/start`)).status).toBe(204);
    return id;
  }

  beforeAll(async () => {
    await dockerCli(dockerHost, ['network', 'create', `${p}-net`]);
    const secretEnv = TRICKY.map((v, i) => `SECRET_${i}=${v}`);
    await create(
      `${p}-hid`,
      { Env: secretEnv, HostConfig: { IpcMode: 'shareable' }, Labels: { Env: TRICKY[1] ?? '' } },
      true,
    );
    await create(`${p}-vis-env`, {
      Env: secretEnv,
      Cmd: ['sh', '-c', TRICKY.join(' ')],
      Labels: Object.fromEntries(TRICKY.map((v, i) => [i === 0 ? 'Env' : `tricky.${i}`, v])),
      WorkingDir: '/tmp/"Env"',
      Volumes: { '/data': {} },
      HostConfig: {
        NetworkMode: 'none',
        Tmpfs: { '/scratch': 'size=1m' },
        Mounts: [{ Type: 'volume', Source: `${p}-vol`, Target: '/vol' }],
      },
    });
    await create(
      `${p}-vis-ns`,
      {
        Env: secretEnv,
        HostConfig: {
          NetworkMode: `container:${p}-hid`,
          PidMode: `container:${p}-hid`,
          IpcMode: `container:${p}-hid`,
        },
      },
      true,
    );
    await create(`${p}-vis-vf`, {
      HostConfig: { VolumesFrom: [`${p}-hid:ro`, `${p}-vis-env`], Links: [`${p}-hid:db`] },
    });
    await create(`${p}-vis-ep`, {
      HostConfig: { NetworkMode: `${p}-net` },
      NetworkingConfig: {
        EndpointsConfig: { [`${p}-net`]: { Links: [`${linkSentinel('gone "name"')}:alias`] } },
      },
    });
    await create(`${p}-vis-plain`, { Env: null, Labels: null });
    proxy = await startTestDockscope({
      PROXY_URL: dockerHost,
      CONTAINER_NAMES: `${p}-vis`,
      SCRUB_ENVS: 'true',
    });
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
    await dockerCli(dockerHost, ['network', 'rm', `${p}-net`]);
    await dockerCli(dockerHost, ['volume', 'rm', `${p}-vol`]);
  });

  it.each(['hid', 'vis-env', 'vis-ns', 'vis-vf', 'vis-ep', 'vis-plain'])(
    '%s: the text path takes the daemon answer on and agrees with the JSON path',
    async (which) => {
      const name = `${p}-${which}`;
      const direct = await rawRequest(daemon, 'GET', `/containers/${name}/json`);
      expect(direct.status).toBe(200);
      // Go's encoder: \u003c for <, a newline at the end; the JSON path does not give it back as sent.
      expect(direct.body.endsWith('}\n')).toBe(true);
      for (const scrub of [true, false]) {
        expect(await expectSamePaths(direct.body, fresh, scrub)).toBe('text');
      }
      const through = await rawRequest({ url: proxy.url }, 'GET', `/containers/${name}/json`);
      const expected = await jsonPath(direct.body, fresh(), true);
      if (expected === 'not json') throw new Error('the daemon answered no JSON');
      if (expected.hidden) {
        const missing = await rawRequest(daemon, 'GET', `/containers/${name}-x/json`);
        expect(through.status).toBe(404);
        expect(through.body).toBe(missing.body.replace(`${name}-x`, name));
        return;
      }
      expect(through.status).toBe(200);
      expect(Number(through.headers['content-length'])).toBe(Buffer.byteLength(through.body));
      // A second answer of the daemon: its Mounts come in Go's map order, which changes between answers.
      expect(sortedMounts(JSON.parse(through.body))).toStrictEqual(sortedMounts(JSON.parse(expected.text)));
      // No secret of either container survives, however the daemon spelled it.
      for (const i of TRICKY.keys()) expect(through.body).not.toContain(`SECRET_${i}`);
    },
  );

  it('the shapes are the ones meant: a namespace, volumes and a link of the hidden one become <hidden>', async () => {
    const ns = JSON.parse((await rawRequest({ url: proxy.url }, 'GET', `/containers/${p}-vis-ns/json`)).body);
    expect([ns.HostConfig.NetworkMode, ns.HostConfig.PidMode, ns.HostConfig.IpcMode]).toEqual([
      'container:<hidden>',
      'container:<hidden>',
      'container:<hidden>',
    ]);
    expect(ns.ResolvConfPath).toContain('<hidden>');
    expect(ns.Config.Env).toEqual([]);
    const vf = JSON.parse((await rawRequest({ url: proxy.url }, 'GET', `/containers/${p}-vis-vf/json`)).body);
    expect(vf.HostConfig.VolumesFrom).toEqual(['<hidden>:ro', `${p}-vis-env`]);
    expect(vf.HostConfig.Links).toEqual([]);
    const ep = JSON.parse((await rawRequest({ url: proxy.url }, 'GET', `/containers/${p}-vis-ep/json`)).body);
    expect(ep.NetworkSettings.Networks[`${p}-net`].Links).toEqual(['gone "name":alias']);
    const env = JSON.parse(
      (await rawRequest({ url: proxy.url }, 'GET', `/containers/${p}-vis-env/json`)).body,
    );
    expect(env.Config.Labels.Env).toBe(TRICKY[0]);
    expect(env.Config.Cmd).toEqual(['sh', '-c', TRICKY.join(' ')]);
  });

  it('exec inspect is relayed as the daemon sends it (no rewrite applies)', async () => {
    // Directly on the socket SCRUB_ENVS allows reads only (issue #22): exec inspect without it.
    const plain = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
    const created = await rawRequest(
      daemon,
      'POST',
      `/containers/${p}-vis-ns/exec`,
      JSON.stringify({ Cmd: ['true'], Env: ['EXEC_SECRET=1'] }),
      { 'content-type': 'application/json' },
    );
    expect(created.status).toBe(201);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    const direct = await rawRequest(daemon, 'GET', `/exec/${id}/json`);
    const through = await rawRequest({ url: plain.url }, 'GET', `/exec/${id}/json`);
    await plain.close();
    expect(through.status, through.body).toBe(200);
    expect(through.body).toBe(direct.body);
  });
});
