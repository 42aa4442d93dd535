import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import {
  ContainerWatch,
  FAULT_RETRY_MAX_MS,
  nextAttempt,
  REFUSED_RETRY_MS,
  staleBy,
} from '../../../src/policy/container-watch.ts';
import type { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

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

describe('ContainerWatch: a reconnected upstream is asked its API version again', () => {
  it('the first connect relies on the start-up question; each reconnect after a break refreshes it', async () => {
    vi.useFakeTimers();
    try {
      let connects = 0;
      const upstream = {
        controlAgent: undefined,
        open: async () => {
          connects++;
          // An events stream that breaks at once, as when the daemon restarts.
          const res = Object.assign(new PassThrough(), { statusCode: 200 });
          setImmediate(() => res.end());
          return res;
        },
      } as unknown as Upstream;
      const refresh = vi.fn(async () => '1.41');
      const directory = {
        setWatching: () => {},
        invalidate: () => {},
        daemon: { apiVersion: { refresh } },
      } as unknown as ContainerDirectory;
      const watch = new ContainerWatch(upstream, directory, pino({ level: 'silent' }));
      watch.start();
      await vi.waitFor(() => expect(connects).toBe(1));
      await vi.advanceTimersByTimeAsync(10);
      expect(refresh).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(connects).toBe(2));
      expect(refresh).toHaveBeenCalledTimes(1);
      watch.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('staleBy: the events that make a decision stale, in each upstream’s words', () => {
  const event = (Action: string) => ({ Type: 'container', Action, Actor: { ID: 'c1', Attributes: {} } });
  it.each<[string, string, ReturnType<typeof staleBy>]>([
    ['dockerd’s removal', 'destroy', { identity: 'c1', addresses: 'c1' }],
    // Measured on Podman 4.3.1: its compatible /events sends `remove` where dockerd sends `destroy`.
    ['Podman’s removal', 'remove', { identity: 'c1', addresses: 'c1' }],
    ['a container’s end', 'die', { addresses: 'c1' }],
    ['a rename', 'rename', { identity: 'c1' }],
    ['anything else', 'cleanup', {}],
  ])('%s', (_label, action, expected) => {
    expect(staleBy(event(action))).toEqual(expected);
  });
});
