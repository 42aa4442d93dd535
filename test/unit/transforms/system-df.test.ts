import { describe, expect, it } from 'vitest';
import { filterSystemDf } from '../../../src/transforms/system-df.ts';

const visibleIfWeb = (summary: unknown): boolean => (summary as { Names?: string[] }).Names?.[0] === '/web';

describe('filterSystemDf', () => {
  it.each<[string, unknown, unknown]>([
    [
      'keeps only visible containers, leaves the rest of the body alone',
      {
        LayersSize: 1,
        Images: [{ Id: 'i' }],
        Containers: [{ Names: ['/web'] }, { Names: ['/db'] }],
        Volumes: [],
      },
      { LayersSize: 1, Images: [{ Id: 'i' }], Containers: [{ Names: ['/web'] }], Volumes: [] },
    ],
    ['none visible', { Containers: [{ Names: ['/db'] }, { Names: ['/x'] }] }, { Containers: [] }],
    ['empty list', { Containers: [] }, { Containers: [] }],
    [
      'order kept',
      {
        Containers: [
          { Names: ['/web'], n: 1 },
          { Names: ['/web'], n: 2 },
        ],
      },
      {
        Containers: [
          { Names: ['/web'], n: 1 },
          { Names: ['/web'], n: 2 },
        ],
      },
    ],
    ['Containers null', { Containers: null, Images: [] }, { Containers: null, Images: [] }],
    ['no Containers', { Images: [] }, { Images: [] }],
    ['not an object', null, null],
    ['an array', [{ Names: ['/db'] }], [{ Names: ['/db'] }]],
  ])('%s', (_label, body, expected) => {
    expect(filterSystemDf(body, visibleIfWeb)).toEqual(expected);
  });

  it('asks the predicate once per container summary', () => {
    const seen: unknown[] = [];
    const a = { Id: 'a' };
    const b = { Id: 'b' };
    filterSystemDf({ Containers: [a, b] }, (s) => {
      seen.push(s);
      return true;
    });
    expect(seen).toEqual([a, b]);
  });
});
