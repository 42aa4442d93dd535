import { describe, expect, it } from 'vitest';
import { remembered } from '../../src/memo.ts';

describe('remembered', () => {
  it('computes once per key, and starts again empty past its limit', () => {
    const calls: string[] = [];
    const upper = remembered((s: string) => {
      calls.push(s);
      return s.toUpperCase();
    }, 2);
    expect([upper('a'), upper('a'), upper('b'), upper('a')]).toEqual(['A', 'A', 'B', 'A']);
    expect(calls).toEqual(['a', 'b']);
    // A third key empties the table: the next 'a' is computed again.
    expect([upper('c'), upper('a')]).toEqual(['C', 'A']);
    expect(calls).toEqual(['a', 'b', 'c', 'a']);
  });

  it('remembers false answers too', () => {
    let n = 0;
    const no = remembered((_: number) => {
      n++;
      return false;
    }, 8);
    no(1);
    no(1);
    expect(n).toBe(1);
  });
});
