import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DockerApiError } from '../../../src/errors.ts';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import { nameSentinel } from '../../../src/policy/image-refs.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { idSentinel } from '../../../src/policy/missing.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const S = `sha256:${'c'.repeat(64)}`;
/** The daemon's images: ci-a's, ci-b's and a base image of nobody's, by name, id and id prefix. */
const IMAGES = [
  { id: A, names: ['app-a:1'], labels: { 'dockscope.owner': 'ci-a' } },
  { id: B, names: ['app-b:1'], labels: { 'dockscope.owner': 'ci-b' } },
  { id: S, names: ['base:1'], labels: {} },
];
const OWNER: Ownership = { key: 'dockscope.owner', owner: 'ci-a' };

function find(ref: string) {
  const named = ref.includes(':') ? ref : `${ref}:latest`;
  return IMAGES.find(
    (i) =>
      i.names.includes(named) || i.id === ref || i.id.startsWith(`sha256:${ref}`) || i.id.startsWith(ref),
  );
}

const upstream = {
  display: 'stub',
  getJson: async (path: string) => {
    // One container, the client's job (a commit's source).
    if (path === '/containers/job/json') {
      return { status: 200, body: { Id: 'f'.repeat(64), Name: '/job', Config: { Labels: {} } } };
    }
    const match = /^\/images\/(.+)\/json$/.exec(path);
    const image = match ? find(decodeURIComponent(match[1] ?? '')) : undefined;
    return image
      ? { status: 200, body: { Id: image.id, Config: { Labels: image.labels } } }
      : { status: 404, body: { message: 'No such image' } };
  },
} as unknown as Upstream;

async function run(method: string, raw: string, body = '', owner: Ownership = OWNER): Promise<Forwarding> {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  const resolver = new ContainerResolver(
    new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
    buildVisibility({ names: ['job'], labels: [] }),
  );
  return decide(
    { method, target, route, raw, readBody: async () => body },
    { resolver, create: null, owner },
  );
}

async function refusal(method: string, raw: string, owner: Ownership = OWNER): Promise<string> {
  try {
    await run(method, raw, '', owner);
  } catch (error) {
    return `${(error as DockerApiError).status} ${(error as DockerApiError).message}`;
  }
  throw new Error('not refused');
}

const N0 = nameSentinel(0);
const N1 = nameSentinel(1);

describe('decide: images of an owner', () => {
  it.each<[string, string, Forwarding]>([
    [
      'GET',
      '/v1.41/images/app-a:1/json',
      { path: `/v1.41/images/${A}/json`, treatment: 'judgeImageInspect' },
    ],
    ['GET', '/images/base:1/history', { path: `/images/${S}/history`, treatment: 'filterImageHistory' }],
    [
      'GET',
      '/images/nosuch/json',
      {
        path: '/images/nosuch/json',
        treatment: 'judgeImageInspect',
        ifHidden: { path: `/images/${N0}/json`, ref: { sentinel: N0, typed: 'nosuch' } },
      },
    ],
    ['GET', '/images/nosuch/history', { path: '/images/nosuch/history', treatment: 'filterImageHistory' }],
    [
      'GET',
      '/images/app-b:1/json',
      {
        path: `/images/${N0}:1/json`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: N0, typed: 'app-b' }],
      },
    ],
    [
      'GET',
      `/images/${B}/history`,
      {
        path: `/images/sha256:${idSentinel(0)}/history`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: idSentinel(0), typed: 'b'.repeat(64) }],
      },
    ],
    [
      'POST',
      '/images/app-a:1/tag?repo=new&tag=1',
      { path: `/images/${A}/tag?repo=new&tag=1`, treatment: 'relay' },
    ],
    [
      'POST',
      '/images/app-b:1/tag?repo=new',
      {
        path: `/images/${N0}:1/tag?repo=new`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: N0, typed: 'app-b' }],
      },
    ],
    ['DELETE', '/images/app-a:1', { path: '/images/app-a:1', treatment: 'cutErrorIds' }],
    ['DELETE', '/images/aaaaaaaaaaaa', { path: `/images/${A}`, treatment: 'cutErrorIds' }],
    [
      'DELETE',
      '/images/bbbbbbbbbbbb?force=1',
      {
        path: `/images/${N0}?force=1`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: N0, typed: '<hidden>' }],
      },
    ],
    [
      'GET',
      '/images/get?names=app-a:1&names=app-b:1&names=base:1',
      {
        path: `/images/get?names=app-a%3A1&names=${N0}%3A1&names=base%3A1`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: N0, typed: 'app-b' }],
      },
    ],
    [
      'POST',
      '/images/app-b/push?tag=1',
      {
        path: `/images/${N0}/push?tag=1`,
        treatment: 'restoreMissing',
        missing: [{ sentinel: N0, typed: 'app-b' }],
      },
    ],
    ['POST', '/images/base/push?tag=1', { path: '/images/base/push?tag=1', treatment: 'relay' }],
    [
      'POST',
      '/images/create?fromImage=base&tag=1',
      { path: '/images/create?fromImage=base&tag=1', treatment: 'relay' },
    ],
    ['GET', '/images/json', { path: '/images/json', treatment: 'filterImageList' }],
  ])('%s %s', async (method, raw, expected) => {
    expect(await run(method, raw)).toEqual(expected);
  });

  it('the image list: a before or since filter naming another owner’s image is a sentinel', async () => {
    const filters = encodeURIComponent(JSON.stringify({ before: ['app-b:1'], since: { 'base:1': true } }));
    const f = await run('GET', `/images/json?filters=${filters}`);
    expect(f.treatment).toBe('restoreMissing');
    expect(f.missing).toEqual([{ sentinel: N0, typed: 'app-b' }]);
    expect(new URLSearchParams(f.path.split('?')[1]).get('filters')).toBe(
      JSON.stringify({ before: [`${N0}:1`], since: { 'base:1': true } }),
    );
    expect(N1).not.toBe(N0);
  });

  it('a create of another owner’s image goes on with a sentinel for Image', async () => {
    const f = await run('POST', '/containers/create?name=job', JSON.stringify({ Image: 'app-b:1' }));
    expect(f.treatment).toBe('restoreMissing');
    expect(f.missing).toEqual([{ sentinel: N0, typed: 'app-b' }]);
    expect(JSON.parse(f.body ?? '{}').Image).toBe(`${N0}:1`);
    const own = await run('POST', '/containers/create?name=job', JSON.stringify({ Image: 'base:1' }));
    expect(JSON.parse(own.body ?? '{}').Image).toBe('base:1');
  });

  const held = 'points at an image this client does not own; it is not moved';
  it.each<[string, string, string]>([
    ['POST', '/images/app-a:1/tag?repo=app-b&tag=1', `403 dockscope: the name "app-b:1" ${held}`],
    ['POST', '/images/app-a:1/tag?repo=base&tag=1', `403 dockscope: the name "base:1" ${held}`],
    [
      'POST',
      '/images/base:1/tag?repo=mine',
      '403 dockscope: image "base:1" has no owner: this client may not tag it',
    ],
    ['DELETE', '/images/base:1', '403 dockscope: image "base:1" has no owner: this client may not remove it'],
    ['POST', '/images/create?fromImage=app-b&tag=1', `403 dockscope: the name "app-b:1" ${held}`],
    ['POST', '/images/create?fromSrc=-&repo=base:1', `403 dockscope: the name "base:1" ${held}`],
    ['POST', '/build?t=app-b:1', `403 dockscope: the name "app-b:1" ${held}`],
    ['POST', '/commit?container=job&repo=base&tag=1', `403 dockscope: the name "base:1" ${held}`],
    [
      'POST',
      '/images/create?fromImage=base',
      '403 dockscope: a pull of every tag of a repository is refused',
    ],
    ['POST', '/images/app-a/push', '403 dockscope: a push of every tag of a repository is refused'],
    ['POST', '/images/load', '403 dockscope: docker load is refused to a client with an owner'],
  ])('%s %s is refused', async (method, raw, expected) => {
    expect(await refusal(method, raw)).toContain(expected);
  });

  it('sharedImages: manage may remove, tag and move names of nobody’s images, never another’s', async () => {
    const manage: Ownership = { ...OWNER, sharedImages: 'manage' };
    expect(await run('DELETE', '/images/base:1', '', manage)).toEqual({
      path: '/images/base:1',
      treatment: 'cutErrorIds',
    });
    expect((await run('POST', '/images/app-a:1/tag?repo=base&tag=1', '', manage)).path).toBe(
      `/images/${A}/tag?repo=base&tag=1`,
    );
    expect(await refusal('POST', '/images/app-a:1/tag?repo=app-b&tag=1', manage)).toContain(held);
  });

  it('without an owner, image routes pass as before', async () => {
    const target = parseTarget('/images/app-b:1');
    const route = classify('DELETE', target);
    if (!route) throw new Error('no route');
    const resolver = new ContainerResolver(
      new ContainerDirectory(upstream, 60_000, pino({ level: 'silent' })),
      buildVisibility('all'),
    );
    const f = await decide(
      { method: 'DELETE', target, route, raw: '/images/app-b:1', readBody: async () => '' },
      { resolver, create: null, owner: null },
    );
    expect(f).toEqual({ path: '/images/app-b:1', treatment: 'cutErrorIds' });
  });
});
