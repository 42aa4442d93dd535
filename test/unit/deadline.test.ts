import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../src/deadline.ts';

const late = () => new Error('too late');
const settleIn = <T>(ms: number, value: T, fail = false) =>
  new Promise<T>((resolve, reject) =>
    setTimeout(() => (fail ? reject(new Error(String(value))) : resolve(value)), ms),
  );

describe('withDeadline: a wait with a bound', () => {
  it.each([
    ['work done first', () => settleIn(5, 'done'), 200, { value: 'done' }],
    ['work failing first', () => settleIn(5, 'failed', true), 200, { error: 'failed' }],
    ['the deadline first', () => settleIn(300, 'done'), 10, { error: 'too late' }],
    ['a deadline of 0 against pending work', () => new Promise<string>(() => {}), 0, { error: 'too late' }],
  ])('%s', async (_what, work, ms, expected) => {
    const out = await withDeadline(work(), ms, late).then(
      (value) => ({ value }),
      (error: Error) => ({ error: error.message }),
    );
    expect(out).toEqual(expected);
  });

  it('a rejection after the deadline is absorbed (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await expect(withDeadline(settleIn(20, 'later', true), 1, late)).rejects.toThrow('too late');
      await settleIn(40, null);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('late() is called only when the deadline passes', async () => {
    let made = 0;
    await withDeadline(Promise.resolve(1), 5, () => {
      made++;
      return new Error('x');
    });
    await settleIn(20, null);
    expect(made).toBe(0);
  });
});
