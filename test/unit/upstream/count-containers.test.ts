import { describe, expect, it } from 'vitest';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import type { Upstream } from '../../../src/upstream/client.ts';
import { countVisibleContainers } from '../../../src/upstream/count-containers.ts';
import { upstreamAnswer } from '../support/recording-response.ts';

const entry = (name: string, state: string, labels: Record<string, string> = {}) => ({
  Id: name.padEnd(64, '0'),
  Names: [`/${name}`],
  Labels: labels,
  State: state,
  Mounts: [{ Name: 'big', Destination: '/data' }],
});

/** dockscope's Upstream answering the one list request with fixed chunks; the paths asked recorded. */
function upstreamOf(status: number, chunks: string[]) {
  const paths: string[] = [];
  const upstream = {
    display: 'stub',
    open: async (method: string, path: string) => {
      paths.push(`${method} ${path}`);
      return upstreamAnswer(status, chunks);
    },
  } as unknown as Upstream;
  return { upstream, paths };
}

describe('countVisibleContainers: /info’s counts of the visible containers', () => {
  it('streams the whole list once and tallies the visible entries by state', async () => {
    const list = JSON.stringify([
      entry('web-1', 'running'),
      entry('web-2', 'paused'),
      entry('web-3', 'exited'),
      entry('db', 'running'),
      entry('other', 'running', { team: 'web' }),
    ]);
    // Split mid-entry: the count does not depend on how the answer is chunked.
    const u = upstreamOf(200, [list.slice(0, 37), list.slice(37, 200), list.slice(200)]);
    expect(await countVisibleContainers(u.upstream, buildVisibility({ names: ['web'], labels: [] }))).toEqual(
      {
        total: 3,
        running: 1,
        paused: 1,
        stopped: 1,
      },
    );
    expect(u.paths).toEqual(['GET /containers/json?all=1']);
  });

  it('label rules count too', async () => {
    const list = JSON.stringify([entry('a', 'running', { team: 'x' }), entry('b', 'created', { team: 'y' })]);
    const visibility = buildVisibility({ names: [], labels: [{ key: 'team', value: 'x' }], match: 'exact' });
    expect(await countVisibleContainers(upstreamOf(200, [list]).upstream, visibility)).toEqual({
      total: 1,
      running: 1,
      paused: 0,
      stopped: 0,
    });
  });

  it('an empty list counts nothing', async () => {
    expect(await countVisibleContainers(upstreamOf(200, ['[]']).upstream, buildVisibility('all'))).toEqual({
      total: 0,
      running: 0,
      paused: 0,
      stopped: 0,
    });
  });

  it('an answer other than 200 is a 502 naming the upstream and its status', async () => {
    await expect(
      countVisibleContainers(upstreamOf(500, ['{"message":"boom"}']).upstream, buildVisibility('all')),
    ).rejects.toMatchObject({
      status: 502,
      message: 'dockscope: upstream stub answered 500 while counting containers for /info',
    });
  });

  it('an answer that is not a JSON array fails (no count from a broken list)', async () => {
    await expect(
      countVisibleContainers(upstreamOf(200, ['{"not":"a list"}']).upstream, buildVisibility('all')),
    ).rejects.toThrow();
  });
});
