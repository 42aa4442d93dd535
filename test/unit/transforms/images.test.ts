import { describe, expect, it } from 'vitest';
import {
  filterImageHistory,
  filterImageInspect,
  imageListFilter,
  MAX_HISTORY_LOOKUPS,
} from '../../../src/transforms/images.ts';

const HID = 'h'.repeat(64);
const VIS = 'v'.repeat(64);
const isVisibleId = async (id: string) => id === VIS;
const stateOf = async (id: string) =>
  (id === VIS ? 'visible' : id === HID ? 'hidden' : 'missing') as 'visible';
const committed = (source: string) => ({
  Id: 'sha256:1',
  Container: source,
  ContainerConfig: {
    Hostname: source.slice(0, 12),
    Env: ['DB_PASSWORD=x'],
    Tty: false,
    Labels: { a: 'b' },
    Cmd: ['sleep'],
  },
  Config: { Hostname: source.slice(0, 12), Env: ['DB_PASSWORD=x'], Labels: { a: 'b' }, Cmd: ['sleep'] },
});

describe('filterImageInspect', () => {
  it('an image committed from a hidden container shows nothing of its configuration', async () => {
    expect(await filterImageInspect(committed(HID), stateOf, false)).toEqual({
      Id: 'sha256:1',
      Container: '',
      ContainerConfig: { Hostname: '', Env: [], Tty: false, Labels: null, Cmd: [] },
      Config: { Hostname: '', Env: [], Labels: null, Cmd: [] },
    });
  });

  it('from a container that is gone: the source is blanked, the image config stays', async () => {
    const gone = 'g'.repeat(64);
    expect(await filterImageInspect(committed(gone), stateOf, false)).toEqual({
      Id: 'sha256:1',
      Container: '',
      ContainerConfig: { Hostname: '', Env: [], Tty: false, Labels: null, Cmd: [] },
      Config: { Hostname: '', Env: ['DB_PASSWORD=x'], Labels: { a: 'b' }, Cmd: ['sleep'] },
    });
  });

  it('from a visible container it stays, with envs scrubbed only under SCRUB_ENVS', async () => {
    expect(await filterImageInspect(committed(VIS), stateOf, false)).toEqual(committed(VIS));
    const scrubbed = (await filterImageInspect(committed(VIS), stateOf, true)) as ReturnType<
      typeof committed
    >;
    expect(scrubbed.Config.Env).toEqual([]);
    expect(scrubbed.ContainerConfig.Env).toEqual([]);
    expect(scrubbed.Config.Labels).toEqual({ a: 'b' });
  });

  it('an image from no container (imported, BuildKit, API 1.45+) is left alone', async () => {
    const image = { Id: 'sha256:2', Container: '', Config: { Env: ['PATH=/bin'] } };
    expect(await filterImageInspect(structuredClone(image), stateOf, false)).toEqual(image);
    expect(await filterImageInspect({ Id: 'x', Config: { Env: ['A=1'] } }, stateOf, true)).toEqual({
      Id: 'x',
      Config: { Env: [] },
    });
  });
});

describe('filterImageHistory', () => {
  const sources: Record<string, string> = { 'sha256:a': HID, 'sha256:b': VIS, 'sha256:c': '' };
  const sourceOf = async (id: string) => sources[id] ?? null;
  const entry = (Id: string) => ({ Id, CreatedBy: 'sleep 3600 --token=x', Comment: 'msg', Size: 1 });

  it('layers committed from containers the client may not see lose their command and comment', async () => {
    const history = [
      entry('sha256:a'),
      entry('sha256:b'),
      entry('sha256:c'),
      entry('<missing>'),
      entry('sha256:unreadable'),
    ];
    expect(await filterImageHistory(history, sourceOf, isVisibleId)).toEqual([
      { Id: 'sha256:a', CreatedBy: '', Comment: '', Size: 1 },
      entry('sha256:b'),
      entry('sha256:c'),
      entry('<missing>'),
      { Id: 'sha256:unreadable', CreatedBy: '', Comment: '', Size: 1 },
    ]);
  });

  it(`past ${MAX_HISTORY_LOOKUPS} look-ups the rest fail closed`, async () => {
    const history = Array.from({ length: MAX_HISTORY_LOOKUPS + 2 }, () => entry('sha256:b'));
    const out = (await filterImageHistory(history, sourceOf, isVisibleId)) as { CreatedBy: string }[];
    expect(out.slice(0, MAX_HISTORY_LOOKUPS).every((e) => e.CreatedBy !== '')).toBe(true);
    expect(out.slice(MAX_HISTORY_LOOKUPS).every((e) => e.CreatedBy === '')).toBe(true);
  });
});

describe('imageListFilter: the image list of an owner', () => {
  it("keeps its own and nobody's entries as the daemon sent them, leaves another's out", async () => {
    const list = [
      { Id: 'sha256:a', Labels: { 'dockscope.owner': 'ci-a' }, RepoTags: ['a:1'], Size: 1 },
      { Id: 'sha256:b', Labels: { 'dockscope.owner': 'ci-b' }, RepoTags: ['b:1'], Size: 2 },
      { Id: 'sha256:s', Labels: null, RepoTags: ['<none>:<none>'], Size: 3 },
    ];
    const filter = imageListFilter(
      (labels) => (labels as Record<string, string> | null)?.['dockscope.owner'] !== 'ci-b',
    );
    const out: Buffer[] = [];
    filter.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((r) => filter.on('end', r));
    filter.end(JSON.stringify(list));
    await done;
    expect(JSON.parse(Buffer.concat(out).toString())).toEqual([list[0], list[2]]);
    expect(filter.dropped).toBe(1);
  });
});
