import { describe, expect, it } from 'vitest';
import { HostNames } from '../../../src/policy/host-names.ts';

/** A DNS of our own: what each name resolves to now, and how often it was asked. */
function dns(initial: Record<string, string[]>) {
  const table = { ...initial };
  const asked: string[] = [];
  const lookup = async (name: string) => {
    asked.push(name);
    const found = table[name];
    if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address }));
  };
  return { table, asked, lookup };
}

describe('HostNames: from host names looked up lazily (issue #22)', () => {
  it('a name that does not resolve matches nothing and is reported once; when it resolves, a miss finds it', async () => {
    const d = dns({});
    const changes: [string, readonly string[] | null, string | undefined][] = [];
    const names = new HostNames(['homepage'], {
      ttlMs: 60_000,
      missMemoMs: 0,
      timeoutMs: 1000,
      lookup: d.lookup,
      onChange: (n, a, why) => changes.push([n, a, why]),
    });
    await names.prime();
    expect(names.unresolved()).toEqual(['homepage']);
    expect(await names.holds('172.18.0.5')).toBe(false);
    d.table.homepage = ['172.18.0.5'];
    expect(await names.holds('172.18.0.5')).toBe(true);
    // Now decided at once, from the memo: no look-up.
    const before = d.asked.length;
    expect(names.holds('172.18.0.5')).toBe(true);
    expect(d.asked.length).toBe(before);
    expect(changes).toEqual([
      ['homepage', null, 'ENOTFOUND'],
      ['homepage', ['172.18.0.5'], undefined],
    ]);
  });

  it('within the miss memo, a peer it does not hold is refused at once, without a look-up', async () => {
    const d = dns({ homepage: ['172.18.0.5'] });
    const names = new HostNames(['homepage'], {
      ttlMs: 60_000,
      missMemoMs: 60_000,
      timeoutMs: 1000,
      lookup: d.lookup,
    });
    await names.prime();
    expect([names.holds('10.0.0.1'), names.holds('10.0.0.2'), d.asked]).toEqual([false, false, ['homepage']]);
  });

  it('past the TTL a held address is looked up again before it counts', async () => {
    const d = dns({ homepage: ['172.18.0.5'] });
    const names = new HostNames(['homepage'], {
      ttlMs: 0,
      missMemoMs: 60_000,
      timeoutMs: 1000,
      lookup: d.lookup,
    });
    await names.prime();
    d.table.homepage = ['172.18.0.6'];
    const held = names.holds('172.18.0.5');
    expect(held).toBeInstanceOf(Promise);
    expect(await held).toBe(false);
    expect(names.holds('172.18.0.6')).toBeInstanceOf(Promise);
  });

  it('a look-up that hangs is bounded by the timeout: the name matches nothing', async () => {
    const names = new HostNames(['slow'], {
      ttlMs: 60_000,
      missMemoMs: 0,
      timeoutMs: 50,
      lookup: () => new Promise(() => {}),
    });
    const started = performance.now();
    expect(await names.holds('10.0.0.1')).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(names.unresolved()).toEqual(['slow']);
  });

  it('concurrent misses share one look-up', async () => {
    const d = dns({ homepage: ['172.18.0.5'] });
    const names = new HostNames(['homepage'], {
      ttlMs: 60_000,
      missMemoMs: 0,
      timeoutMs: 1000,
      lookup: d.lookup,
    });
    const all = await Promise.all([
      names.holds('172.18.0.5'),
      names.holds('172.18.0.5'),
      names.holds('10.0.0.1'),
    ]);
    expect([all, d.asked]).toEqual([[true, true, false], ['homepage']]);
  });
});
