import { describe, expect, it } from 'vitest';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { decideCreate } from '../../../src/policy/decide-create.ts';
import type { DecideContext, DecideInput, Forwarding } from '../../../src/policy/forward.ts';
import { linkSentinel, sentinel } from '../../../src/policy/missing.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const WEB = id('a');
const DB = id('b');

function context(create: CreateRules | null = null, owner: Ownership | null = null): DecideContext {
  const s = stubResolver(
    [
      { id: WEB, name: 'web', inspect: { HostConfig: {}, Mounts: [{ Name: 'shared-vol' }] } },
      { id: DB, name: 'db', inspect: { HostConfig: {}, Mounts: [{ Name: 'db-data' }] } },
    ],
    { names: ['web'], labels: [] },
    {},
    { 'db-data': { Driver: 'local' }, 'shared-vol': { Driver: 'local' }, free: { Driver: 'local' } },
  );
  return { resolver: s.resolver, create, owner };
}

function input(body: unknown, name = 'web-new'): DecideInput {
  const raw = `/v1.41/containers/create?name=${name}`;
  const target = parseTarget(raw);
  const route = classify('POST', target);
  if (!route) throw new Error('no route');
  return { method: 'POST', target, route, raw, readBody: async () => JSON.stringify(body) };
}

async function outcome(body: unknown, ctx = context(), name?: string) {
  try {
    const f: Forwarding = await decideCreate(input(body, name), ctx);
    return { ...f, body: f.body === undefined ? undefined : JSON.parse(f.body) };
  } catch (error) {
    const e = error as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

const RAW = '/v1.41/containers/create?name=web-new';

describe('decideCreate: a container create judged on its body as the daemon decodes it', () => {
  it('a plain create goes on with its canonical body; its name conflict answer is cut of ids', async () => {
    expect(await outcome({ Image: 'busybox', Cmd: ['true'] })).toEqual({
      path: RAW,
      treatment: 'cutConflictId',
      body: { Image: 'busybox', Cmd: ['true'] },
    });
  });

  it('a container the client would not see is refused', async () => {
    expect(await outcome({ Image: 'busybox' }, context(), 'db-2')).toEqual({
      status: 403,
      message:
        'dockscope: the new container would not be visible to this client: give it a name or label that CONTAINER_NAMES or CONTAINER_LABELS allows',
    });
  });

  it.each([
    ['NetworkMode', 'network'],
    ['Cgroup', 'cgroup'],
  ])(
    '%s container:<hidden> answers as the daemon does for a missing one; a visible one is pinned',
    async (key) => {
      expect(await outcome({ Image: 'busybox', HostConfig: { [key]: 'container:db' } })).toEqual({
        status: 400,
        message: 'No such container: db',
      });
      expect(await outcome({ Image: 'busybox', HostConfig: { [key]: 'container:nope' } })).toEqual({
        status: 400,
        message: 'No such container: nope',
      });
      const pinned = await outcome({ Image: 'busybox', HostConfig: { [key]: 'container:web' } });
      expect(pinned).toMatchObject({
        treatment: 'cutConflictId',
        body: { HostConfig: { [key]: `container:${WEB}` } },
      });
    },
  );

  it('PidMode, IpcMode, VolumesFrom and Links: visible ones pinned, hidden ones sentinels the daemon refuses', async () => {
    const out = await outcome({
      Image: 'busybox',
      HostConfig: {
        PidMode: 'container:db',
        IpcMode: 'container:web',
        VolumesFrom: ['web:ro', 'db'],
        Links: ['web:w', 'nope:n'],
      },
    });
    expect(out).toEqual({
      path: RAW,
      treatment: 'restoreMissing',
      missing: [
        { sentinel: sentinel(0), typed: 'db' },
        { sentinel: sentinel(1), typed: 'db' },
        { sentinel: sentinel(2), typed: 'nope' },
      ],
      body: {
        Image: 'busybox',
        HostConfig: {
          PidMode: `container:${sentinel(0)}`,
          IpcMode: `container:${WEB}`,
          VolumesFrom: [`${WEB}:ro`, sentinel(1)],
          Links: [`${WEB}:w`, `${sentinel(2)}:n`],
        },
      },
    });
  });

  it('legacy links on a user-defined network (which the daemon ignores) stand for the typed name once', async () => {
    const out = await outcome({
      Image: 'busybox',
      HostConfig: { NetworkMode: 'appnet', PidMode: 'container:db', Links: ['db:d'] },
    });
    expect(out).toMatchObject({
      treatment: 'restoreMissing',
      missing: [
        { sentinel: sentinel(0), typed: 'db' },
        { sentinel: sentinel(1), typed: 'db' },
      ],
      body: {
        HostConfig: {
          NetworkMode: 'appnet',
          PidMode: `container:${sentinel(0)}`,
          Links: [`${sentinel(1)}:d`],
        },
      },
    });
  });

  it('an endpoint link to a hidden container goes on as a link sentinel (the daemon accepts it)', async () => {
    const out = await outcome({
      Image: 'busybox',
      NetworkingConfig: { EndpointsConfig: { appnet: { Links: ['db:d', 'web:w'] } } },
    });
    expect(out).toMatchObject({
      treatment: 'restoreMissing',
      missing: [{ sentinel: linkSentinel('db'), typed: 'db' }],
      body: {
        NetworkingConfig: { EndpointsConfig: { appnet: { Links: [`${linkSentinel('db')}:d`, 'web:w'] } } },
      },
    });
  });

  it.each([
    [
      { VolumesFrom: [7] },
      'dockscope: the container create body: body.HostConfig.VolumesFrom[0] must be a string',
    ],
    [{ Links: [null] }, 'dockscope: the container create body: body.HostConfig.Links[0] must be a string'],
  ])('HostConfig %j is the decoder’s 400, before any look-up', async (host, message) => {
    expect(await outcome({ Image: 'busybox', HostConfig: host })).toMatchObject({ status: 400, message });
  });

  it('under create rules, a private cgroup namespace is asked for unless the host’s is allowed', async () => {
    expect(await outcome({ Image: 'busybox' }, context(NO_WAY_OUT))).toMatchObject({
      treatment: 'cutConflictId',
      body: { Image: 'busybox', HostConfig: { CgroupnsMode: 'private' } },
    });
    expect(
      await outcome(
        { Image: 'busybox', HostConfig: { CgroupnsMode: 'host' } },
        context({ ...NO_WAY_OUT, hostNamespaces: ['cgroupns'] }),
      ),
    ).toMatchObject({ body: { HostConfig: { CgroupnsMode: 'host' } } });
    // Without create rules nothing is added.
    expect(await outcome({ Image: 'busybox' })).toMatchObject({ body: { Image: 'busybox' } });
  });

  it('create rules refuse before any container is looked at', async () => {
    const out = await outcome(
      { Image: 'busybox', HostConfig: { Privileged: true, NetworkMode: 'container:db' } },
      context(NO_WAY_OUT),
    );
    expect(out).toMatchObject({ status: 403 });
    expect((out as { message: string }).message).toMatch(/^dockscope: create rule "privileged" refuses /);
  });

  it('a named volume a hidden container uses is refused under create rules; a free one goes on', async () => {
    expect(
      await outcome({ Image: 'busybox', HostConfig: { Binds: ['db-data:/data'] } }, context(NO_WAY_OUT)),
    ).toEqual({
      status: 403,
      message:
        'dockscope: create rule "volumes" refuses HostConfig.Binds[0]: the volume "db-data" is used by a container this client may not see',
    });
    expect(
      await outcome(
        { Image: 'busybox', HostConfig: { Binds: ['shared-vol:/data', 'free:/x'] } },
        context(NO_WAY_OUT),
      ),
    ).toMatchObject({ treatment: 'cutConflictId' });
  });

  it('a restricted client may not set a dockscope.* label', async () => {
    expect(
      await outcome({ Image: 'busybox', Labels: { 'dockscope.client': 'ops' } }, context(NO_WAY_OUT)),
    ).toMatchObject({
      status: 403,
    });
  });

  it('an owner’s create carries its owner label', async () => {
    const owner: Ownership = { key: 'dockscope.owner', owner: 'ci' };
    expect(await outcome({ Image: 'busybox', Labels: { team: 'a' } }, context(null, owner))).toMatchObject({
      treatment: 'cutConflictId',
      body: { Labels: { team: 'a', 'dockscope.owner': 'ci' } },
    });
  });
});
