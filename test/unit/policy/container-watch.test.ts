import { describe, expect, it } from 'vitest';
import { FAULT_RETRY_MAX_MS, nextAttempt, REFUSED_RETRY_MS } from '../../../src/policy/container-watch.ts';

describe('nextAttempt: when the event watch tries again', () => {
  it('a fault is retried after 1 s, then 2, 4, 8, and never later than 10 s', () => {
    const waits: number[] = [];
    let faultMs = 1000;
    for (let i = 0; i < 6; i++) {
      const next = nextAttempt('fault', faultMs);
      waits.push(next.waitMs);
      faultMs = next.faultMs;
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(FAULT_RETRY_MAX_MS).toBe(10_000);
  });

  it('a refusal (401, 403) waits a minute, and a fault after it starts again at 1 s', () => {
    const refused = nextAttempt('refused', 8000);
    expect(refused).toEqual({ waitMs: REFUSED_RETRY_MS, faultMs: 1000 });
    expect(REFUSED_RETRY_MS).toBe(60_000);
    expect(nextAttempt('fault', refused.faultMs).waitMs).toBe(1000);
  });
});
