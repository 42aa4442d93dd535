import { describe, expect, it } from 'vitest';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import { linkSentinel, sentinel } from '../../../src/policy/missing.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { DockerApiError } from '../../../src/server/errors.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const WEB = id('a');
const DB = id('b');
const cast = () =>
  stubResolver(
    [
      { id: WEB, name: 'web' },
      { id: DB, name: 'db' },
    ],
    { names: ['web'], labels: [] },
    { e1: DB, e2: WEB },
  );

async function run(
  method: string,
  raw: string,
  body = '',
  s = cast(),
  create: CreateRules | null = null,
): Promise<Forwarding> {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  return decide(
    { method, target, route, raw, readBody: async () => body },
    { resolver: s.resolver, create, owner: null },
  );
}

async function refusal(method: string, raw: string, body = ''): Promise<DockerApiError> {
  try {
    await run(method, raw, body);
  } catch (error) {
    return error as DockerApiError;
  }
  throw new Error('not refused');
}

const S0 = sentinel(0);
const S1 = sentinel(1);

describe('decide: container routes', () => {
  it('a visible container is pinned to the full id that was judged', async () => {
    expect(await run('POST', '/v1.41/containers/web/start')).toEqual({
      path: `/v1.41/containers/${WEB}/start`,
      treatment: 'cutErrorIds',
    });
  });

  it.each(['db', DB, DB.slice(0, 12), 'gone'])(
    'a hidden or missing %s goes on as a sentinel, the typed reference kept',
    async (ref) => {
      expect(await run('POST', `/v1.41/containers/${ref}/kill?signal=KILL`)).toEqual({
        path: `/v1.41/containers/${S0}/kill?signal=KILL`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: S0, typed: ref }],
      });
    },
  );

  it('inspect is judged on its answer, with the sentinel path ready for a hidden one', async () => {
    const f = await run('GET', '/containers/web/json?size=1');
    expect(f).toMatchObject({
      path: '/containers/web/json?size=1',
      treatment: 'judgeContainerInspect',
      ifHidden: { path: `/containers/${S0}/json?size=1`, ref: { sentinel: S0, typed: 'web' } },
    });
    expect(typeof f.epoch).toBe('number');
  });

  it('inspect by an id prefix is resolved among visible containers first (a shared prefix must not show)', async () => {
    expect((await run('GET', '/containers/aaaa/json')).path).toBe(`/containers/${WEB}/json`);
    expect(await run('GET', '/containers/bbbb/json')).toMatchObject({
      treatment: 'restoreMissing',
      missing: [{ typed: 'bbbb' }],
    });
  });

  it('removal and rename drop the cached decision once answered', async () => {
    const s = cast();
    await s.resolver.resolve(WEB);
    const f = await run('DELETE', `/containers/${WEB}?force=1`, '', s);
    expect(f.treatment).toBe('cutErrorIds');
    f.after?.(204);
    expect(s.resolver.cached(WEB)).toBeUndefined();
    expect((await run('POST', '/containers/web/rename?name=web2')).treatment).toBe('cutConflictId');
  });

  it('top: ps_args are checked before any look-up, so hidden and missing agree', async () => {
    const s = cast();
    await expect(run('GET', '/containers/db/top?ps_args=auxe', '', s)).rejects.toMatchObject({ status: 403 });
    expect(s.paths).toEqual([]);
    expect((await run('GET', '/containers/web/top?ps_args=aux')).path).toBe(
      `/containers/${WEB}/top?ps_args=aux`,
    );
  });

  it('exec create and update bodies are decoded before the look-up and sent canonically', async () => {
    expect(await run('POST', '/containers/web/exec', '{"cmd":["true"],"tty":false}')).toEqual({
      path: `/containers/${WEB}/exec`,
      treatment: 'cutErrorIds',
      body: '{"Cmd":["true"],"Tty":false}',
    });
    expect(await run('POST', '/containers/db/update', '{"memory":0}')).toEqual({
      path: `/containers/${S0}/update`,
      treatment: 'restoreMissing',
      missing: [{ sentinel: S0, typed: 'db' }],
      body: '{"Memory":0}',
    });
    expect((await refusal('POST', '/containers/db/exec', '{"Cmd":[],"CMD":[]}')).status).toBe(400);
  });

  it('a legacy link is removed only when both ends are visible', async () => {
    const s = stubResolver(
      [
        { id: WEB, name: 'web' },
        { id: id('c'), name: 'web/alias' },
        { id: id('d'), name: 'web/dbalias' },
      ],
      { names: ['web'], labels: [] },
    );
    expect(await run('DELETE', '/containers/web/alias?link=1', '', s)).toEqual({
      path: '/containers/web/alias?link=1',
      treatment: 'relay',
    });
    const hidden = await run('DELETE', '/containers/db/alias?link=1');
    expect(hidden).toMatchObject({
      path: `/containers/${S0}?link=1`,
      treatment: 'restoreMissing',
      missing: [{ typed: 'db/alias' }],
    });
  });
});

describe('decide: exec, commit, list', () => {
  it('an exec of a hidden container goes on as a sentinel exec id', async () => {
    expect(await run('POST', '/exec/e1/resize?h=1&w=1')).toEqual({
      path: `/exec/${S0}/resize?h=1&w=1`,
      treatment: 'restoreMissing',
      missing: [{ sentinel: S0, typed: 'e1' }],
    });
    expect(await run('GET', '/exec/e2/json')).toEqual({ path: '/exec/e2/json', treatment: 'relay' });
  });

  it('commit pins a visible container and sends a sentinel for another', async () => {
    expect((await run('POST', '/commit?container=web&repo=x')).path).toBe(`/commit?container=${WEB}&repo=x`);
    expect(await run('POST', '/commit?container=db&repo=x')).toMatchObject({
      path: `/commit?${new URLSearchParams({ container: S0, repo: 'x' })}`,
      treatment: 'restoreMissing',
    });
  });

  it('a positive limit is taken off the query and applied after filtering; all is implied', async () => {
    const names = JSON.stringify({ name: { web: true } });
    expect(await run('GET', '/v1.41/containers/json?limit=2')).toEqual({
      path: `/v1.41/containers/json?${new URLSearchParams({ filters: names, all: '1' })}`,
      treatment: 'filterContainerList',
      limit: 2,
    });
    expect(await run('GET', '/containers/json?limit=0')).toEqual({
      path: `/containers/json?${new URLSearchParams({ limit: '0', filters: names })}`,
      treatment: 'filterContainerList',
    });
    expect(await run('GET', '/containers/json?limit=x')).toEqual({
      path: `/containers/json?${new URLSearchParams({ limit: 'x', filters: names })}`,
      treatment: 'filterContainerList',
    });
  });

  it('names alone decide visibility: the daemon gets a name filter of them (regexp-quoted), in the form of the rest', async () => {
    const filtersOf = (f: Forwarding) =>
      JSON.parse(new URLSearchParams(f.path.split('?')[1]).get('filters') ?? '');
    const dotted = stubResolver([], { names: ['a.b', 'web'], labels: [] });
    expect(filtersOf(await run('GET', '/containers/json?all=1', '', dotted))).toEqual({
      name: { 'a\\.b': true, web: true },
    });
    const q = (filters: unknown) => `/containers/json?filters=${encodeURIComponent(JSON.stringify(filters))}`;
    expect(filtersOf(await run('GET', q({ status: { running: true } }), '', dotted))).toEqual({
      status: { running: true },
      name: { 'a\\.b': true, web: true },
    });
    expect(filtersOf(await run('GET', q({ status: ['running'] }), '', dotted))).toEqual({
      status: ['running'],
      name: ['a\\.b', 'web'],
    });
    // The client's own name filter is sent as it is: the daemon ORs the values of one key.
    expect((await run('GET', q({ name: ['x'] }), '', dotted)).path).toBe(q({ name: ['x'] }));
    // Labels, glob or regex rules, or owned containers: nothing is added.
    for (const rules of [
      { names: ['web'], labels: [{ key: 'k' }] },
      { names: ['web*'], labels: [], match: 'glob' as const },
      { names: ['web'], labels: [], match: 'regex' as const },
    ]) {
      expect((await run('GET', '/containers/json?all=1', '', stubResolver([], rules))).path).toBe(
        '/containers/json?all=1',
      );
    }
    const exact = stubResolver([], { names: ['web'], labels: [], match: 'exact' });
    expect(filtersOf(await run('GET', '/containers/json', '', exact))).toEqual({ name: { '^web$': true } });
  });

  it('before/since naming hidden or missing containers become sentinels, both forms', async () => {
    const f = await run(
      'GET',
      `/containers/json?filters=${encodeURIComponent('{"before":{"db":true},"since":["gone"]}')}`,
    );
    expect(f.treatment).toBe('restoreMissing');
    expect(f.missing).toEqual([
      { sentinel: S0, typed: 'db' },
      { sentinel: S1, typed: 'gone' },
    ]);
    const filters = new URLSearchParams(f.path.split('?')[1]).get('filters');
    expect(JSON.parse(filters ?? '')).toEqual({ before: { [S0]: true }, since: [S1], name: ['web'] });
    const visible = await run(
      'GET',
      `/containers/json?filters=${encodeURIComponent('{"before":{"web":true}}')}`,
    );
    expect(visible.treatment).toBe('filterContainerList');
    expect(
      (await refusal('GET', `/containers/json?filters=${encodeURIComponent('{"before":{},"before":{}}')}`))
        .status,
    ).toBe(400);
  });
});

describe('decide: create rules on the routes that are not a container create', () => {
  const ruled = (method: string, raw: string, body = '') => run(method, raw, body, cast(), NO_WAY_OUT);
  const refusedBy = async (method: string, raw: string, body = '') => {
    try {
      await ruled(method, raw, body);
    } catch (error) {
      return (error as DockerApiError).message;
    }
    throw new Error('not refused');
  };
  it.each<[string, string, string, string]>([
    [
      'POST',
      '/containers/web/exec',
      '{"Cmd":["sh"],"privileged":true}',
      'create rule "privileged" refuses Privileged',
    ],
    [
      'POST',
      '/containers/web/update',
      '{"Devices":[{"PathOnHost":"/dev/sda"}]}',
      'create rule "devices" refuses Devices',
    ],
    [
      'POST',
      '/volumes/create',
      '{"Name":"v","DriverOpts":{"o":"bind","device":"/"}}',
      'create rule "hostPaths"',
    ],
    ['POST', '/plugins/pull?remote=x', '[]', 'create rule "plugins" refuses POST /plugins/pull'],
    ['POST', '/v1.41/services/create', '{}', 'create rule "swarm" refuses POST /services/create'],
    ['POST', '/build?networkmode=host', '', 'create rule "hostNamespaces" refuses the networkmode query'],
    ['POST', '/build?remote=http://169.254.169.254/', '', 'create rule "fetch" refuses the remote query'],
    ['POST', '/images/create?fromSrc=http://10.0.0.1/x', '', 'create rule "fetch" refuses the fromSrc query'],
    ['GET', '/swarm', '', 'create rule "swarm" refuses GET /swarm'],
    ['POST', '/nodes/n1/update', '{}', 'create rule "swarm"'],
    ['DELETE', '/containers/web/checkpoints/c1?dir=/', '', 'create rule "hostPaths" refuses the dir query'],
    ['GET', '/containers/web/checkpoints?dir=/etc', '', 'create rule "hostPaths" refuses the dir query'],
    [
      'POST',
      '/containers/web/checkpoints',
      '{"CheckpointID":"c","checkpointdir":"/var"}',
      'create rule "hostPaths" refuses CheckpointDir',
    ],
    [
      'POST',
      '/containers/web/start?checkpoint=c&checkpoint-dir=/srv',
      '',
      'create rule "hostPaths" refuses the checkpoint-dir query',
    ],
    [
      'POST',
      '/networks/create',
      '{"Name":"n","Driver":"../../x"}',
      'create rule "networkDrivers" refuses Driver',
    ],
  ])('%s %s is refused', async (method, raw, body, message) => {
    expect(await refusedBy(method, raw, body)).toContain(message);
  });
  it('without rules they pass, and an unprivileged exec passes with them', async () => {
    expect((await run('POST', '/plugins/pull?remote=x', '[]')).treatment).toBe('relay');
    expect((await run('POST', '/containers/web/exec', '{"Privileged":true}')).body).toBe(
      '{"Privileged":true}',
    );
    expect((await ruled('POST', '/containers/web/exec', '{"Cmd":["sh"]}')).body).toBe('{"Cmd":["sh"]}');
  });
});

describe('decide: routes whose answer is filtered keep their treatment', () => {
  it.each([
    ['/events', 'filterEvents'],
    ['/info', 'countInfo'],
    ['/system/df', 'filterSystemDf'],
    ['/networks', 'filterNetworkList'],
    ['/images/busybox/json', 'judgeImageInspect'],
  ])('GET %s', async (path, treatment) => {
    expect((await run('GET', path)).treatment).toBe(treatment);
  });
});

describe('decide: create', () => {
  const create = (host: object, extra = {}) =>
    run(
      'POST',
      '/containers/create?name=web-new',
      JSON.stringify({ Image: 'i', HostConfig: host, ...extra }),
    );

  it('references to visible containers are pinned; the body goes on canonically', async () => {
    const f = await run(
      'POST',
      '/containers/create?name=web-new',
      '{"image":"i","hostconfig":{"pidmode":"container:web","volumesfrom":["web:ro"],"links":["web:w","/web:/web-new/w2"]}}',
    );
    expect(f.treatment).toBe('cutConflictId');
    expect(JSON.parse(f.body ?? '')).toEqual({
      Image: 'i',
      HostConfig: {
        PidMode: `container:${WEB}`,
        VolumesFrom: [`${WEB}:ro`],
        Links: [`${WEB}:w`, `${WEB}:w2`],
      },
    });
  });

  it('references the daemon refuses for a missing container go on as sentinels, one each', async () => {
    const f = await create({ IpcMode: 'container:db', VolumesFrom: ['gone'] });
    expect(f.treatment).toBe('restoreMissing');
    expect(f.missing).toEqual([
      { sentinel: S0, typed: 'db' },
      { sentinel: S1, typed: 'gone' },
    ]);
    expect(JSON.parse(f.body ?? '').HostConfig).toEqual({ IpcMode: `container:${S0}`, VolumesFrom: [S1] });
  });

  it.each([
    ['a network mode', { NetworkMode: 'container:db' }, {}, 'network', 'db'],
    ['a cgroup', { Cgroup: 'container:gone' }, {}, 'cgroup', 'gone'],
  ])(
    '%s naming a hidden or missing container is refused in the daemon’s shape',
    async (_label, host, extra, mode, ref) => {
      await expect(create(host, extra)).rejects.toMatchObject({
        status: 400,
        daemonAnswer: { kind: 'missingJoin', mode, ref },
      });
    },
  );

  it('endpoint links to a hidden or missing container go on with link sentinels the daemon accepts', async () => {
    const f = await create(
      { NetworkMode: 'net' },
      { NetworkingConfig: { EndpointsConfig: { net: { Links: ['db:x', 'gone', 'web:w', '/db:/p/y'] } } } },
    );
    expect(f.treatment).toBe('restoreMissing');
    expect(f.missing).toEqual([
      { sentinel: linkSentinel('db'), typed: 'db' },
      { sentinel: linkSentinel('gone'), typed: 'gone' },
    ]);
    expect(JSON.parse(f.body ?? '').NetworkingConfig.EndpointsConfig.net.Links).toEqual([
      `${linkSentinel('db')}:x`,
      linkSentinel('gone'),
      'web:w',
      `/${linkSentinel('db')}:/p/y`,
    ]);
  });

  it('legacy links on a user-defined network are ignored by the daemon: their sentinels do not fail the create', async () => {
    const onNet = await create({ NetworkMode: 'net', Links: ['db:x'] });
    expect(onNet.missing).toEqual([{ sentinel: S0, typed: 'db' }]);
    expect(JSON.parse(onNet.body ?? '').HostConfig.Links).toEqual([`${S0}:x`]);
  });

  it('the new container must be visible', async () => {
    const e = await refusal('POST', '/containers/create?name=other', '{"Image":"i"}');
    expect(e.status).toBe(403);
  });
});

describe('decide: network connect', () => {
  it('Container is pinned, in any spelling; a second spelling is refused', async () => {
    expect(await run('POST', '/networks/n/connect', '{"container":"web"}')).toEqual({
      path: '/networks/n/connect',
      treatment: 'relay',
      body: `{"Container":"${WEB}"}`,
    });
    expect(await run('POST', '/networks/n/disconnect', '{"Container":"db","Force":true}')).toEqual({
      path: '/networks/n/disconnect',
      treatment: 'restoreMissing',
      missing: [{ sentinel: S0, typed: 'db' }],
      body: `{"Container":"${S0}","Force":true}`,
    });
    expect(
      (await refusal('POST', '/networks/n/disconnect', '{"Container":"web","container":"db"}')).status,
    ).toBe(400);
  });
  it('endpoint links to a hidden or missing container go on with link sentinels', async () => {
    expect(
      await run(
        'POST',
        '/networks/n/connect',
        '{"Container":"web","EndpointConfig":{"Links":["db:x","web"]}}',
      ),
    ).toEqual({
      path: '/networks/n/connect',
      treatment: 'restoreMissing',
      missing: [{ sentinel: linkSentinel('db'), typed: 'db' }],
      body: `{"Container":"${WEB}","EndpointConfig":{"Links":["${linkSentinel('db')}:x","web"]}}`,
    });
  });
});

describe('decide: container prune', () => {
  it('a client that sees every container prunes as the daemon does (docker-py, docker system prune)', async () => {
    const all = stubResolver([{ id: WEB, name: 'web' }], { names: [], labels: [] });
    expect(await run('POST', '/v1.41/containers/prune?filters=%7B%7D', '', all)).toEqual({
      path: '/v1.41/containers/prune?filters=%7B%7D',
      treatment: 'relay',
    });
  });

  it('one with restricted visibility and no owner is refused: it would remove containers it cannot see', async () => {
    const e = await refusal('POST', '/containers/prune');
    expect([e.status, e.message]).toEqual([
      403,
      'dockscope: pruning would remove containers this client cannot see',
    ]);
  });
});

describe('decide: BuildKit builds', () => {
  it.each([
    // A session nobody opened (issue #25: a build's session must be its client's own).
    ['/v1.41/build?version=2&remote=client-session&session=s', 403],
    ['/v1.41/build?version=2', 200],
    ['/v1.41/build?version=2&remote=https%3A%2F%2Fgit.example%2Fr.git', 200],
    ['/v1.41/build?version=1', 200],
    ['/v1.41/build?dockerfile=sub%2FDockerfile&networkmode=net', 200],
  ])('%s: %d', async (raw, expected) => {
    const outcome = await run('POST', raw).then(
      () => 200,
      (e: DockerApiError) => e.status,
    );
    expect(outcome).toBe(expected);
  });
});
