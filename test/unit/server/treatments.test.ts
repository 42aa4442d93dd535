import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Forwarding, TreatmentName } from '../../../src/policy/forward.ts';
import type { Ownership } from '../../../src/policy/ownership.ts';
import type { RespondContext, Treatment } from '../../../src/server/treatments.ts';
import { HIDDEN, TREATMENTS, visibleId } from '../../../src/server/treatments.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const WEB = id('a');
const DB = id('b');
const owner: Ownership = { key: 'dockscope.owner', owner: 'ci' };

function context(over: Partial<RespondContext> = {}): RespondContext {
  const s = stubResolver([
    { id: WEB, name: 'web' },
    { id: DB, name: 'db' },
  ]);
  return {
    resolver: s.resolver,
    scrubEnvs: false,
    owner: null,
    upstreamDisplay: 'stub',
    countVisible: async () => ({ total: 3, running: 2, paused: 1, stopped: 0 }),
    open: async () => {
      throw new Error('no direct upstream request expected');
    },
    ...over,
  };
}

const forward = (treatment: TreatmentName): Forwarding => ({ path: '/x', treatment });

function rewriteOf(kind: TreatmentName) {
  const t = TREATMENTS[kind] as Treatment;
  if (t.via !== 'rewrite') throw new Error(`${kind} is not a rewrite`);
  return t;
}
function textOf(kind: TreatmentName) {
  const t = TREATMENTS[kind] as Treatment;
  if (t.via !== 'text') throw new Error(`${kind} is not a text rewrite`);
  return t;
}

/** Runs a streaming treatment over `input`: the output and how many elements it dropped. */
async function streamed(
  kind: TreatmentName,
  input: string,
  ctx: RespondContext,
  f: Forwarding = forward(kind),
) {
  const t = TREATMENTS[kind] as Treatment;
  if (t.via !== 'stream') throw new Error(`${kind} is not a stream`);
  const made = t.make(ctx, f);
  const out = text(Readable.from([Buffer.from(input)]).pipe(made.stream));
  return { out: await out, dropped: made.dropped(), startsWith: made.startsWith };
}

describe('the treatment table: how each answer travels back', () => {
  it('every response kind has its treatment, and each travels the way its kind needs', () => {
    const via = Object.fromEntries(Object.entries(TREATMENTS).map(([k, t]) => [k, t.via]));
    expect(via).toEqual({
      relay: 'pipe',
      restoreMissing: 'missing',
      filterContainerList: 'stream',
      filterEvents: 'stream',
      filterImageList: 'stream',
      judgeContainerInspect: 'rewrite',
      filterNetworkInspect: 'rewrite',
      filterNetworkList: 'rewrite',
      filterSystemDf: 'rewrite',
      judgeImageInspect: 'rewrite',
      filterImageHistory: 'rewrite',
      countInfo: 'rewrite',
      checkVolumeOwner: 'rewrite',
      dropNetworkWarning: 'rewrite',
      cutConflictId: 'text',
      cutErrorIds: 'text',
      filterSwarmList: 'rewrite',
      judgeSwarmInspect: 'rewrite',
      filterTaskList: 'rewrite',
      judgeTaskInspect: 'rewrite',
    });
  });

  it.each([
    // kind, statuses it applies to, statuses it does not
    ['judgeContainerInspect', [200], [201, 404, 500]],
    ['filterNetworkInspect', [200], [404]],
    ['filterNetworkList', [200], [500]],
    ['filterSystemDf', [200], [500]],
    ['judgeImageInspect', [200], [404]],
    ['filterImageHistory', [200], [404]],
    ['countInfo', [200], [500]],
    ['checkVolumeOwner', [201], [200, 409, 500]],
    ['dropNetworkWarning', [201], [200, 409]],
    ['cutConflictId', [400, 404, 409, 500], [200, 201, 304, 399]],
    ['cutErrorIds', [400, 409, 500], [200, 204]],
  ] as const)(
    '%s applies to %j and not to %j (an answer it does not apply to is relayed as sent)',
    (kind, yes, no) => {
      const t = TREATMENTS[kind] as Treatment;
      if (t.via !== 'rewrite' && t.via !== 'text') throw new Error('no status rule');
      for (const s of yes) expect(t.applies(s), `${kind} ${s}`).toBe(true);
      for (const s of no) expect(t.applies(s), `${kind} ${s}`).toBe(false);
    },
  );

  it('containerList streams only the visible containers, looked at before the head goes out', async () => {
    const list = JSON.stringify([
      { Id: WEB, Names: ['/web'], Labels: {} },
      { Id: DB, Names: ['/db'], Labels: {} },
    ]);
    const r = await streamed('filterContainerList', list, context());
    expect(JSON.parse(r.out).map((c: { Id: string }) => c.Id)).toEqual([WEB]);
    expect(r.dropped).toBe(1);
    expect(r.startsWith).toEqual({ byte: 0x5b, expected: 'a JSON array' });
  });

  it('containerList keeps at most the client’s limit of visible entries', async () => {
    const list = JSON.stringify([
      { Id: WEB, Names: ['/web'], Labels: {} },
      { Id: id('c'), Names: ['/web-2'], Labels: {} },
    ]);
    const r = await streamed('filterContainerList', list, context(), {
      ...forward('filterContainerList'),
      limit: 1,
    });
    expect(JSON.parse(r.out)).toHaveLength(1);
  });

  it('events keep the visible container’s events only; the stream has no first byte to wait for', async () => {
    const ev = (name: string, cid: string) =>
      JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: cid, Attributes: { name } } });
    const r = await streamed('filterEvents', `${ev('web', WEB)}\n${ev('db', DB)}\n`, context());
    expect(
      r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).Actor.ID),
    ).toEqual([WEB]);
    expect(r.dropped).toBe(1);
    expect(r.startsWith).toBeUndefined();
  });

  it('imageList without ownership keeps every image; with it, the owner’s and the shared ones', async () => {
    const list = JSON.stringify([
      { Id: 'sha256:1', Labels: { 'dockscope.owner': 'ci' } },
      { Id: 'sha256:2', Labels: { 'dockscope.owner': 'other' } },
      { Id: 'sha256:3', Labels: null },
    ]);
    const all = await streamed('filterImageList', list, context());
    expect(JSON.parse(all.out)).toHaveLength(3);
    const owned = await streamed('filterImageList', list, context({ owner }));
    expect(JSON.parse(owned.out).map((i: { Id: string }) => i.Id)).toEqual(['sha256:1', 'sha256:3']);
    expect(owned.dropped).toBe(1);
  });

  it('containerInspect: a hidden container is HIDDEN; a visible one has its env blanked under SCRUB_ENVS', async () => {
    const t = rewriteOf('judgeContainerInspect');
    const body = (name: string, cid: string) => ({ Id: cid, Name: `/${name}`, Config: { Env: ['PW=x'] } });
    expect(await t.rewrite(body('db', DB), context(), forward('judgeContainerInspect'))).toBe(HIDDEN);
    expect(await t.rewrite({ message: 'odd' }, context(), forward('judgeContainerInspect'))).toBe(HIDDEN);
    expect(
      await t.rewrite(body('web', WEB), context({ scrubEnvs: true }), forward('judgeContainerInspect')),
    ).toEqual({
      Id: WEB,
      Name: '/web',
      Config: { Env: [] },
    });
    expect(await t.rewrite(body('web', WEB), context(), forward('judgeContainerInspect'))).toEqual(
      body('web', WEB),
    );
  });

  it('networkInspect and networkList keep only the visible containers’ endpoints', async () => {
    const net = () => ({
      Name: 'n',
      Containers: { [WEB]: { Name: 'web' }, [DB]: { Name: 'db' }, 'lb-n': {} },
    });
    expect(
      await rewriteOf('filterNetworkInspect').rewrite(net(), context(), forward('filterNetworkInspect')),
    ).toEqual({
      Name: 'n',
      Containers: { [WEB]: { Name: 'web' } },
    });
    expect(
      await rewriteOf('filterNetworkList').rewrite([net(), net()], context(), forward('filterNetworkList')),
    ).toEqual([
      { Name: 'n', Containers: { [WEB]: { Name: 'web' } } },
      { Name: 'n', Containers: { [WEB]: { Name: 'web' } } },
    ]);
  });

  it('info counts the client’s own containers', async () => {
    const info = {
      Containers: 40,
      ContainersRunning: 30,
      ContainersPaused: 5,
      ContainersStopped: 5,
      Name: 'h',
    };
    expect(await rewriteOf('countInfo').rewrite(info, context(), forward('countInfo'))).toEqual({
      Containers: 3,
      ContainersRunning: 2,
      ContainersPaused: 1,
      ContainersStopped: 0,
      Name: 'h',
    });
  });

  it('ownedVolume: the answered volume must carry the owner label, or the name is another’s (409)', async () => {
    const t = rewriteOf('checkVolumeOwner');
    const own = { Name: 'v', Labels: { 'dockscope.owner': 'ci' } };
    expect(await t.rewrite(own, context({ owner }), forward('checkVolumeOwner'))).toBe(own);
    for (const [body, ctx] of [
      [{ Name: 'v', Labels: { 'dockscope.owner': 'other' } }, context({ owner })],
      [{ Name: 'v', Labels: {} }, context({ owner })],
      [{ Name: 'v', Labels: null }, context({ owner })],
      [{ Name: 'v' }, context({ owner })],
      [own, context()],
    ] as const) {
      await expect(t.rewrite(body, ctx, forward('checkVolumeOwner'))).rejects.toMatchObject({
        status: 409,
        message: 'dockscope: a volume named "v" exists and is not this client\'s',
      });
    }
    await expect(t.rewrite('junk', context({ owner }), forward('checkVolumeOwner'))).rejects.toMatchObject({
      status: 409,
      message: 'dockscope: a volume named "" exists and is not this client\'s',
    });
  });

  it('imageInspect: with ownership another owner’s image is HIDDEN, the owner’s and shared ones shown', async () => {
    const t = rewriteOf('judgeImageInspect');
    const image = (labels: Record<string, string> | null) => ({ Id: 'sha256:1', Config: { Labels: labels } });
    const ctx = context({ owner });
    expect(await t.rewrite(image({ 'dockscope.owner': 'other' }), ctx, forward('judgeImageInspect'))).toBe(
      HIDDEN,
    );
    expect(await t.rewrite(image({ 'dockscope.owner': 'ci' }), ctx, forward('judgeImageInspect'))).toEqual(
      image({ 'dockscope.owner': 'ci' }),
    );
    expect(await t.rewrite(image(null), ctx, forward('judgeImageInspect'))).toEqual(image(null));
    // Without ownership an image is never hidden by its labels.
    expect(
      await t.rewrite(image({ 'dockscope.owner': 'other' }), context(), forward('judgeImageInspect')),
    ).toEqual(image({ 'dockscope.owner': 'other' }));
  });

  it('networkCreated blanks the daemon’s Warning (it names another network)', async () => {
    const t = rewriteOf('dropNetworkWarning');
    expect(
      await t.rewrite({ Id: 'n1', Warning: 'overlaps with ab12' }, context(), forward('dropNetworkWarning')),
    ).toEqual({
      Id: 'n1',
      Warning: '',
    });
    expect(await t.rewrite({ Id: 'n1' }, context(), forward('dropNetworkWarning'))).toEqual({ Id: 'n1' });
  });

  it('conflict cuts the id of the container that holds the name, in dockerd’s and Podman’s words', async () => {
    const t = textOf('cutConflictId');
    const docker = `{"message":"Conflict. The container name \\"/web\\" is already in use by container \\"${DB}\\". You have to remove (or rename) that container to be able to reuse that name."}`;
    expect(await t.rewrite(docker, context())).toBe(
      '{"message":"Conflict. The container name \\"/web\\" is already in use. You have to remove (or rename) that container to be able to reuse that name."}',
    );
    const podman = `creating container storage: the container name "web" is already in use by ${DB}. You have to remove that container to be able to reuse that name.: that name is already in use`;
    expect(await t.rewrite(podman, context())).toBe(
      'creating container storage: the container name "web" is already in use. You have to remove that container to be able to reuse that name.: that name is already in use',
    );
  });

  it('errorIds replaces the ids of hidden and missing containers, full and short, and keeps the visible', async () => {
    const t = textOf('cutErrorIds');
    const msg = `{"message":"volume is in use - [${WEB}, ${DB}, ${DB.slice(0, 12)}, ${id('f')}]"}`;
    expect(await t.rewrite(msg, context())).toBe(
      `{"message":"volume is in use - [${WEB}, <hidden>, <hidden>, <hidden>]"}`,
    );
  });

  it('visibleId: a visible container by id or name is true; hidden or missing false', async () => {
    const v = visibleId(context());
    expect([await v(WEB), await v('web'), await v(DB), await v('db'), await v(id('f'))]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});
