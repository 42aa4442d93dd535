import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import {
  imageOwner,
  imageSentinel,
  mayManage,
  nameSentinel,
  namesMade,
  pulledNames,
  splitReference,
  targetName,
} from '../../../src/policy/image-refs.ts';
import { idSentinel, isSentinelToken, restoreRefs } from '../../../src/policy/missing.ts';

const A = { key: 'dockscope.owner', owner: 'ci-a' };

describe('image-refs: whose an image is', () => {
  it.each<[string, Record<string, string> | null, string]>([
    ['its own label', { 'dockscope.owner': 'ci-a' }, 'own'],
    ["another owner's label", { 'dockscope.owner': 'ci-b' }, 'other'],
    ['a value that only starts like its own', { 'dockscope.owner': 'ci-a2' }, 'other'],
    ['an empty value (someone set it)', { 'dockscope.owner': '' }, 'other'],
    ['no owner label', { other: 'x' }, 'shared'],
    ['no labels at all', null, 'shared'],
  ])('%s', (_l, labels, expected) => {
    expect(imageOwner(labels, A)).toBe(expected);
  });
  it('a shared image is managed only with sharedImages: manage; another never', () => {
    expect(mayManage('own', A)).toBe(true);
    expect(mayManage('shared', A)).toBe(false);
    expect(mayManage('shared', { ...A, sharedImages: 'manage' })).toBe(true);
    expect(mayManage('other', { ...A, sharedImages: 'manage' })).toBe(false);
  });
});

describe('image-refs: sentinels keep the shape the daemon normalises', () => {
  it.each<[string, { prefix: string; component: string; suffix: string }]>([
    ['app', { prefix: '', component: 'app', suffix: '' }],
    ['app:v1', { prefix: '', component: 'app', suffix: ':v1' }],
    ['localhost:5000/team/app', { prefix: 'localhost:5000/team/', component: 'app', suffix: '' }],
    ['docker.io/library/app:v1', { prefix: 'docker.io/library/', component: 'app', suffix: ':v1' }],
    [`app@sha256:${'a'.repeat(64)}`, { prefix: '', component: 'app', suffix: `@sha256:${'a'.repeat(64)}` }],
  ])('splitReference(%s)', (ref, expected) => {
    expect(splitReference(ref)).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['a name', 'ci-b-app', nameSentinel(0)],
    ['a name and tag', 'ci-b-app:v1', `${nameSentinel(0)}:v1`],
    ['a registry name', 'reg:5000/team/app:v1', `reg:5000/team/${nameSentinel(0)}:v1`],
    ['a short hex string (a name first, for the daemon)', 'abc123', nameSentinel(0)],
    ['a sha256: prefix', 'sha256:abc123', `sha256:${idSentinel(0)}`],
    ['a full id', 'f'.repeat(64), idSentinel(0)],
  ])('%s: sent on as a reference of no image', (_l, typed, sent) => {
    const s = imageSentinel(typed);
    expect(s.ref).toBe(sent);
    // The daemon's answer about the sentinel reads, once put back, as its answer about the typed one.
    expect(restoreRefs(`no such image: ${s.ref}`, [s.missing], true)).toBe(`no such image: ${typed}`);
  });
  it('the i-th reference of a request gets the i-th sentinel; id sentinels pass the id scrubber', () => {
    expect(imageSentinel('x', 3).ref).toBe(nameSentinel(3));
    expect(idSentinel(1)).toMatch(/^[0-9a-f]{64}$/);
    expect(idSentinel(1)).not.toBe(idSentinel(0));
    expect(isSentinelToken(idSentinel(7))).toBe(true);
    expect(isSentinelToken('0'.repeat(64))).toBe(false);
  });
});

describe('image-refs: the names a request makes or moves', () => {
  it.each<[string, string, string | null]>([
    ['app', '', 'app:latest'],
    ['app', 'v1', 'app:v1'],
    ['app:v2', '', 'app:v2'],
    ['localhost:5000/app', '', 'localhost:5000/app:latest'],
    ['', 'v1', null],
    [`app@sha256:${'a'.repeat(64)}`, '', null],
  ])('targetName(%j, %j) is %j', (repo, tag, expected) => {
    expect(targetName(repo, tag)).toBe(expected);
  });
  it('a commit or import names repo:tag; a pull its name unless by digest; every tag is refused', () => {
    expect(namesMade(new URLSearchParams('repo=a&tag=1'))).toEqual(['a:1']);
    expect(namesMade(new URLSearchParams('container=x'))).toEqual([]);
    expect(pulledNames('busybox', 'latest')).toEqual(['busybox:latest']);
    expect(pulledNames('busybox:1', '')).toEqual(['busybox:1']);
    expect(pulledNames('busybox', `sha256:${'a'.repeat(64)}`)).toEqual([]);
    expect(() => pulledNames('busybox', '')).toThrow(DockerApiError);
    expect(() => pulledNames('busybox', '')).toThrow(/every tag/);
  });
});
