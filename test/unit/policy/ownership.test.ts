import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import type { DecideContext } from '../../../src/policy/decide.ts';
import { ownersNetwork } from '../../../src/policy/owned/networks.ts';
import { addOwnerFilter, isOwned, withOwnerLabel } from '../../../src/policy/ownership.ts';
import type { NetworkFacts } from '../../../src/upstream/daemon-client.ts';

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
      'other filters in the legacy form (the daemon reads one form only)',
      '{"name":["n1"]}',
      { name: ['n1'], label: ['dockscope.owner=ci-a'] },
    ],
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

describe('ownership: a network reference', () => {
  const net = (id: string, name: string, owner?: string): NetworkFacts => ({
    id,
    name,
    driver: 'bridge',
    labels: owner ? { 'dockscope.owner': owner } : {},
  });
  const ctxWith = (found: unknown, mine: NetworkFacts[]) =>
    ({
      resolver: { daemon: { network: async () => found, networksLabelled: async () => mine } },
    }) as unknown as DecideContext;
  it("is the owner's own network, or none", async () => {
    expect(await ownersNetwork('n', O, ctxWith(net('a1', 'n', 'ci-a'), []))).toMatchObject({ id: 'a1' });
    expect(await ownersNetwork('n', O, ctxWith(net('b1', 'n', 'ci-b'), []))).toBeNull();
    expect(await ownersNetwork('n', O, ctxWith(null, []))).toBeNull();
  });
  it("a prefix several networks share is resolved among the owner's only", async () => {
    const ambiguous = { ambiguous: true };
    expect(
      await ownersNetwork('ab', O, ctxWith(ambiguous, [net('ab12', 'x', 'ci-a'), net('cd34', 'y', 'ci-a')])),
    ).toMatchObject({ id: 'ab12' });
    expect(await ownersNetwork('ab', O, ctxWith(ambiguous, [net('cd34', 'y', 'ci-a')]))).toBeNull();
    await expect(
      ownersNetwork('ab', O, ctxWith(ambiguous, [net('ab12', 'x', 'ci-a'), net('ab34', 'y', 'ci-a')])),
    ).rejects.toThrow('network ab is ambiguous (2 matches found based on ID prefix)');
  });
});
