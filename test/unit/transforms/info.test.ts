import { describe, expect, it } from 'vitest';
import { rewriteInfoCounts, tally } from '../../../src/transforms/info.ts';

describe('/info counts a scoped client’s own containers', () => {
  it.each([
    [[], { total: 0, running: 0, paused: 0, stopped: 0 }],
    [['running', 'running', 'paused'], { total: 3, running: 2, paused: 1, stopped: 0 }],
    // Every state that is neither running nor paused counts as stopped, as the daemon's /info does.
    [
      ['exited', 'created', 'dead', 'restarting', 'removing'],
      { total: 5, running: 0, paused: 0, stopped: 5 },
    ],
    [['running', undefined, 7, 'Running'], { total: 4, running: 1, paused: 0, stopped: 3 }],
  ])('tally(%j) is %j', (states, expected) => {
    expect(tally(states)).toEqual(expected);
  });

  it('rewriteInfoCounts replaces the four counts and leaves the rest', async () => {
    const info = {
      ID: 'x',
      Containers: 9,
      ContainersRunning: 5,
      ContainersPaused: 2,
      ContainersStopped: 2,
      Images: 4,
    };
    expect(
      await rewriteInfoCounts(info, async () => ({ total: 1, running: 1, paused: 0, stopped: 0 })),
    ).toEqual({
      ID: 'x',
      Containers: 1,
      ContainersRunning: 1,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 4,
    });
  });

  it.each([null, [], 'info', 3])(
    'an answer that is no object (%j) is left as it is, nothing counted',
    async (info) => {
      let counted = false;
      expect(
        await rewriteInfoCounts(info, async () => {
          counted = true;
          return { total: 0, running: 0, paused: 0, stopped: 0 };
        }),
      ).toEqual(info);
      expect(counted).toBe(false);
    },
  );

  it('a failed count fails the rewrite (no daemon-wide counts leak instead)', async () => {
    await expect(
      rewriteInfoCounts({ Containers: 9 }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });
});
