import { describe, expect, it } from 'vitest';
import { newObject } from '../../../../src/body/go-decode.ts';
import { DockerApiError } from '../../../../src/errors.ts';
import { EventVisibility } from '../../../../src/policy/event-visibility.ts';
import type { DecideContext } from '../../../../src/policy/forward.ts';
import { configs } from '../../../../src/policy/owned/configs.ts';
import { containers } from '../../../../src/policy/owned/containers.ts';
import { images } from '../../../../src/policy/owned/images.ts';
import { networks } from '../../../../src/policy/owned/networks.ts';
import type { OwnedScope } from '../../../../src/policy/owned/scope.ts';
import { isShown } from '../../../../src/policy/owned/scope.ts';
import { secrets } from '../../../../src/policy/owned/secrets.ts';
import { services } from '../../../../src/policy/owned/services.ts';
import { isSwarmShown } from '../../../../src/policy/owned/swarm-scope.ts';
import { volumes } from '../../../../src/policy/owned/volumes.ts';
import type { RequestTarget } from '../../../../src/routes/target.ts';
import type { StubObject } from '../../support/stub-objects.ts';
import { stubObjects } from '../../support/stub-objects.ts';

const OWNER = { key: 'dockscope.owner', owner: 'ci-a' };
/** `containers: owned`: the client's container rules are its owner's label. */
const OWNED_RULES = { names: [], labels: [], owned: OWNER };

type Case = 'owned' | 'foreign' | 'unlabelled' | 'hidden' | 'gone';
const LABELS: Readonly<Record<Exclude<Case, 'gone'>, Record<string, string>>> = {
  owned: { 'dockscope.owner': 'ci-a' },
  foreign: { 'dockscope.owner': 'ci-b' },
  unlabelled: { team: 'a' },
  // The owner's value under a key that only looks like the owner label: labels are case-sensitive.
  hidden: { 'Dockscope.Owner': 'ci-a' },
};

const KINDS = [
  ['containers', containers],
  ['volumes', volumes],
  ['networks', networks],
  ['images', images],
  ['services', services],
  ['secrets', secrets],
  ['configs', configs],
] as const satisfies readonly (readonly [StubObject['kind'], OwnedScope])[];

const hex = (c: string) => c.repeat(64);
const ID: Readonly<Record<Case, string>> = {
  owned: hex('a'),
  foreign: hex('b'),
  unlabelled: hex('c'),
  hidden: hex('d'),
  gone: hex('e'),
};

/** Each kind's objects of every case but `gone`, named after the case. */
function daemon(kind: StubObject['kind']) {
  const objects = (Object.keys(LABELS) as Exclude<Case, 'gone'>[]).map((c) => ({
    kind,
    id: kind === 'images' ? `sha256:${ID[c]}` : ID[c],
    name: c,
    labels: LABELS[c],
  }));
  const stub = stubObjects(objects, OWNED_RULES);
  const ctx: DecideContext = { resolver: stub.resolver, create: null, owner: OWNER };
  return { ...stub, ctx };
}

/**
 * What a request naming the object is sent with: its id (a volume: its name), a sentinel standing for
 * a missing one, or the reference as typed (images: the daemon's own answer for one it does not have).
 */
type Outcome = 'pinned' | 'missing' | 'typed';
const EXPECTED: Readonly<Record<StubObject['kind'], Readonly<Record<Case, Outcome>>>> = {
  containers: {
    owned: 'pinned',
    foreign: 'missing',
    unlabelled: 'missing',
    hidden: 'missing',
    gone: 'missing',
  },
  volumes: { owned: 'pinned', foreign: 'missing', unlabelled: 'missing', hidden: 'missing', gone: 'missing' },
  networks: {
    owned: 'pinned',
    foreign: 'missing',
    unlabelled: 'missing',
    hidden: 'missing',
    gone: 'missing',
  },
  // Nobody's images (pulled base images) are shared; a look-alike key makes an image nobody's.
  images: { owned: 'pinned', foreign: 'missing', unlabelled: 'pinned', hidden: 'pinned', gone: 'typed' },
  services: {
    owned: 'pinned',
    foreign: 'missing',
    unlabelled: 'missing',
    hidden: 'missing',
    gone: 'missing',
  },
  secrets: { owned: 'pinned', foreign: 'missing', unlabelled: 'missing', hidden: 'missing', gone: 'missing' },
  configs: { owned: 'pinned', foreign: 'missing', unlabelled: 'missing', hidden: 'missing', gone: 'missing' },
};

const CASES: readonly Case[] = ['owned', 'foreign', 'unlabelled', 'hidden', 'gone'];

describe('owned scopes: a reference pinned for an owner', () => {
  for (const [kind, scope] of KINDS) {
    it.each(CASES)(`${kind}: %s`, async (c) => {
      const { ctx } = daemon(kind);
      const pinned = await scope.pin(c, OWNER, ctx, 3);
      const expected = EXPECTED[kind][c];
      if (expected === 'pinned') {
        const id = kind === 'volumes' ? c : kind === 'images' ? `sha256:${ID[c]}` : ID[c];
        expect(pinned).toEqual({ ref: id, missing: null });
      } else if (expected === 'typed') {
        expect(pinned).toEqual({ ref: c, missing: null });
      } else {
        expect(pinned.missing?.typed).toBe(c);
        // Sentinels are numbered within their request: the i-th asked for is the i-th made.
        expect(pinned.missing?.sentinel).toMatch(/[~-]3$/);
        expect(pinned.ref).not.toBe(c);
      }
    });
  }
});

describe('owned scopes: labels, shown, list query, create labelling, event key', () => {
  for (const [kind, scope] of KINDS) {
    it(`${kind}: the labels looked up decide what an owner sees`, async () => {
      const { resolver } = daemon(kind);
      const shown = async (c: Case) => isShown(scope, await scope.labels(c, resolver.directory), OWNER);
      expect(await shown('owned')).toBe(true);
      expect(await shown('foreign')).toBe(false);
      expect(await shown('unlabelled')).toBe(kind === 'images');
      expect(await shown('gone')).toBe(false);
    });
    it(`${kind}: a create is labelled; another owner's value is refused, the same passes`, () => {
      const body = newObject();
      body.Labels = Object.assign(newObject(), { a: 'b' });
      expect({ ...(scope.label(body, OWNER).Labels as object) }).toEqual({
        a: 'b',
        'dockscope.owner': 'ci-a',
      });
      const other = newObject();
      other.Labels = Object.assign(newObject(), { 'dockscope.owner': 'ci-b' });
      expect(() => scope.label(other, OWNER)).toThrow(DockerApiError);
    });
  }
  it('each kind keys its events apart (one stream remembers objects of every kind)', () => {
    const keys = KINDS.map(([, scope]) => scope.eventKey('x'));
    expect(new Set(keys).size).toBe(KINDS.length);
    for (const key of keys) expect(key).toMatch(/^[a-z]+:x$/);
  });
  it('the lists the daemon can filter get the owner label filter; the others are filtered on the answer', () => {
    const target = { query: new URLSearchParams('filters={"name":{"x":true}}') } as unknown as RequestTarget;
    for (const scope of [volumes, networks, services, secrets, configs]) {
      expect(JSON.parse(scope.listQuery(target, OWNER)?.get('filters') ?? '')).toEqual({
        name: { x: true },
        label: { 'dockscope.owner=ci-a': true },
      });
    }
    expect(images.listQuery(target, OWNER)).toBeNull();
    expect(containers.listQuery(target, OWNER)).toBeNull();
  });
  it("a service's task containers carry the owner label too, and cannot be given another's", () => {
    const spec = newObject();
    spec.TaskTemplate = Object.assign(newObject(), {
      ContainerSpec: Object.assign(newObject(), { Image: 'busybox' }),
    });
    services.label(spec, OWNER);
    expect(JSON.parse(JSON.stringify(spec))).toEqual({
      Labels: { 'dockscope.owner': 'ci-a' },
      TaskTemplate: { ContainerSpec: { Image: 'busybox', Labels: { 'dockscope.owner': 'ci-a' } } },
    });
    const forged = newObject();
    forged.TaskTemplate = Object.assign(newObject(), {
      ContainerSpec: Object.assign(newObject(), {
        Labels: Object.assign(newObject(), { 'dockscope.owner': 'ci-b' }),
      }),
    });
    expect(() => services.label(forged, OWNER)).toThrow(/TaskTemplate.ContainerSpec.Labels sets the label/);
  });
});

describe('owned scopes: swarm objects within the container rules', () => {
  it("an owner's own service is shown only when its rules allow it; no owner: the rules alone", () => {
    const { resolver } = stubObjects([], {
      names: [],
      labels: [{ key: 'team', value: 'a' }],
      match: 'exact',
    });
    const own = { id: 'x', name: 'svc', labels: { 'dockscope.owner': 'ci-a', team: 'a' } };
    const ownHidden = { id: 'y', name: 'svc', labels: { 'dockscope.owner': 'ci-a', team: 'b' } };
    const theirs = { id: 'z', name: 'svc', labels: { 'dockscope.owner': 'ci-b', team: 'a' } };
    expect(isSwarmShown(resolver, OWNER, own)).toBe(true);
    expect(isSwarmShown(resolver, OWNER, ownHidden)).toBe(false);
    expect(isSwarmShown(resolver, OWNER, theirs)).toBe(false);
    expect(isSwarmShown(resolver, null, theirs)).toBe(true);
    expect(isSwarmShown(resolver, OWNER, null)).toBe(false);
  });
});

describe('owned scopes: events of an owner', () => {
  const event = (type: string, id: string, action = 'update') => ({
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: { name: 'x' } },
  });
  it.each([
    ['service', 'services'],
    ['secret', 'secrets'],
    ['config', 'configs'],
  ] as const)(
    "%s events: its own shown, another's and nobody's dropped, a gone one as decided before",
    async (type, kind) => {
      const { resolver } = stubObjects(
        (['owned', 'foreign', 'unlabelled'] as const).map((c) => ({
          kind,
          id: ID[c],
          name: c,
          labels: LABELS[c],
        })),
        'all',
      );
      const events = new EventVisibility(resolver, OWNER);
      expect(await events.decide(event(type, ID.owned))).toBe(true);
      expect(await events.decide(event(type, ID.foreign))).toBe(false);
      expect(await events.decide(event(type, ID.unlabelled))).toBe(false);
      // Never seen and gone: its owner is not known, so it is not shown.
      expect(await events.decide(event(type, ID.gone, 'remove'))).toBe(false);
      expect(events.dropped).toBe(3);
    },
  );
});
