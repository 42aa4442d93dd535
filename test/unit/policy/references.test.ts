import { describe, expect, it } from 'vitest';
import type { MissingRef } from '../../../src/policy/missing.ts';
import { linkSentinel } from '../../../src/policy/missing.ts';
import { endpointLink, parseLink } from '../../../src/policy/references.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const s = () =>
  stubResolver([
    { id: id('a'), name: 'web' },
    { id: id('b'), name: 'db' },
  ]);

async function outcome(link: unknown, refs: MissingRef[] = []) {
  try {
    return { link: await endpointLink(link as string, s().resolver, refs), refs };
  } catch (error) {
    const e = error as { status: number; message: string };
    return { status: e.status, message: e.message };
  }
}

describe('links of a network endpoint (issue #20)', () => {
  it.each([
    ['web', { name: 'web', alias: 'web' }],
    ['web:w', { name: 'web', alias: 'w' }],
    ['/web:/app/w', { name: 'web', alias: 'w' }],
    ['/web:w', { name: 'web', alias: 'w' }],
    [':w', { name: '', alias: 'w' }],
    ['', { name: '', alias: '' }],
  ])('parseLink(%j) is %j', (link, expected) => {
    expect(parseLink(link)).toEqual(expected);
  });

  it('a link of three parts is the daemon’s 400', () => {
    expect(() => parseLink('a:b:c')).toThrow(
      expect.objectContaining({ status: 400, message: 'dockscope: bad format for links: a:b:c' }),
    );
  });

  it.each(['web', 'web:w', '/web:/app/w', id('a').slice(0, 12)])(
    'a link to the visible container (%j) goes on as typed',
    async (link) => {
      expect(await outcome(link)).toEqual({ link, refs: [] });
    },
  );

  it.each([
    // link, what is forwarded (the name replaced, the form kept)
    ['db', `${linkSentinel('db')}`],
    ['db:d', `${linkSentinel('db')}:d`],
    ['/db:/app/d', `/${linkSentinel('db')}:/app/d`],
    ['nope:n', `${linkSentinel('nope')}:n`],
  ])(
    'a link to a hidden or missing container (%j) goes on with a sentinel carrying the name',
    async (link, forwarded) => {
      const name = parseLink(link).name;
      expect(await outcome(link)).toEqual({
        link: forwarded,
        refs: [{ sentinel: linkSentinel(name), typed: name }],
      });
    },
  );

  it('the hidden and the missing look alike: the sentinel depends on the typed name only', async () => {
    const hidden = (await outcome('db')) as { link: string };
    expect(hidden.link).toBe(linkSentinel('db'));
    expect(hidden.link).not.toContain(id('b'));
  });

  it('one sentinel per name, however often it is linked', async () => {
    const refs: MissingRef[] = [];
    await outcome('db:a', refs);
    await outcome('db:b', refs);
    await outcome('nope', refs);
    expect(refs).toEqual([
      { sentinel: linkSentinel('db'), typed: 'db' },
      { sentinel: linkSentinel('nope'), typed: 'nope' },
    ]);
  });

  it.each([1, null, ['web'], { name: 'web' }])('a link that is no string (%j) is a 400', async (link) => {
    expect(await outcome(link)).toEqual({
      status: 400,
      message: 'dockscope: links must be strings of the form name:alias',
    });
  });
});
