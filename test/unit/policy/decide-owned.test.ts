import { describe, expect, it } from 'vitest';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { decidePrune, ownedBuild, ownedCommit, ownedList } from '../../../src/policy/decide-owned.ts';
import type { DecideContext, DecideInput } from '../../../src/policy/forward.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { sentinel } from '../../../src/policy/missing.ts';
import { networks } from '../../../src/policy/owned/networks.ts';
import { volumes } from '../../../src/policy/owned/volumes.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { StubObject } from '../support/stub-objects.ts';
import { stubObjects } from '../support/stub-objects.ts';

const owner: Ownership = { key: 'dockscope.owner', owner: 'ci' };
const OWN_NET = 'a'.repeat(64);
const OTHER_NET = 'b'.repeat(64);
const OBJECTS: StubObject[] = [
  { kind: 'networks', id: OWN_NET, name: 'ci-net', labels: { 'dockscope.owner': 'ci' } },
  { kind: 'networks', id: OTHER_NET, name: 'other-net', labels: { 'dockscope.owner': 'other' } },
  {
    kind: 'images',
    id: `sha256:${'c'.repeat(64)}`,
    name: 'theirs:latest',
    labels: { 'dockscope.owner': 'other' },
  },
];

function input(method: string, raw: string, body = ''): DecideInput {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  return { method, target, route, raw, readBody: async () => body };
}

function ctx(rules: VisibilityRules | 'all', o: Ownership | null = owner): DecideContext {
  return { resolver: stubObjects(OBJECTS, rules).resolver, create: NO_WAY_OUT, owner: o };
}

const OWNED_ONLY: VisibilityRules = { names: [], labels: [], owned: { key: owner.key, owner: owner.owner } };
const TEAM: VisibilityRules = { names: ['web'], labels: [] };
const filtersOf = (path: string) =>
  JSON.parse(new URL(path, 'http://x').searchParams.get('filters') ?? 'null');

async function refusal(work: () => unknown) {
  try {
    await work();
    return null;
  } catch (error) {
    const e = error as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

describe('an owner’s lists, prunes, commits and builds', () => {
  it.each([
    ['/v1.41/volumes', { label: { 'dockscope.owner=ci': true } }],
    [
      `/v1.41/volumes?filters=${encodeURIComponent('{"dangling":{"true":true}}')}`,
      {
        dangling: { true: true },
        label: { 'dockscope.owner=ci': true },
      },
    ],
    // The legacy list form is kept, the owner's label added to it.
    [
      `/v1.41/volumes?filters=${encodeURIComponent('{"label":["team=a"]}')}`,
      { label: ['team=a', 'dockscope.owner=ci'] },
    ],
  ])('ownedList of volumes %s is scoped by the daemon: filters %j', (raw, filters) => {
    const f = ownedList(input('GET', raw), volumes, owner, 'relay');
    expect(f.treatment).toBe('relay');
    expect(f.path.startsWith('/v1.41/volumes?filters=')).toBe(true);
    expect(filtersOf(f.path)).toEqual(filters);
  });

  it('ownedList of networks without a version keeps the path unversioned', () => {
    const f = ownedList(input('GET', '/networks'), networks, owner, 'filterNetworkList');
    expect([f.path, f.treatment]).toEqual([
      `/networks?filters=${encodeURIComponent('{"label":{"dockscope.owner=ci":true}}')}`,
      'filterNetworkList',
    ]);
  });

  it('ownedList refuses a filter with a duplicate key (what dockscope reads must be what the daemon reads)', async () => {
    const raw = `/v1.41/volumes?filters=${encodeURIComponent('{"label":{"a":true},"label":{"b":true}}')}`;
    expect(await refusal(() => ownedList(input('GET', raw), volumes, owner, 'relay'))).toMatchObject({
      status: 400,
    });
  });

  it.each([
    // of, rules, owner, outcome
    ['containers', 'all', null, 'forwarded as sent'],
    ['containers', TEAM, null, 'refused'],
    ['containers', TEAM, owner, 'refused'],
    ['containers', OWNED_ONLY, owner, 'scoped'],
    ['volumes', TEAM, null, 'forwarded as sent'],
    ['volumes', TEAM, owner, 'scoped'],
    ['networks', 'all', owner, 'scoped'],
    ['images', TEAM, owner, 'scoped'],
    ['build', TEAM, null, 'forwarded as sent'],
    ['build', 'all', owner, 'prunes nothing'],
  ] as const)('decidePrune of %s with rules %j and owner %j: %s', async (of, rules, o, expected) => {
    const raw = `/v1.41/${of}/prune`;
    const c = ctx(rules, o);
    if (expected === 'refused') {
      expect(await refusal(() => decidePrune(input('POST', raw), of, c))).toEqual({
        status: 403,
        message: 'dockscope: pruning would remove containers this client cannot see',
      });
      return;
    }
    const f = decidePrune(input('POST', raw), of, c);
    expect(f.treatment).toBe('relay');
    if (expected === 'forwarded as sent') expect(f.path).toBe(raw);
    if (expected === 'scoped') {
      expect(f.path.startsWith(`${raw}?filters=`)).toBe(true);
      expect(filtersOf(f.path)).toEqual({ label: { 'dockscope.owner=ci': true } });
    }
    if (expected === 'prunes nothing') expect(filtersOf(f.path)).toEqual({ id: { [sentinel(0)]: true } });
  });

  it('an owner’s prune keeps the client’s own filters beside the owner label', () => {
    const raw = `/v1.41/volumes/prune?filters=${encodeURIComponent('{"label":{"keep=no":true}}')}`;
    expect(filtersOf(decidePrune(input('POST', raw), 'volumes', ctx(TEAM)).path)).toEqual({
      label: { 'keep=no': true, 'dockscope.owner=ci': true },
    });
  });

  it.each([
    ['an empty body', '', { Labels: { 'dockscope.owner': 'ci' } }],
    ['a null body', ' null ', { Labels: { 'dockscope.owner': 'ci' } }],
    ['the client’s labels', '{"Labels":{"team":"a"}}', { Labels: { team: 'a', 'dockscope.owner': 'ci' } }],
    [
      'the owner label set to its own value',
      '{"Labels":{"dockscope.owner":"ci"}}',
      { Labels: { 'dockscope.owner': 'ci' } },
    ],
  ])('ownedCommit labels the image: %s', async (_what, text, body) => {
    const q = new URLSearchParams({ container: 'web', repo: 'mine' });
    const out = await ownedCommit(input('POST', '/v1.41/commit?container=web', text), q, owner, ctx(TEAM));
    expect(JSON.parse(out.body)).toMatchObject(body);
    expect(out.query.getAll('changes').at(-1)).toBe('LABEL dockscope.owner=ci');
    expect(out.query.get('repo')).toBe('mine');
  });

  it('ownedCommit refuses the owner label with another value', async () => {
    const q = new URLSearchParams({ container: 'web' });
    const text = '{"Labels":{"dockscope.owner":"other"}}';
    expect(
      await refusal(() => ownedCommit(input('POST', '/v1.41/commit', text), q, owner, ctx(TEAM))),
    ).toEqual({
      status: 403,
      message:
        "dockscope: Labels sets the label dockscope.owner, which dockscope sets to this client's owner (ci)",
    });
  });

  it.each([
    ['no networkmode', '', null],
    ['a built-in mode', 'host', 'host'],
    ['a container’s namespace', 'container:web', 'container:web'],
    ['the owner’s network, by name', 'ci-net', OWN_NET],
    ['the owner’s network, by id prefix', 'aaaa', OWN_NET],
  ])('ownedBuild with %s runs on %j and labels the image', async (_what, mode, expected) => {
    const raw = `/v1.41/build?t=mine:1${mode ? `&networkmode=${encodeURIComponent(mode)}` : ''}&labels=${encodeURIComponent('{"team":"a"}')}`;
    const path = await ownedBuild(input('POST', raw), owner, ctx(TEAM));
    const q = new URL(path, 'http://x').searchParams;
    expect(path.startsWith('/v1.41/build?')).toBe(true);
    expect(q.get('networkmode')).toBe(expected);
    expect(JSON.parse(q.get('labels') ?? '')).toEqual({ team: 'a', 'dockscope.owner': 'ci' });
    expect(q.getAll('t')).toEqual(['mine:1']);
  });

  it.each([
    ['another owner’s network', 'other-net'],
    ['a network that does not exist', 'nope'],
  ])('ownedBuild refuses %s in the same words', async (_what, mode) => {
    expect(
      await refusal(() => ownedBuild(input('POST', `/v1.41/build?networkmode=${mode}`), owner, ctx(TEAM))),
    ).toEqual({
      status: 403,
      message: `dockscope: the build's networkmode "${mode}" is not one of this client's networks`,
    });
  });

  it('ownedBuild refuses a tag that would move another owner’s image name', async () => {
    expect(await refusal(() => ownedBuild(input('POST', '/v1.41/build?t=theirs'), owner, ctx(TEAM)))).toEqual(
      {
        status: 403,
        message:
          'dockscope: the name "theirs:latest" points at an image this client does not own; it is not moved',
      },
    );
  });

  it('ownedBuild refuses labels that set the owner label to another value', async () => {
    const raw = `/v1.41/build?labels=${encodeURIComponent('{"dockscope.owner":"other"}')}`;
    expect(await refusal(() => ownedBuild(input('POST', raw), owner, ctx(TEAM)))).toEqual({
      status: 403,
      message:
        "dockscope: the labels query sets the label dockscope.owner, which dockscope sets to this client's owner (ci)",
    });
  });
});
