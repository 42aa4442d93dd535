import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import { addOwnerFilter, isOwned, withOwnerLabel } from '../../../src/policy/ownership.ts';

const O = { key: 'dockscope.owner', owner: 'ci-a' };

describe('ownership: the owner label on creates', () => {
  it('is added to the labels a client gives', () => {
    expect({ ...withOwnerLabel(undefined, O, 'Labels') }).toEqual({ 'dockscope.owner': 'ci-a' });
    expect({ ...withOwnerLabel(Object.assign(Object.create(null), { a: 'b' }), O, 'Labels') }).toEqual({
      a: 'b',
      'dockscope.owner': 'ci-a',
    });
  });
  it("accepts the client's own value (tools copy labels) and refuses another", () => {
    const own = Object.assign(Object.create(null), { 'dockscope.owner': 'ci-a' });
    expect({ ...withOwnerLabel(own, O, 'Labels') }).toEqual({ 'dockscope.owner': 'ci-a' });
    const other = Object.assign(Object.create(null), { 'dockscope.owner': 'ci-b' });
    expect(() => withOwnerLabel(other, O, 'Labels')).toThrow(DockerApiError);
    expect(() => withOwnerLabel(other, O, 'Labels')).toThrow(/sets the label dockscope.owner/);
  });
  it('isOwned compares the value exactly', () => {
    expect(isOwned({ 'dockscope.owner': 'ci-a' }, O)).toBe(true);
    expect(isOwned({ 'dockscope.owner': 'ci-a2' }, O)).toBe(false);
    expect(isOwned({}, O)).toBe(false);
    expect(isOwned(null, O)).toBe(false);
  });
});

describe('ownership: the label filter lists and prunes are scoped with', () => {
  it.each<[string, string | null, unknown]>([
    ['no filters', null, { label: { 'dockscope.owner=ci-a': true } }],
    [
      'other filters',
      '{"dangling":{"true":true}}',
      { dangling: { true: true }, label: { 'dockscope.owner=ci-a': true } },
    ],
    [
      'a label filter of the client',
      '{"label":{"x=1":true}}',
      { label: { 'x=1': true, 'dockscope.owner=ci-a': true } },
    ],
    ['the legacy list form', '{"label":["x=1"]}', { label: ['x=1', 'dockscope.owner=ci-a'] }],
    [
      'a client trying the owner filter of another',
      '{"label":{"dockscope.owner=ci-b":true}}',
      { label: { 'dockscope.owner=ci-b': true, 'dockscope.owner=ci-a': true } },
    ],
  ])('%s', (_l, raw, expected) => {
    expect(JSON.parse(addOwnerFilter(raw, O))).toEqual(expected);
  });
  it('refuses filters it cannot read', () => {
    expect(() => addOwnerFilter('[]', O)).toThrow(/must be a JSON object/);
    expect(() => addOwnerFilter('{"label":"x"}', O)).toThrow(/label filter/);
  });
});
