import { describe, expect, it } from 'vitest';
import { filterNetwork, filterNetworkList } from '../../../src/transforms/networks.ts';

const visible = async (id: string) => id.startsWith('v');

describe('a network’s Containers keep only the visible containers', () => {
  it('hidden, missing and load-balancer endpoints are dropped', async () => {
    const network = {
      Name: 'n',
      Containers: {
        v1: { Name: 'web' },
        h1: { Name: 'db' },
        'lb-n': { Name: 'n-endpoint' },
        v2: { Name: 'api' },
      },
    };
    expect(await filterNetwork(network, visible)).toEqual({
      Name: 'n',
      Containers: { v1: { Name: 'web' }, v2: { Name: 'api' } },
    });
  });

  it.each([
    [{ Name: 'n' }, { Name: 'n' }],
    [
      { Name: 'n', Containers: null },
      { Name: 'n', Containers: null },
    ],
    [
      { Name: 'n', Containers: [] },
      { Name: 'n', Containers: [] },
    ],
    [null, null],
    ['n', 'n'],
  ])('%j without a Containers map is left as it is', async (network, expected) => {
    expect(await filterNetwork(network, visible)).toEqual(expected);
  });

  it('a list has each network filtered; an answer that is no list is left', async () => {
    const list = [
      { Name: 'a', Containers: { v1: {}, h1: {} } },
      { Name: 'b', Containers: { h2: {} } },
      { Name: 'c' },
    ];
    expect(await filterNetworkList(list, visible)).toEqual([
      { Name: 'a', Containers: { v1: {} } },
      { Name: 'b', Containers: {} },
      { Name: 'c' },
    ]);
    expect(await filterNetworkList({ message: 'x' }, visible)).toEqual({ message: 'x' });
  });
});
