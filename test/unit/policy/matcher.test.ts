import { describe, expect, it } from 'vitest';
import type { ContainerIdentity, LabelRule, VisibilityRules } from '../../../src/policy/matcher.ts';
import {
  buildVisibility,
  hasRules,
  ownName,
  parseLabelRules,
  parseNameRules,
  stripSlash,
} from '../../../src/policy/matcher.ts';

describe('parseNameRules', () => {
  it.each<[string, string[]]>([
    ['', []],
    ['   ', []],
    ['web', ['web']],
    ['web,db', ['web', 'db']],
    [' web , db ', ['web', 'db']],
    ['a=b', ['a=b']],
    ['/web', ['/web']],
  ])('%j => %j', (input, expected) => {
    expect(parseNameRules(input)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['a,,b', 'entry 2 of "a,,b" is empty'],
    ['a,', 'entry 2 of "a," is empty'],
    [',a', 'entry 1 of ",a" is empty'],
    ['a, ,b', 'entry 2 of "a, ,b" is empty'],
  ])('%j is refused: %s', (input, message) => {
    expect(() => parseNameRules(input)).toThrow(new Error(message));
  });
});

describe('parseLabelRules', () => {
  it.each<[string, LabelRule[]]>([
    ['', []],
    [' ', []],
    ['homepage.group', [{ key: 'homepage.group' }]],
    ['com.example.expose=true', [{ key: 'com.example.expose', value: 'true' }]],
    [' k = v ', [{ key: 'k', value: 'v' }]],
    ['k=v=w', [{ key: 'k', value: 'v=w' }]],
    ['a,b=c, d = e ', [{ key: 'a' }, { key: 'b', value: 'c' }, { key: 'd', value: 'e' }]],
  ])('%j => %j', (input, expected) => {
    expect(parseLabelRules(input)).toEqual(expected);
  });

  it('a rule without "=" has no value property at all (matches any value)', () => {
    expect(parseLabelRules('k')[0]).not.toHaveProperty('value');
  });

  it.each<[string, string]>([
    ['a,,b', 'entry 2 of "a,,b" is empty'],
    ['=v', 'entry "=v" has an empty label key'],
    [' = v', 'entry "= v" has an empty label key'],
    ['k=', 'entry "k=" has an empty value (write just "k" to match any value)'],
    ['k= ', 'entry "k=" has an empty value (write just "k" to match any value)'],
    ['x,k=', 'entry "k=" has an empty value (write just "k" to match any value)'],
  ])('%j is refused: %s', (input, message) => {
    expect(() => parseLabelRules(input)).toThrow(new Error(message));
  });
});

describe('hasRules', () => {
  it.each<[VisibilityRules, boolean]>([
    [{ names: [], labels: [] }, false],
    [{ names: ['a'], labels: [] }, true],
    [{ names: [], labels: [{ key: 'k' }] }, true],
  ])('%j => %s', (rules, expected) => {
    expect(hasRules(rules)).toBe(expected);
  });
});

describe('buildVisibility', () => {
  const c = (name: string, labels?: Record<string, string> | null): ContainerIdentity => ({ name, labels });

  it.each<[string, ContainerIdentity]>([
    ['plain name', c('anything')],
    ['empty name, no labels', c('', null)],
    ['labels', c('/x', { a: 'b' })],
  ])('no rules at all: everything is visible (%s)', (_label, container) => {
    expect(buildVisibility({ names: [], labels: [] })(container)).toBe(true);
  });

  it.each<[string, VisibilityRules, ContainerIdentity, boolean]>([
    // Names: containment in the own name, leading "/" stripped.
    ['exact name', { names: ['web'], labels: [] }, c('web'), true],
    ['name with leading slash', { names: ['web'], labels: [] }, c('/web'), true],
    ['substring of name', { names: ['web'], labels: [] }, c('my-web-1'), true],
    ['rule longer than name', { names: ['web-1'], labels: [] }, c('web'), false],
    ['no match', { names: ['web'], labels: [] }, c('db'), false],
    ['case-sensitive', { names: ['web'], labels: [] }, c('WEB'), false],
    ['rule "/web" vs stripped name', { names: ['/web'], labels: [] }, c('/web'), false],
    ['any of several names', { names: ['db', 'web'], labels: [] }, c('web'), true],
    ['name rule ignores labels', { names: ['web'], labels: [] }, c('db', { web: 'web' }), false],
    // Labels: key containment, value containment on the same label.
    ['label key only, exact', { names: [], labels: [{ key: 'expose' }] }, c('x', { expose: '' }), true],
    [
      'label key only, substring',
      { names: [], labels: [{ key: 'expose' }] },
      c('x', { 'com.example.expose': 'no' }),
      true,
    ],
    ['label key absent', { names: [], labels: [{ key: 'expose' }] }, c('x', { other: 'expose' }), false],
    [
      'label key and value',
      { names: [], labels: [{ key: 'expose', value: 'true' }] },
      c('x', { 'com.example.expose': 'true' }),
      true,
    ],
    [
      'label value substring',
      { names: [], labels: [{ key: 'group', value: 'media' }] },
      c('x', { 'homepage.group': 'social-media-apps' }),
      true,
    ],
    [
      'label value mismatch',
      { names: [], labels: [{ key: 'expose', value: 'true' }] },
      c('x', { expose: 'false' }),
      false,
    ],
    [
      'key and value on different labels do not combine',
      { names: [], labels: [{ key: 'expose', value: 'true' }] },
      c('x', { expose: 'no', other: 'true' }),
      false,
    ],
    [
      'value case-sensitive',
      { names: [], labels: [{ key: 'expose', value: 'true' }] },
      c('x', { expose: 'TRUE' }),
      false,
    ],
    ['null labels', { names: [], labels: [{ key: 'expose' }] }, c('x', null), false],
    ['undefined labels', { names: [], labels: [{ key: 'expose' }] }, c('x', undefined), false],
    ['empty labels', { names: [], labels: [{ key: 'expose' }] }, c('x', {}), false],
    [
      'one of several label rules',
      { names: [], labels: [{ key: 'a', value: 'zzz' }, { key: 'b' }] },
      c('x', { a: '1', b: '2' }),
      true,
    ],
    // Names or labels.
    ['names and labels: name matches', { names: ['web'], labels: [{ key: 'expose' }] }, c('/web', {}), true],
    [
      'names and labels: label matches',
      { names: ['web'], labels: [{ key: 'expose' }] },
      c('/db', { expose: '1' }),
      true,
    ],
    [
      'names and labels: neither',
      { names: ['web'], labels: [{ key: 'expose' }] },
      c('/db', { other: '1' }),
      false,
    ],
  ])('%s', (_label, rules, container, expected) => {
    expect(buildVisibility(rules)(container)).toBe(expected);
  });

  it('compiles a copy of the rules (later mutation of the input has no effect)', () => {
    const names = ['web'];
    const visible = buildVisibility({ names, labels: [] });
    names.push('db');
    expect(visible(c('db'))).toBe(false);
    expect(visible(c('web'))).toBe(true);
  });
});

describe('stripSlash', () => {
  it.each<[string, string]>([
    ['/web', 'web'],
    ['web', 'web'],
    ['//web', '/web'],
    ['', ''],
    ['/', ''],
  ])('%j => %j', (input, expected) => {
    expect(stripSlash(input)).toBe(expected);
  });
});

describe('ownName', () => {
  it.each<[readonly string[] | null | undefined, string]>([
    [null, ''],
    [undefined, ''],
    [[], ''],
    [['/web'], 'web'],
    [['web'], 'web'],
    [['/web/db', '/db'], 'db'],
    [['/db', '/web/db'], 'db'],
    [['/a/db', '/b/db', '/db'], 'db'],
    [['/web/db'], ''],
  ])('%j => %j', (names, expected) => {
    expect(ownName(names)).toBe(expected);
  });

  it('a legacy link alias never makes a container visible by name', () => {
    const visible = buildVisibility({ names: ['web'], labels: [] });
    expect(visible({ name: ownName(['/web/db', '/db']), labels: {} })).toBe(false);
  });
});

describe('what the daemon can filter first (issue #26)', () => {
  const L = (key: string, value?: string) => (value === undefined ? { key } : { key, value });
  it.each<[string, Parameters<typeof buildVisibility>[0], readonly string[] | undefined]>([
    [
      'one exact label rule with a value',
      { names: [], labels: [L('team', 'a')], match: 'exact' },
      ['team=a'],
    ],
    ['one exact label key', { names: [], labels: [L('homepage')], match: 'exact' }, ['homepage']],
    [
      'the owner label alone',
      { names: [], labels: [], owned: { key: 'dockscope.owner', owner: 'ci-a' } },
      ['dockscope.owner=ci-a'],
    ],
    // The daemon compares exactly; a substring rule would be narrowed.
    ['a substring label rule', { names: [], labels: [L('team', 'a')] }, undefined],
    // The daemon's label values must all hold: an OR of two rules cannot be said.
    ['two exact label rules', { names: [], labels: [L('a'), L('b')], match: 'exact' }, undefined],
    ['a name beside a label', { names: ['web'], labels: [L('a')], match: 'exact' }, undefined],
    [
      'owned beside a label',
      { names: [], labels: [L('a')], match: 'exact', owned: { key: 'o', owner: 'x' } },
      undefined,
    ],
    ['a glob label rule', { names: [], labels: [L('team', 'a*')], match: 'glob' }, undefined],
  ])('%s', (_label, rules, expected) => {
    expect(buildVisibility(rules).daemonLabels).toEqual(expected);
  });
});
