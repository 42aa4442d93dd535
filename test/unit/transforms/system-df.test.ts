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
  ])('%s', async (_label, body, expected) => {
    expect(await filterSystemDf(body, visibleIfWeb)).toEqual(expected);
  });

  it('image and volume users are counted among visible containers only', async () => {
    const df = {
      Images: [
        { Id: 'sha256:i', Containers: 3 },
        { Id: 'sha256:j', Containers: 1 },
        { Id: 'sha256:k', Containers: -1 },
      ],
      Containers: [
        {
          Names: ['/web'],
          ImageID: 'sha256:i',
          Mounts: [
            { Type: 'volume', Name: 'v' },
            { Type: 'bind', Name: '' },
          ],
        },
        { Names: ['/db'], ImageID: 'sha256:i', Mounts: [{ Type: 'volume', Name: 'v' }] },
        { Names: ['/db2'], ImageID: 'sha256:j', Mounts: [{ Type: 'volume', Name: 'w' }] },
      ],
      Volumes: [
        { Name: 'v', UsageData: { RefCount: 2, Size: 1 } },
        { Name: 'w', UsageData: { RefCount: 1, Size: 1 } },
        { Name: 'x', UsageData: { RefCount: -1, Size: -1 } },
      ],
    };
    const out = (await filterSystemDf(df, visibleIfWeb)) as typeof df;
    expect(out.Images.map((i) => i.Containers)).toEqual([1, 0, -1]);
    expect(out.Volumes.map((v) => v.UsageData.RefCount)).toEqual([1, 0, -1]);
  });

  it('asks the predicate once per container summary', async () => {
    const seen: unknown[] = [];
    const a = { Id: 'a' };
    const b = { Id: 'b' };
    await filterSystemDf({ Containers: [a, b] }, (s) => {
      seen.push(s);
      return true;
    });
    expect(seen).toEqual([a, b]);
  });

  it("with ownership, keeps only the client's own volumes", async () => {
    const out = (await filterSystemDf(
      {
        Containers: [],
        Volumes: [
          { Name: 'mine', Labels: { 'dockscope.owner': 'ci-a' } },
          { Name: 'theirs', Labels: { 'dockscope.owner': 'ci-b' } },
          { Name: 'nobody', Labels: null },
        ],
      },
      () => true,
      async () => {},
      (labels) => (labels as Record<string, string> | null)?.['dockscope.owner'] === 'ci-a',
    )) as { Volumes: { Name: string }[] };
    expect(out.Volumes.map((v) => v.Name)).toEqual(['mine']);
  });

  it("with ownership, keeps the client's own and nobody's images", async () => {
    const out = (await filterSystemDf(
      {
        Containers: [],
        Images: [
          { Id: 'mine', Labels: { 'dockscope.owner': 'ci-a' } },
          { Id: 'theirs', Labels: { 'dockscope.owner': 'ci-b' } },
          { Id: 'base', Labels: null },
        ],
      },
      () => true,
      async () => {},
      undefined,
      (labels) => (labels as Record<string, string> | null)?.['dockscope.owner'] !== 'ci-b',
    )) as { Images: { Id: string }[] };
    expect(out.Images.map((i) => i.Id)).toEqual(['mine', 'base']);
  });
});
