import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { ContainerWatch } from '../../../src/policy/container-watch.ts';
import type { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

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
        apiVersion: { refresh },
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
