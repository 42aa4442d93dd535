import { describe, expect, it } from 'vitest';
import { asLabels, FULL_ID, identityFromInspect, isObject } from '../../../src/policy/container-facts.ts';

describe('container facts: what a container inspect answer tells a decision', () => {
  it.each([
    [{}, true],
    [{ a: 1 }, true],
    [[], false],
    [null, false],
    ['{}', false],
    [0, false],
    [undefined, false],
  ])('isObject(%j) is %s (an array or null is no object)', (value, expected) => {
    expect(isObject(value)).toBe(expected);
  });

  it.each([
    [
      { team: 'a', tier: 'web' },
      { team: 'a', tier: 'web' },
    ],
    // A label value that is not a string (a daemon never sends one) is dropped, not stringified.
    [{ team: 'a', n: 1, o: { x: 'y' }, z: null }, { team: 'a' }],
    [null, {}],
    [['team=a'], {}],
    ['team=a', {}],
    [undefined, {}],
  ])('asLabels(%j) is %j', (value, expected) => {
    expect(asLabels(value)).toEqual(expected);
  });

  it.each([
    ['a'.repeat(64), true],
    ['0123456789abcdef'.repeat(4), true],
    ['A'.repeat(64), false],
    ['a'.repeat(63), false],
    ['a'.repeat(65), false],
    [`sha256:${'a'.repeat(64)}`, false],
    [`${'a'.repeat(64)}\n`, false],
  ])('FULL_ID matches %j: %s', (id, expected) => {
    expect(FULL_ID.test(id)).toBe(expected);
  });

  it.each([
    [
      'the name loses its slash, the labels are read from Config',
      { Id: 'abc', Name: '/web-1', Config: { Labels: { team: 'a' } } },
      { id: 'abc', name: 'web-1', labels: { team: 'a' } },
    ],
    [
      'a name with no slash is kept',
      { Id: 'abc', Name: 'web-1', Config: { Labels: {} } },
      { id: 'abc', name: 'web-1', labels: {} },
    ],
    ['no Config is no labels', { Id: 'abc', Name: '/db' }, { id: 'abc', name: 'db', labels: {} }],
    [
      'Config.Labels null (an image with none) is no labels',
      { Id: 'abc', Name: '/db', Config: { Labels: null } },
      { id: 'abc', name: 'db', labels: {} },
    ],
    [
      'labels elsewhere than Config are not read',
      { Id: 'abc', Name: '/db', Labels: { team: 'a' }, Config: 'x' },
      { id: 'abc', name: 'db', labels: {} },
    ],
    ['no Id is no container', { Name: '/db' }, null],
    ['a numeric Id is no container', { Id: 1, Name: '/db' }, null],
    ['no Name is no container', { Id: 'abc' }, null],
    ['an array is no container', [{ Id: 'abc', Name: '/db' }], null],
    ['an error answer is no container', { message: 'No such container: db' }, null],
    ['null is no container', null, null],
  ])('identityFromInspect: %s', (_what, body, expected) => {
    expect(identityFromInspect(body)).toEqual(expected);
  });
});
