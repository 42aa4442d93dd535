import { describe, expect, it } from 'vitest';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

describe('ContainerResolver', () => {
  it('names and prefixes are looked up every time; full ids come from the cache', async () => {
    const s = stubResolver([{ id: id('a'), name: 'web' }]);
    expect((await s.resolver.resolve('web'))?.visible).toBe(true);
    expect((await s.resolver.resolve('web'))?.id).toBe(id('a'));
    expect(await s.resolver.resolve(id('a'))).toMatchObject({ id: id('a'), name: 'web', visible: true });
    expect(s.paths).toEqual(['/containers/web/json', '/containers/web/json']);
  });

  it('a missing container is null, and is not cached', async () => {
    const s = stubResolver([]);
    expect(await s.resolver.resolve(id('b'))).toBeNull();
    expect(await s.resolver.resolve(id('b'))).toBeNull();
    expect(s.paths.length).toBe(2);
  });

  it('concurrent look-ups of one reference share one upstream request', async () => {
    const s = stubResolver([{ id: id('a'), name: 'web' }]);
    const release = s.hold();
    const both = Promise.all([s.resolver.resolve('web'), s.resolver.resolve('web')]);
    release();
    const [x, y] = await both;
    expect(x).toEqual(y);
    expect(s.paths.length).toBe(1);
  });

  it('a rename reported while a look-up is in flight leaves no stale decision in the cache', async () => {
    const s = stubResolver([{ id: id('a'), name: 'web' }]);
    const release = s.hold();
    const pending = s.resolver.resolve(id('a'));
    // The event watch reports the rename of this container while its look-up is under way.
    s.resolver.invalidate(id('a'));
    release();
    expect((await pending)?.visible).toBe(true);
    expect(s.resolver.cached(id('a'))).toBeUndefined();
    // A look-up that starts after the invalidation is cached again.
    await s.resolver.resolve(id('a'));
    expect(s.resolver.cached(id('a'))?.visible).toBe(true);
  });

  it('facts remembered from an answer begun before an invalidation are not cached', () => {
    const s = stubResolver([]);
    const epoch = s.resolver.epoch;
    s.resolver.invalidate(id('z'));
    expect(s.resolver.remember({ id: id('c'), name: 'web', labels: {} }, epoch).visible).toBe(true);
    expect(s.resolver.cached(id('c'))).toBeUndefined();
    s.resolver.remember({ id: id('c'), name: 'web', labels: {} }, s.resolver.epoch);
    expect(s.resolver.cached(id('c'))).toBeDefined();
  });

  it('an exec instance resolves to its container, and never moves', async () => {
    const s = stubResolver([{ id: id('a'), name: 'db' }], undefined, { e1: id('a') });
    expect(await s.resolver.execContainer('e1')).toMatchObject({ id: id('a'), visible: false });
    await s.resolver.execContainer('e1');
    expect(s.paths.filter((p) => p.startsWith('/exec/'))).toEqual(['/exec/e1/json']);
    expect(await s.resolver.execContainer('nope')).toBeNull();
  });

  it('a legacy link name through a parent the client may not see is a missing container', async () => {
    const s = stubResolver([
      { id: id('a'), name: 'web' },
      { id: id('b'), name: 'db' },
      // What the daemon answers for the link names: the linked container, here a visible one ("web-2").
      { id: id('c'), name: 'db/web-2' },
      { id: id('d'), name: 'web/web-2' },
    ]);
    expect(await s.resolver.resolve('db/web-2')).toBeNull();
    expect(await s.resolver.resolve('/db/web-2')).toBeNull();
    // Through a visible parent it is found.
    expect((await s.resolver.resolve('web/web-2'))?.id).toBe(id('d'));
  });

  it('resolveOrNull hides a failed look-up instead of failing', async () => {
    const s = stubResolver([]);
    expect(await s.resolver.resolveOrNull('x')).toBeNull();
  });
});

describe('two clients share the directory, not decisions', () => {
  it('one look-up serves both; each judges with its own rules', async () => {
    const s = stubResolver([{ id: id('a'), name: 'web' }], { names: ['web'], labels: [] });
    const other = new ContainerResolver(s.resolver.directory, buildVisibility({ names: ['db'], labels: [] }));
    expect((await s.resolver.resolve(id('a')))?.visible).toBe(true);
    expect(other.cached(id('a'))?.visible).toBe(false);
    expect((await other.resolve(id('a')))?.visible).toBe(false);
    expect(s.paths).toEqual([`/containers/${id('a')}/json`]);
  });
});
