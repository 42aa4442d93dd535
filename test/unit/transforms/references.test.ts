import { describe, expect, it } from 'vitest';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { scopedNames } from '../../../src/transforms/container-list.ts';
import { visibleNames } from '../../../src/transforms/references.ts';

describe('visibleNames: link entries of parents the client may not see are removed', () => {
  const named = (allowed: string[]) => (name: string) => allowed.includes(name);
  it.each<[string[], string[], string[]]>([
    [['/db'], [], ['/db']],
    [['/db', '/web/db'], ['web'], ['/db', '/web/db']],
    [['/db', '/secret/alias'], ['web'], ['/db']],
    [['/db', '/secret/alias', '/web/x'], ['web'], ['/db', '/web/x']],
    [['db', 'secret/alias'], [], ['db']],
  ])('%j with visible parents %j => %j', (names, parents, expected) => {
    expect(visibleNames(names, named(parents))).toEqual(expected);
  });

  it('non-string entries are dropped', () => {
    expect(visibleNames(['/a', 5, null], () => false)).toEqual(['/a']);
  });
});

describe('scopedNames judges a parent by its name only (lists are filtered without look-ups)', () => {
  const visibility = buildVisibility({ names: ['web'], labels: [{ key: 'expose' }] });
  it.each<[unknown, unknown[] | null]>([
    [{ Names: ['/db', '/web/db'] }, null],
    [{ Names: ['/db', '/hidden/db'] }, ['/db']],
    [{ Names: ['/db'] }, null],
    [{ Labels: {} }, null],
  ])('%j => %j', (summary, expected) => {
    expect(scopedNames(summary, visibility)).toEqual(expected);
  });
});
