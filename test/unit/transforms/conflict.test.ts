import { describe, expect, it } from 'vitest';
import { removeInUseBy } from '../../../src/transforms/conflict.ts';

const ID64 = `${'a'.repeat(36)}0123456789abcdef0123456789ab`;
const ID12 = '0123456789ab';

describe('removeInUseBy: the holder of a taken name is cut, in every dialect’s words', () => {
  it.each<[string, string, string]>([
    [
      'dockerd: create conflict (full id)',
      `Conflict. The container name "/web" is already in use by container "${ID64}". You have to remove (or rename) that container to be able to reuse that name.`,
      'Conflict. The container name "/web" is already in use. You have to remove (or rename) that container to be able to reuse that name.',
    ],
    [
      'dockerd: rename conflict (short id)',
      `Error when allocating new name: Conflict. The container name "/db" is already in use by container "${ID12}". You have to remove (or rename) that container to be able to reuse that name.`,
      'Error when allocating new name: Conflict. The container name "/db" is already in use. You have to remove (or rename) that container to be able to reuse that name.',
    ],
    [
      'dockerd: inside the JSON body as sent',
      `{"message":"Conflict. The container name \\"/web\\" is already in use by container \\"${ID64}\\". You have to remove"}\n`,
      '{"message":"Conflict. The container name \\"/web\\" is already in use. You have to remove"}\n',
    ],
    [
      // Measured on Podman 4.3.1 (test/e2e/podman.test.ts).
      'Podman: create conflict',
      `{"cause":"that name is already in use","message":"container create: creating container storage: the container name \\"db\\" is already in use by ${ID64}. You have to remove that container to be able to reuse that name: that name is already in use","response":500}\n`,
      '{"cause":"that name is already in use","message":"container create: creating container storage: the container name \\"db\\" is already in use. You have to remove that container to be able to reuse that name: that name is already in use","response":500}\n',
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
    ['Podman’s form needs the whole id and its full stop', `in use by ${ID12}. x`, `in use by ${ID12}. x`],
    ['empty', '', ''],
  ])('%s', (_label, text, expected) => {
    expect(removeInUseBy(text)).toBe(expected);
  });

  it('the same cut can run twice (no stale regex state)', () => {
    const text = `a by container "${ID12}" b`;
    expect(removeInUseBy(text)).toBe('a b');
    expect(removeInUseBy(text)).toBe('a b');
  });
});
