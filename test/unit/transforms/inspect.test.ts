import { describe, expect, it } from 'vitest';
import { linkSentinel } from '../../../src/policy/missing.ts';
import { filterInspect } from '../../../src/transforms/inspect.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const WEB = id('a');
const DB = id('b');
const resolver = () =>
  stubResolver([
    { id: WEB, name: 'web' },
    { id: DB, name: 'db' },
    { id: id('c'), name: 'web-2' },
  ]).resolver;

const inspect = (host: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  Id: id('c'),
  Name: '/web-2',
  Config: { Env: ['PW=x'], Hostname: 'web-2' },
  HostConfig: host,
  ...more,
});

describe('filterInspect: a container inspect, judged on its own answer', () => {
  it.each([
    ['a hidden container', { Id: DB, Name: '/db', Config: {} }],
    ['a body with no Name', { Id: DB, Config: {} }],
    ['an error answer', { message: 'No such container: web' }],
    ['a list', [{ Id: WEB, Name: '/web' }]],
  ])('%s is not shown', async (_what, body) => {
    expect(await filterInspect(body, resolver(), false)).toEqual({ visible: false });
  });

  it('a visible container is shown; its env is blanked only under SCRUB_ENVS', async () => {
    expect(await filterInspect(inspect(), resolver(), false)).toEqual({ visible: true, body: inspect() });
    const scrubbed = await filterInspect(inspect(), resolver(), true);
    expect(scrubbed).toEqual({
      visible: true,
      body: { ...inspect(), Config: { Env: [], Hostname: 'web-2' } },
    });
  });

  it('a mode naming a hidden container is <hidden>, with its id out of the namespace files and host name', async () => {
    const body = inspect(
      {
        NetworkMode: `container:${DB}`,
        PidMode: 'container:web',
        IpcMode: 'shareable',
        Cgroup: `container:${id('f')}`,
      },
      {
        ResolvConfPath: `/var/lib/docker/containers/${DB}/resolv.conf`,
        HostnamePath: `/var/lib/docker/containers/${DB}/hostname`,
        HostsPath: `/var/lib/docker/containers/${DB}/hosts`,
      },
    );
    body.Config.Hostname = DB.slice(0, 12);
    const out = (await filterInspect(body, resolver(), false)) as {
      visible: true;
      body: typeof body & Record<'ResolvConfPath' | 'HostnamePath' | 'HostsPath', string>;
    };
    expect(out.visible).toBe(true);
    expect(out.body.HostConfig).toEqual({
      NetworkMode: 'container:<hidden>',
      PidMode: 'container:web',
      IpcMode: 'shareable',
      Cgroup: 'container:<hidden>',
    });
    expect([
      out.body.ResolvConfPath,
      out.body.HostnamePath,
      out.body.HostsPath,
      out.body.Config.Hostname,
    ]).toEqual([
      '/var/lib/docker/containers/<hidden>/resolv.conf',
      '/var/lib/docker/containers/<hidden>/hostname',
      '/var/lib/docker/containers/<hidden>/hosts',
      '<hidden>',
    ]);
  });

  it('VolumesFrom keeps visible sources, hides the others keeping their mode, drops non-strings', async () => {
    const out = (await filterInspect(
      inspect({ VolumesFrom: ['web', 'db:ro', `${id('f')}:rw`, 7] }),
      resolver(),
      false,
    )) as { visible: true; body: { HostConfig: { VolumesFrom: unknown[] } } };
    expect(out.body.HostConfig.VolumesFrom).toEqual(['web', '<hidden>:ro', '<hidden>:rw']);
  });

  it('legacy Links to a hidden or missing container are left out', async () => {
    const out = (await filterInspect(
      inspect({ Links: ['/web:/web-2/w', '/db:/web-2/d', '/gone:/web-2/g', 3] }),
      resolver(),
      false,
    )) as { visible: true; body: { HostConfig: { Links: unknown[] } } };
    expect(out.body.HostConfig.Links).toEqual(['/web:/web-2/w']);
  });

  it('endpoint links sent with a link sentinel show the name the client typed; others only to visible targets', async () => {
    const body = inspect(
      {},
      {
        NetworkSettings: {
          Networks: {
            n: { Links: [`${linkSentinel('db')}:d`, 'web:w', 'db:d2', 'gone', 5] },
            m: { Links: ['db'] },
          },
        },
      },
    );
    const out = (await filterInspect(body, resolver(), false)) as {
      visible: true;
      body: { NetworkSettings: { Networks: { n: { Links: unknown[] } } } };
    };
    // db is hidden and gone is missing: a link made on the daemon to either is left out alike.
    expect(out.body.NetworkSettings.Networks.n.Links).toEqual(['db:d', 'web:w']);
    expect((out.body.NetworkSettings.Networks as Record<string, { Links: unknown }>).m?.Links).toBeNull();
  });
});
