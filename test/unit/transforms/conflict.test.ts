import { describe, expect, it } from 'vitest';
import { conflictTransform } from '../../../src/transforms/conflict.ts';

const ID64 = `${'a'.repeat(36)}0123456789abcdef0123456789ab`;
const ID12 = '0123456789ab';

describe('conflictTransform', () => {
  it.each<[string, string, string]>([
    [
      'create conflict (full id)',
      `Conflict. The container name "/web" is already in use by container "${ID64}". You have to remove (or rename) that container to be able to reuse that name.`,
      'Conflict. The container name "/web" is already in use. You have to remove (or rename) that container to be able to reuse that name.',
    ],
    [
      'rename conflict (short id)',
      `Error when allocating new name: Conflict. The container name "/db" is already in use by container "${ID12}". You have to remove (or rename) that container to be able to reuse that name.`,
      'Error when allocating new name: Conflict. The container name "/db" is already in use. You have to remove (or rename) that container to be able to reuse that name.',
    ],
    ['two ids', `x by container "${ID12}" y by container "${ID64}" z`, 'x y z'],
    ['no id', 'Conflict. something else', 'Conflict. something else'],
    ['too short to be an id', 'in use by container "0123456789a"', 'in use by container "0123456789a"'],
    ['not hex', `in use by container "${'g'.repeat(12)}"`, `in use by container "${'g'.repeat(12)}"`],
    [
      'upper-case hex is not an engine id',
      `by container "${ID12.toUpperCase()}"`,
      `by container "${ID12.toUpperCase()}"`,
    ],
    ['empty message', '', ''],
  ])('%s', (_label, message, expected) => {
    expect(conflictTransform({ message })).toEqual({ message: expected });
  });

  it('rewrites the body in place and keeps other fields', () => {
    const body = { message: `in use by container "${ID64}".`, extra: 1 };
    expect(conflictTransform(body)).toBe(body);
    expect(body).toEqual({ message: 'in use.', extra: 1 });
  });

  it('the same transform can run twice (no stale regex state)', () => {
    const message = `a by container "${ID12}" b`;
    expect(conflictTransform({ message })).toEqual({ message: 'a b' });
    expect(conflictTransform({ message })).toEqual({ message: 'a b' });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['string', `by container "${ID12}"`],
    ['array', [{ message: `by container "${ID12}"` }]],
    ['message not a string', { message: 42 }],
    ['no message', { error: `by container "${ID12}"` }],
  ])('leaves a body that is not {message: string} untouched (%s)', (_label, body) => {
    const before = structuredClone(body);
    expect(conflictTransform(body)).toEqual(before);
  });
});
