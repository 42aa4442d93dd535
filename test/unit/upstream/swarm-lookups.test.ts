import { describe, expect, it } from 'vitest';
import type { DaemonClient } from '../../../src/upstream/daemon-client.ts';
import {
  lookupSwarmObject,
  lookupTask,
  SINGULAR,
  swarmIdentity,
  swarmObjectsByPrefix,
  taskIdentity,
  tasksByPrefix,
  visibleServiceIds,
} from '../../../src/upstream/swarm-lookups.ts';
import { stubSwarm } from '../support/stub-swarm.ts';

const A = `aa${'1'.repeat(23)}`;
const A2 = `aa${'2'.repeat(23)}`;
const B = `bb${'3'.repeat(23)}`;

const services = [
  { id: A, name: 'web', labels: { team: 'a' } },
  { id: A2, name: 'api', labels: { team: 'b' } },
  { id: B, name: 'db' },
];
const tasks = [
  { id: `t1${'0'.repeat(23)}`, serviceId: A },
  { id: `t1${'9'.repeat(23)}`, serviceId: A2 },
  { id: `t2${'0'.repeat(23)}`, serviceId: B },
];

/** A daemon client that gives one fixed answer to every look-up, and records the paths asked. */
function answering(status: number, body: unknown) {
  const paths: string[] = [];
  const directory = {
    getJson: async (path: string) => {
      paths.push(path);
      return { status, body };
    },
  } as unknown as DaemonClient;
  return { directory, paths };
}

describe('swarm objects as the container rules see them (issue #24)', () => {
  it.each([
    [
      { ID: 'x1', Spec: { Name: 'web', Labels: { team: 'a', n: 1 } } },
      { id: 'x1', name: 'web', labels: { team: 'a' } },
    ],
    [
      { ID: 'x1', Spec: {} },
      { id: 'x1', name: '', labels: {} },
    ],
    [{ ID: 'x1' }, { id: 'x1', name: '', labels: {} }],
    [
      { ID: 'x1', Spec: { Name: 7 } },
      { id: 'x1', name: '', labels: {} },
    ],
    // Labels outside Spec (a service's container labels are Spec.TaskTemplate's) are not the object's.
    [
      { ID: 'x1', Labels: { team: 'a' }, Spec: { Name: 'web' } },
      { id: 'x1', name: 'web', labels: {} },
    ],
    [{ ID: '', Spec: { Name: 'web' } }, null],
    [{ Id: 'x1', Spec: { Name: 'web' } }, null],
    [{ message: 'service web not found' }, null],
    [[{ ID: 'x1' }], null],
    [null, null],
  ])('swarmIdentity(%j) is %j', (body, expected) => {
    expect(swarmIdentity(body)).toEqual(expected);
  });

  it.each([
    [
      { ID: 't1', ServiceID: 's1' },
      { id: 't1', serviceId: 's1' },
    ],
    [{ ID: 't1' }, { id: 't1', serviceId: '' }],
    [
      { ID: 't1', ServiceID: 5 },
      { id: 't1', serviceId: '' },
    ],
    [{ ID: '' }, null],
    [{ ServiceID: 's1' }, null],
    ['t1', null],
  ])('taskIdentity(%j) is %j', (body, expected) => {
    expect(taskIdentity(body)).toEqual(expected);
  });

  it('the daemon’s word for each kind', () => {
    expect(SINGULAR).toEqual({ services: 'service', secrets: 'secret', configs: 'config' });
  });

  it.each([
    ['a full id', A, { id: A, name: 'web', labels: { team: 'a' } }],
    ['a name', 'api', { id: A2, name: 'api', labels: { team: 'b' } }],
    ['a unique id prefix', 'bb', { id: B, name: 'db', labels: {} }],
    ['an id prefix two share', 'aa', { ambiguous: true }],
    ['a name no object has', 'nope', null],
    ['an empty ref (never asked)', '', null],
    ['a lone surrogate (never asked)', 'web\ud800', null],
  ])('lookupSwarmObject by %s', async (_what, ref, expected) => {
    const { resolver, paths } = stubSwarm(services, tasks);
    expect(await lookupSwarmObject(resolver.daemon, 'services', ref)).toEqual(expected);
    expect(paths).toEqual(ref === '' || !ref.isWellFormed() ? [] : [`/services/${encodeURIComponent(ref)}`]);
  });

  it('the ref is encoded into the path, never read as one', async () => {
    const { directory, paths } = answering(404, { message: 'secret ../containers/x not found' });
    expect(await lookupSwarmObject(directory, 'secrets', '../containers/x?a=1')).toBeNull();
    expect(paths).toEqual(['/secrets/..%2Fcontainers%2Fx%3Fa%3D1']);
  });

  it.each([
    ['a node that is no swarm manager (503)', 503, { message: 'This node is not a swarm manager.' }],
    ['a 400 that is not the ambiguous one', 400, { message: 'invalid filter' }],
    ['an ambiguous text on another status', 404, { message: 'service aa is ambiguous (2 matches found)' }],
    [
      'an ambiguous text not at the end',
      400,
      { message: 'service aa is ambiguous (2 matches found) or not' },
    ],
    ['a 500 with no body', 500, null],
    ['a 200 that is no object', 200, { message: 'odd' }],
  ])('lookupSwarmObject: %s reads as none', async (_what, status, body) => {
    expect(await lookupSwarmObject(answering(status, body).directory, 'configs', 'x')).toBeNull();
    expect(await lookupTask(answering(status, body).directory, 'x')).toBeNull();
  });

  it('an ambiguous answer of any kind is recognised by its words', async () => {
    const { directory } = answering(400, { message: 'config cf is ambiguous (12 matches found)' });
    expect(await lookupSwarmObject(directory, 'configs', 'cf')).toEqual({ ambiguous: true });
    expect(await lookupTask(directory, 'cf')).toEqual({ ambiguous: true });
  });

  it('swarmObjectsByPrefix asks the id filter and keeps only entries that start with the prefix', async () => {
    const { resolver, paths } = stubSwarm(services, tasks);
    expect(await swarmObjectsByPrefix(resolver.daemon, 'services', 'aa')).toEqual([
      { id: A, name: 'web', labels: { team: 'a' } },
      { id: A2, name: 'api', labels: { team: 'b' } },
    ]);
    expect(paths).toEqual([`/services?filters=${encodeURIComponent('{"id":{"aa":true}}')}`]);
    // The daemon's filter may match more (a name): an entry whose id does not start so is left out.
    const { directory } = answering(200, [
      { ID: 'aa1', Spec: { Name: 'x' } },
      { ID: 'zz1', Spec: { Name: 'aa' } },
      { ID: '', Spec: {} },
      'junk',
    ]);
    expect(await swarmObjectsByPrefix(directory, 'secrets', 'aa')).toEqual([
      { id: 'aa1', name: 'x', labels: {} },
    ]);
  });

  it.each([
    [503, { message: 'This node is not a swarm manager.' }],
    [200, { ID: 'aa1' }],
    [200, null],
  ])(
    'swarmObjectsByPrefix and tasksByPrefix: an answer %i %j that is no list is none',
    async (status, body) => {
      expect(await swarmObjectsByPrefix(answering(status, body).directory, 'services', 'aa')).toEqual([]);
      expect(await tasksByPrefix(answering(status, body).directory, 'aa')).toEqual([]);
    },
  );

  it.each([
    ['a full id', `t2${'0'.repeat(23)}`, { id: `t2${'0'.repeat(23)}`, serviceId: B }],
    ['a unique prefix', 't2', { id: `t2${'0'.repeat(23)}`, serviceId: B }],
    ['a prefix two share', 't1', { ambiguous: true }],
    ['no such task', 't3', null],
    ['empty', '', null],
  ])('lookupTask by %s', async (_what, ref, expected) => {
    const { resolver } = stubSwarm(services, tasks);
    expect(await lookupTask(resolver.daemon, ref)).toEqual(expected);
  });

  it('tasksByPrefix lists every task of the prefix, by the id filter', async () => {
    const { resolver, paths } = stubSwarm(services, tasks);
    expect(await tasksByPrefix(resolver.daemon, 't1')).toEqual([
      { id: `t1${'0'.repeat(23)}`, serviceId: A },
      { id: `t1${'9'.repeat(23)}`, serviceId: A2 },
    ]);
    expect(paths).toEqual([`/tasks?filters=${encodeURIComponent('{"id":{"t1":true}}')}`]);
  });

  it('visibleServiceIds keeps the services the predicate keeps, from one list', async () => {
    const { resolver, paths } = stubSwarm(services, tasks);
    const seen: string[] = [];
    const ids = await visibleServiceIds(resolver.daemon, (o) => {
      seen.push(o.name);
      return o.labels.team === 'a' || o.name === 'db';
    });
    expect(ids).toEqual(new Set([A, B]));
    expect(seen).toEqual(['web', 'api', 'db']);
    expect(paths).toEqual(['/services']);
  });

  it.each([
    [503, { message: 'This node is not a swarm manager.' }],
    [200, { ID: A }],
  ])('visibleServiceIds: an answer %i %j that is no list is null (fail closed)', async (status, body) => {
    expect(await visibleServiceIds(answering(status, body).directory, () => true)).toBeNull();
  });
});
