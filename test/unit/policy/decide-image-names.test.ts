import { describe, expect, it } from 'vitest';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { checkTargets, decideImageCreate, judgeImage } from '../../../src/policy/decide-image-names.ts';
import type { DecideContext, DecideInput } from '../../../src/policy/forward.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { StubObject } from '../support/stub-objects.ts';
import { stubObjects } from '../support/stub-objects.ts';

const owner: Ownership = { key: 'dockscope.owner', owner: 'ci' };
const OWN = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;
const SHARED = `sha256:${'3'.repeat(64)}`;
const IMAGES: StubObject[] = [
  { kind: 'images', id: OWN, name: 'mine:latest', labels: { 'dockscope.owner': 'ci' } },
  { kind: 'images', id: OTHER, name: 'theirs:latest', labels: { 'dockscope.owner': 'other' } },
  { kind: 'images', id: SHARED, name: 'busybox:latest' },
];

const ctx = (o: Ownership | null = owner, create = NO_WAY_OUT): DecideContext => ({
  resolver: stubObjects(IMAGES).resolver,
  create,
  owner: o,
});

function input(raw: string): DecideInput {
  const target = parseTarget(raw);
  const route = classify('POST', target);
  if (!route) throw new Error(`no route for ${raw}`);
  return { method: 'POST', target, route, raw, readBody: async () => '' };
}

async function outcome(work: () => Promise<unknown>) {
  try {
    const value = await work();
    return value === undefined ? 'allowed' : { value };
  } catch (error) {
    const e = error as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

const held = (name: string) => ({
  status: 403,
  message: `dockscope: the name "${name}" points at an image this client does not own; it is not moved`,
});

describe('names an owner’s request would make or move (issue #23: no image poisoning)', () => {
  it.each([
    ['mine:latest', { id: OWN, whose: 'own' }],
    ['theirs:latest', { id: OTHER, whose: 'other' }],
    ['busybox:latest', { id: SHARED, whose: 'shared' }],
  ])('judgeImage(%j) is %j', async (ref, expected) => {
    const j = await judgeImage(ref, owner, ctx());
    expect({ id: j?.facts.id, whose: j?.whose }).toEqual(expected);
  });

  it('judgeImage of a name no image has is null', async () => {
    expect(await judgeImage('nothing:1', owner, ctx())).toBeNull();
  });

  it.each([
    // names, options, outcome
    [['new:1'], {}, 'allowed'],
    [['mine:latest'], {}, 'allowed'],
    [['theirs:latest'], {}, held('theirs:latest')],
    [['busybox:latest'], {}, held('busybox:latest')],
    [['busybox:latest'], { sharedMayMove: true }, 'allowed'],
    [['theirs:latest'], { sharedMayMove: true }, held('theirs:latest')],
    // The image being tagged may be named again: nothing moves.
    [['theirs:latest'], { except: OTHER }, 'allowed'],
    [['new:1', 'mine:latest', 'theirs:latest'], {}, held('theirs:latest')],
  ] as const)('checkTargets(%j, %j)', async (names, options, expected) => {
    expect(await outcome(() => checkTargets(names, owner, ctx(), options))).toEqual(expected);
  });

  it('with sharedImages: manage, a shared name may move, another owner’s never', async () => {
    const manager: Ownership = { ...owner, sharedImages: 'manage' };
    expect(await outcome(() => checkTargets(['busybox:latest'], manager, ctx(manager)))).toBe('allowed');
    expect(await outcome(() => checkTargets(['theirs:latest'], manager, ctx(manager)))).toEqual(
      held('theirs:latest'),
    );
  });

  it.each([
    // target, outcome for an owner
    [
      '/v1.41/images/create?fromImage=busybox&tag=latest',
      { path: '/v1.41/images/create?fromImage=busybox&tag=latest' },
    ],
    [
      '/v1.41/images/create?fromImage=mine&tag=latest',
      { path: '/v1.41/images/create?fromImage=mine&tag=latest' },
    ],
    ['/v1.41/images/create?fromImage=theirs&tag=latest', held('theirs:latest')],
    ['/v1.41/images/create?fromImage=theirs:latest', held('theirs:latest')],
    [
      '/v1.41/images/create?fromImage=theirs',
      {
        status: 403,
        message:
          'dockscope: a pull of every tag of a repository is refused to a client with an owner: name a tag',
      },
    ],
    // A digest names no tag: nothing moves.
    [
      `/v1.41/images/create?fromImage=theirs@sha256:${'9'.repeat(64)}`,
      { path: `/v1.41/images/create?fromImage=theirs@sha256:${'9'.repeat(64)}` },
    ],
  ])('decideImageCreate %s', async (raw, expected) => {
    const out = await outcome(() => decideImageCreate(input(raw), ctx()));
    if ('path' in expected) expect(out).toEqual({ value: { path: expected.path, treatment: 'relay' } });
    else expect(out).toEqual(expected);
  });

  it('an import by an owner is labelled through its changes and may not move another owner’s name', async () => {
    const out = (await decideImageCreate(input('/v1.41/images/create?fromSrc=-&repo=new&tag=1'), ctx())) as {
      path: string;
    };
    const q = new URL(out.path, 'http://x').searchParams;
    expect(out.path.startsWith('/v1.41/images/create?')).toBe(true);
    expect([q.get('fromSrc'), q.get('repo'), q.getAll('changes')]).toEqual([
      '-',
      'new',
      ['LABEL dockscope.owner=ci'],
    ]);
    expect(
      await outcome(() => decideImageCreate(input('/v1.41/images/create?fromSrc=-&repo=theirs'), ctx())),
    ).toEqual(held('theirs:latest'));
  });

  it.each([
    ['http://10.0.0.1/rootfs.tar', NO_WAY_OUT, 'refused'],
    ['http://10.0.0.1/rootfs.tar', { ...NO_WAY_OUT, fetch: true }, 'allowed'],
    ['-', NO_WAY_OUT, 'allowed'],
  ] as const)('an import from %s under fetch=%s', async (src, create, expected) => {
    const raw = `/v1.41/images/create?fromSrc=${encodeURIComponent(src)}`;
    const out = await outcome(() => decideImageCreate(input(raw), ctx(null, create)));
    if (expected === 'refused') {
      expect(out).toEqual({
        status: 403,
        message: `dockscope: create rule "fetch" refuses the fromSrc query: the daemon would fetch it from the host's network`,
      });
    } else expect(out).toEqual({ value: { path: raw, treatment: 'relay' } });
  });
});
