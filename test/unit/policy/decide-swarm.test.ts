import { describe, expect, it } from 'vitest';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import { sentinel } from '../../../src/policy/missing.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { DockerApiError } from '../../../src/server/errors.ts';
import { stubSwarm } from '../support/stub-swarm.ts';

// Two services share the prefix "ab" with a hidden one; "abd" is shared by two visible ones.
const A = 'abc111111111111111111111a';
const B = 'abc222222222222222222222b';
const A2 = 'abd333333333333333333333c';
const A3 = 'abd444444444444444444444d';
const cast = () =>
  stubSwarm(
    [
      { id: A, name: 'svc-a', labels: { team: 'a' } },
      { id: B, name: 'svc-b', labels: { team: 'b' } },
      { id: A2, name: 'svc-a2', labels: { team: 'a' } },
      { id: A3, name: 'svc-a3', labels: { team: 'a' } },
    ],
    [
      { id: 'taskaaaa1', serviceId: A },
      { id: 'taskbbbb1', serviceId: B },
      { id: 'taskgone1', serviceId: 'removed' },
    ],
  );

async function run(
  method: string,
  raw: string,
  create: CreateRules | null = null,
  s = cast(),
  body = '',
): Promise<Forwarding> {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  return decide(
    { method, target, route, raw, readBody: async () => body },
    { resolver: s.resolver, create, owner: null },
  );
}

async function refusal(
  method: string,
  raw: string,
  create: CreateRules | null = null,
): Promise<DockerApiError> {
  try {
    await run(method, raw, create);
  } catch (error) {
    return error as DockerApiError;
  }
  throw new Error('not refused');
}

const S0 = sentinel(0);

describe('decide: swarm objects (issue #24)', () => {
  it.each([
    ['svc-a', A],
    [A, A],
    ['abc1', A],
    // "abc" is shared with the hidden svc-b: resolved among the visible ones, it is svc-a.
    ['abc', A],
  ])('a visible service (%s) is pinned to its full id', async (ref, id) => {
    expect(await run('GET', `/v1.41/services/${ref}?insertDefaults=true`)).toEqual({
      path: `/v1.41/services/${id}?insertDefaults=true`,
      treatment: 'judgeSwarmInspect',
      ifHidden: { path: `/v1.41/services/${S0}?insertDefaults=true`, ref: { sentinel: S0, typed: ref } },
    });
    expect(await run('GET', `/services/${ref}/logs?follow=1`)).toEqual({
      path: `/services/${id}/logs?follow=1`,
      treatment: 'relay',
    });
    expect(await run('DELETE', `/services/${ref}`)).toEqual({ path: `/services/${id}`, treatment: 'relay' });
  });

  it.each(['svc-b', B, 'abc2', 'gone', 'zzz'])(
    'a hidden or missing service (%s) goes on as a sentinel, for the daemon to answer',
    async (ref) => {
      const missing = [{ sentinel: S0, typed: ref }];
      expect(await run('GET', `/services/${ref}`)).toEqual({
        path: `/services/${S0}`,
        treatment: 'restoreMissing',
        missing,
      });
      expect(await run('GET', `/services/${ref}/logs?stdout=1`)).toEqual({
        path: `/services/${S0}/logs?stdout=1`,
        treatment: 'restoreMissing',
        missing,
      });
      expect(await run('POST', `/services/${ref}/update?version=3`)).toEqual({
        path: `/services/${S0}/update?version=3`,
        treatment: 'restoreMissing',
        missing,
      });
      expect(await run('DELETE', `/secrets/${ref}`)).toEqual({
        path: `/secrets/${S0}`,
        treatment: 'restoreMissing',
        missing,
      });
    },
  );

  it('a prefix several visible services share is the daemon\'s "ambiguous", counting only visible ones', async () => {
    const error = await refusal('GET', '/services/ab');
    expect([error.status, error.message, error.daemonAnswer]).toEqual([
      400,
      'service ab is ambiguous (3 matches found)',
      { kind: 'ambiguous', what: 'service', ref: 'ab', count: 3 },
    ]);
    expect((await refusal('GET', '/services/abd')).message).toBe(
      'service abd is ambiguous (2 matches found)',
    );
  });

  it('a service update needs the swarm create rule, refused alike for hidden and visible services', async () => {
    const rules = { ...NO_WAY_OUT, swarm: false };
    for (const ref of ['svc-a', 'svc-b']) {
      const error = await refusal('POST', `/services/${ref}/update`, rules);
      expect([error.status, error.message]).toEqual([
        403,
        `dockscope: create rule "swarm" refuses POST /services/${ref}/update: swarm services run containers that no create rule judges`,
      ]);
    }
    const spec = '{"Name":"svc-a","Labels":{"team":"a"}}';
    expect(await run('POST', '/services/svc-a/update', { ...NO_WAY_OUT, swarm: true }, cast(), spec)).toEqual(
      {
        path: `/services/${A}/update`,
        treatment: 'relay',
        body: spec,
      },
    );
  });

  it('a client that sees everything is not looked up for', async () => {
    const s = stubSwarm([{ id: B, name: 'svc-b' }], [], { names: [], labels: [] });
    expect(await run('GET', '/services/svc-b/logs', null, s)).toEqual({
      path: '/services/svc-b/logs',
      treatment: 'relay',
    });
    expect(s.paths).toEqual([]);
  });

  it('the list goes on as asked, to be filtered on its way back', async () => {
    expect(await run('GET', '/v1.41/services?status=true')).toEqual({
      path: '/v1.41/services?status=true',
      treatment: 'filterSwarmList',
    });
  });
});

describe('decide: tasks', () => {
  it('a task of a visible service is pinned to its full id', async () => {
    expect(await run('GET', '/tasks/taskaaaa1')).toEqual({
      path: '/tasks/taskaaaa1',
      treatment: 'judgeTaskInspect',
    });
    // "taska" is shared by no other task; "task" by all three, of which one is visible.
    expect(await run('GET', '/tasks/task/logs?stdout=1')).toEqual({
      path: '/tasks/taskaaaa1/logs?stdout=1',
      treatment: 'relay',
    });
  });

  it.each(['taskbbbb1', 'taskb', 'taskgone1', 'nosuch'])(
    'a task of a hidden or removed service, or none (%s), is missing',
    async (ref) => {
      expect(await run('GET', `/tasks/${ref}/logs`)).toEqual({
        path: `/tasks/${S0}/logs`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: S0, typed: ref }],
      });
    },
  );

  it.each([
    // Current and legacy forms of filters.Args.
    [{ service: { 'svc-a': true } }, { service: { [A]: true } }],
    [
      { service: ['svc-a'], 'desired-state': ['running'] },
      { service: [A], 'desired-state': ['running'] },
    ],
  ])('a service filter naming visible services is pinned to their ids', async (given, sent) => {
    const raw = `/tasks?filters=${encodeURIComponent(JSON.stringify(given))}`;
    expect(await run('GET', raw)).toEqual({
      path: `/tasks?${new URLSearchParams({ filters: JSON.stringify(sent) })}`,
      treatment: 'filterTaskList',
    });
  });

  it('a service filter naming a hidden service goes on as a sentinel (the daemon answers 404)', async () => {
    const raw = `/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { 'svc-a': true, 'svc-b': true } }))}`;
    expect(await run('GET', raw)).toEqual({
      path: `/tasks?${new URLSearchParams({ filters: JSON.stringify({ service: { [A]: true, [S0]: true } }) })}`,
      treatment: 'restoreMissing',
      missing: [{ sentinel: S0, typed: 'svc-b' }],
    });
  });

  it('filters with a key given twice are refused, as everywhere', async () => {
    const error = await refusal(
      'GET',
      `/tasks?filters=${encodeURIComponent('{"service":{"a":true},"service":{}}')}`,
    );
    expect(error.status).toBe(400);
  });
});
