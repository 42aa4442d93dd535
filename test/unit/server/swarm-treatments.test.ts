import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import { SWARM_TREATMENTS } from '../../../src/server/swarm-treatments.ts';
import type { RespondContext } from '../../../src/server/treatments.ts';
import { HIDDEN } from '../../../src/server/treatments.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

const TEAM_A: VisibilityRules = { names: [], labels: [{ key: 'team', value: 'a' }], match: 'exact' };
const ALL: VisibilityRules = { names: [], labels: [] };
const owner: Ownership = { key: 'dockscope.owner', owner: 'ci' };

const service = (id: string, name: string, labels: Record<string, string>, env = ['PW=x']) => ({
  ID: id,
  Spec: { Name: name, Labels: labels, TaskTemplate: { ContainerSpec: { Image: 'busybox', Env: env } } },
});
const task = (id: string, serviceId: string, containerId = '') => ({
  ID: id,
  ServiceID: serviceId,
  Spec: { ContainerSpec: { Env: ['PW=x'] } },
  Status: { State: 'running', ContainerStatus: { ContainerID: containerId } },
});

const SERVICES = [
  service('s-a', 'web', { team: 'a' }),
  service('s-b', 'db', { team: 'b' }),
  service('s-own', 'ci-web', { team: 'a', 'dockscope.owner': 'ci' }),
];
const C_A = 'c'.repeat(64);
const C_B = 'd'.repeat(64);
const CONTAINERS = [
  { Id: C_A, Names: ['/web.1.x'], Labels: { team: 'a' } },
  { Id: C_B, Names: ['/db.1.y'], Labels: { team: 'b' } },
];

/**
 * A context whose directory's upstream lists fixed services and local containers (`null`: the list
 * fails); every path asked is recorded. dockscope's own directory and resolver over it.
 */
function context(
  rules: VisibilityRules,
  over: { owner?: Ownership | null; scrubEnvs?: boolean; services?: unknown; containers?: unknown } = {},
) {
  const paths: string[] = [];
  const answer = (body: unknown) =>
    body === null ? { status: 500, body: { message: 'boom' } } : { status: 200, body };
  const upstream = {
    display: 'stub',
    getJson: async (path: string) => {
      paths.push(path);
      if (path === '/services') return answer(over.services === undefined ? SERVICES : over.services);
      if (path === '/containers/json?all=1')
        return answer(over.containers === undefined ? CONTAINERS : over.containers);
      return { status: 404, body: { message: 'not here' } };
    },
  } as unknown as Upstream;
  const resolver = new ContainerResolver(
    new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
    buildVisibility(rules),
  );
  const ctx: RespondContext = {
    resolver,
    scrubEnvs: over.scrubEnvs ?? false,
    owner: over.owner ?? null,
    upstreamDisplay: 'stub',
    countVisible: async () => ({ total: 0, running: 0, paused: 0, stopped: 0 }),
    open: async () => {
      throw new Error('not expected');
    },
  };
  return { ctx, paths };
}

const clone = <T>(v: T): T => structuredClone(v);
const ids = (list: unknown) => (list as { ID: string }[]).map((o) => o.ID);

describe('swarm answers, judged on the answer itself (issue #24)', () => {
  it('every swarm treatment rewrites a 200 only', () => {
    for (const t of Object.values(SWARM_TREATMENTS)) {
      expect(t.via).toBe('rewrite');
      expect([t.applies(200), t.applies(201), t.applies(404), t.applies(503)]).toEqual([
        true,
        false,
        false,
        false,
      ]);
    }
  });

  it.each([
    ['container rules', TEAM_A, null, ['s-a', 's-own']],
    ['container rules and an owner', TEAM_A, owner, ['s-own']],
    ['no rules', ALL, null, ['s-a', 's-b', 's-own']],
    ['no rules but an owner', ALL, owner, ['s-own']],
  ] as const)('swarmList with %s keeps %j', async (_what, rules, o, expected) => {
    const { ctx } = context(rules, { owner: o });
    const list = [...clone(SERVICES), { message: 'not a service' }];
    expect(ids(await SWARM_TREATMENTS.filterSwarmList.rewrite(list, ctx))).toEqual(expected);
  });

  it('swarmList under SCRUB_ENVS blanks the kept services’ environment', async () => {
    const { ctx } = context(TEAM_A, { scrubEnvs: true });
    const out = (await SWARM_TREATMENTS.filterSwarmList.rewrite(clone(SERVICES), ctx)) as ReturnType<
      typeof service
    >[];
    expect(out.map((s) => s.Spec.TaskTemplate.ContainerSpec.Env)).toEqual([[], []]);
  });

  it.each([
    ['a visible service', TEAM_A, null, SERVICES[0], 'shown'],
    ['a hidden service', TEAM_A, null, SERVICES[1], 'hidden'],
    ['a visible service of nobody’s, to an owner', TEAM_A, owner, SERVICES[0], 'hidden'],
    ['the owner’s own', TEAM_A, owner, SERVICES[2], 'shown'],
    ['an answer that is no service', ALL, null, { message: 'x' }, 'hidden'],
    ['an answer with an empty ID', ALL, null, { ID: '', Spec: { Name: 'web' } }, 'hidden'],
  ] as const)('swarmInspect: %s is %s', async (_what, rules, o, body, expected) => {
    const { ctx } = context(rules, { owner: o });
    const out = await SWARM_TREATMENTS.judgeSwarmInspect.rewrite(clone(body), ctx);
    expect(out === HIDDEN ? 'hidden' : 'shown').toBe(expected);
    if (out !== HIDDEN) expect(out).toEqual(body);
  });

  it('swarmInspect under SCRUB_ENVS blanks Spec’s and PreviousSpec’s environment', async () => {
    const { ctx } = context(TEAM_A, { scrubEnvs: true });
    const web = service('s-a', 'web', { team: 'a' });
    const body = { ...web, PreviousSpec: clone(web.Spec) };
    const out = (await SWARM_TREATMENTS.judgeSwarmInspect.rewrite(body, ctx)) as typeof body;
    expect([
      out.Spec.TaskTemplate.ContainerSpec.Env,
      out.PreviousSpec.TaskTemplate.ContainerSpec.Env,
    ]).toEqual([[], []]);
  });

  it('taskList keeps the tasks of visible services, and names only visible local containers', async () => {
    const { ctx, paths } = context(TEAM_A);
    const tasks = [
      task('t1', 's-a', C_A),
      task('t2', 's-b', C_B),
      task('t3', 's-own', C_B),
      task('t4', 's-gone'),
    ];
    const out = (await SWARM_TREATMENTS.filterTaskList.rewrite(tasks, ctx)) as ReturnType<typeof task>[];
    expect(out.map((t) => [t.ID, t.Status.ContainerStatus.ContainerID])).toEqual([
      ['t1', C_A],
      ['t3', '<hidden>'],
    ]);
    expect(paths).toEqual(['/services', '/containers/json?all=1']);
  });

  it('taskList with no rules and no owner keeps every task and asks nothing', async () => {
    const { ctx, paths } = context(ALL);
    const tasks = [task('t1', 's-a', C_A), task('t2', 's-b', C_B)];
    expect(ids(await SWARM_TREATMENTS.filterTaskList.rewrite(tasks, ctx))).toEqual(['t1', 't2']);
    expect(paths).toEqual([]);
  });

  it('taskList when the services list fails shows no task (fail closed)', async () => {
    const { ctx } = context(TEAM_A, { services: null });
    expect(await SWARM_TREATMENTS.filterTaskList.rewrite([task('t1', 's-a', C_A)], ctx)).toEqual([]);
  });

  it('taskList of tasks naming no container does not list containers', async () => {
    const { ctx, paths } = context(TEAM_A);
    expect(ids(await SWARM_TREATMENTS.filterTaskList.rewrite([task('t1', 's-a')], ctx))).toEqual(['t1']);
    expect(paths).toEqual(['/services']);
  });

  it('taskList of an answer that is no list is relayed as it is', async () => {
    const { ctx } = context(TEAM_A);
    expect(await SWARM_TREATMENTS.filterTaskList.rewrite({ message: 'x' }, ctx)).toEqual({
      message: 'x',
    });
  });

  it.each([
    ['a visible container', CONTAINERS, C_A, C_A],
    ['a hidden container', CONTAINERS, C_B, '<hidden>'],
    ['a container of another node (not listed here)', CONTAINERS, 'e'.repeat(64), '<hidden>'],
    ['any container when the list fails (fail closed)', null, C_A, '<hidden>'],
  ])('taskInspect names %s as %s', async (_what, containers, cid, expected) => {
    const { ctx } = context(TEAM_A, { containers, scrubEnvs: true });
    const out = (await SWARM_TREATMENTS.judgeTaskInspect.rewrite(task('t1', 's-a', cid), ctx)) as ReturnType<
      typeof task
    >;
    expect(out.Status.ContainerStatus.ContainerID).toBe(expected);
    expect(out.Spec.ContainerSpec.Env).toEqual([]);
  });

  it('taskInspect with no rules names every container as it is', async () => {
    const { ctx, paths } = context(ALL);
    const out = (await SWARM_TREATMENTS.judgeTaskInspect.rewrite(task('t1', 's-b', C_B), ctx)) as ReturnType<
      typeof task
    >;
    expect(out.Status.ContainerStatus.ContainerID).toBe(C_B);
    expect(paths).toEqual([]);
  });
});
