import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

type Who = 'a' | 'b' | 'm';

/**
 * Issue #23, images per owner: two CI clients with the real CLI (token clients, owners of this file's
 * own, so another file's prunes never reach them) each build an image. Neither can see, inspect,
 * remove, retag, save or run the other's (each answers as a missing image does), nor move one of its
 * names; both run the shared base image and neither may remove or re-tag it. Each refusal is first
 * shown to be possible on the daemon directly. A third client with `sharedImages: manage` may.
 */
describe('images per owner: two CI clients cannot touch each other’s images', () => {
  const p = uniquePrefix('io');
  const owners: Record<Who, string> = { a: `ci-a-${p}`, b: `ci-b-${p}`, m: `ci-m-${p}` };
  const daemon = { socketPath: dockerSocket };
  let dir: string;
  let ds: Dockscope;
  let host: string;
  const cliDirs: Record<Who, string> = { a: '', b: '', m: '' };
  const tokens: Record<Who, string> = { a: '', b: '', m: '' };
  const app = (who: Who, tag = '1') => `${p}-${who}-app:${tag}`;
  const ids = { a: '', b: '', base: '' };
  let since = '';
  const as = (who: Who, args: string[]) =>
    dockerCli(host, ['--config', cliDirs[who], ...args], { env: { DOCKER_BUILDKIT: '0' } });
  const asOk = async (who: Who, args: string[]) => {
    const res = await as(who, args);
    expect(res.code, `${who}: docker ${args.join(' ')}: ${res.stderr}`).toBe(0);
    return res.stdout;
  };
  const idOf = async (ref: string) =>
    (json(await rawRequest(daemon, 'GET', `/images/${ref}/json`)) as { Id: string }).Id;
  const through = (who: Who, method: string, path: string) =>
    rawRequest({ url: `http://${ds.addresses.ci}` }, method, path, undefined, {
      authorization: `Bearer ${tokens[who]}`,
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-images-'));
    let clients = '';
    for (const who of ['a', 'b', 'm'] as const) {
      tokens[who] = `tok-${who}-${p}-${Math.random().toString(36).slice(2)}`;
      await writeFile(join(dir, `token-${who}`), `${tokens[who]}\n`);
      cliDirs[who] = join(dir, `cli-${who}`);
      await mkdir(cliDirs[who]);
      await writeFile(
        join(cliDirs[who], 'config.json'),
        JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${tokens[who]}` } }),
      );
      clients += `
  - name: ${owners[who]}
    match: { token: { file: ${join(dir, `token-${who}`)} } }
    containers: owned
    owner: ${owners[who]}${who === 'm' ? '\n    sharedImages: manage' : ''}`;
    }
    const yaml = `upstream: ${dockerHost}\nlisteners:\n  - { name: ci, address: "127.0.0.1:0" }\nclients:${clients}\n`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    host = `tcp://${ds.addresses.ci}`;
    since = String(Math.floor(Date.now() / 1000) - 1);
    for (const who of ['a', 'b'] as const) {
      const context = join(dir, `build-${who}`);
      await mkdir(context);
      await writeFile(join(context, 'Dockerfile'), `FROM ${image}\nCMD ["echo", "built-by-${who}"]\n`);
      await asOk(who, ['build', '-q', '-t', app(who), '-t', app(who, 'victim'), context]);
      ids[who] = await idOf(app(who));
    }
    ids.base = await idOf(image);
  });

  afterAll(async () => {
    await ds?.close();
    await dockerCli(dockerHost, ['rm', '-f', `${p}-a-run`, `${p}-b-run`]);
    await dockerCli(dockerHost, ['rmi', '-f', ids.a, ids.b, `${p}-shared:1`, `${p}-a-spare:1`]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a build carries its owner label; the base image carries none', async () => {
    const labels = async (ref: string) =>
      (json(await rawRequest(daemon, 'GET', `/images/${ref}/json`)) as { Config: { Labels: unknown } }).Config
        .Labels as Record<string, string> | null;
    expect((await labels(app('a')))?.['dockscope.owner']).toBe(owners.a);
    expect((await labels(app('b')))?.['dockscope.owner']).toBe(owners.b);
    expect((await labels(image))?.['dockscope.owner']).toBeUndefined();
  });

  it('docker images lists its own and the base image, never the other’s (the daemon lists both)', async () => {
    const list = (text: string) => text.split('\n').filter((l) => l.includes(p) || l === image);
    const direct = list(await dockerOk(dockerHost, ['images', '--format', '{{.Repository}}:{{.Tag}}']));
    expect(direct).toEqual(expect.arrayContaining([app('a'), app('b')]));
    for (const who of ['a', 'b'] as const) {
      const other = who === 'a' ? 'b' : 'a';
      const shown = list(await asOk(who, ['images', '--format', '{{.Repository}}:{{.Tag}}']));
      expect(shown.sort()).toEqual([app(who), app(who, 'victim'), image].sort());
      expect(shown.join('\n')).not.toContain(`${p}-${other}-`);
    }
  });

  // What a's CLI says about b's image, and what it says about one that does not exist (same length).
  const pairs: [string, (ref: string) => string[]][] = [
    ['image inspect', (r) => ['image', 'inspect', r]],
    ['history', (r) => ['history', r]],
    ['rmi', (r) => ['rmi', r]],
    ['tag', (r) => ['tag', r, `${p}-a-stolen:1`]],
    ['save', (r) => ['save', '-o', join(dir, 'saved.tar'), r]],
    ['run --pull never', (r) => ['run', '--pull', 'never', '--rm', '--network', 'none', r]],
    ['push', (r) => ['push', r]],
  ];

  it.each(pairs)('on the daemon directly, docker %s of b’s image works', async (label, args) => {
    if (label === 'rmi') {
      await dockerOk(dockerHost, ['tag', app('b'), `${p}-b-app:spare`]);
      await dockerOk(dockerHost, args(`${p}-b-app:spare`));
      return;
    }
    if (label === 'push') return; // No registry is reachable; through dockscope it answers as missing.
    const out = await dockerOk(dockerHost, args(app('b')));
    if (label === 'run --pull never') expect(out.trim()).toBe('built-by-b');
    if (label === 'tag') await dockerOk(dockerHost, ['rmi', `${p}-a-stolen:1`]);
  });

  it.each(pairs)(
    'docker %s of b’s image through dockscope answers as for a missing one',
    async (_l, args) => {
      for (const [theirs, missing] of [
        [app('b'), `${p}-b-zzz:1`],
        [ids.b, `sha256:${'0'.repeat(64)}`],
      ] as const) {
        const other = await as('a', args(theirs));
        const none = await as('a', args(missing));
        expect(none.code).not.toBe(0);
        expect(other.code).toBe(none.code);
        // An id may also stand bare in an answer (a path under the daemon's image store).
        const ref = (text: string, r: string) =>
          text
            .replaceAll(r, 'REF')
            .replaceAll(r.replace('sha256:', ''), 'HEX')
            .replaceAll(r.replace(/:1$/, ''), 'REPO');
        expect(ref(other.stderr, theirs)).toBe(ref(none.stderr, missing));
        expect(ref(other.stdout, theirs)).toBe(ref(none.stdout, missing));
      }
      expect(await idOf(app('b'))).toBe(ids.b);
    },
  );

  it('an id prefix of b’s image is a missing one too; one of its own resolves', async () => {
    const prefix = ids.b.slice(7, 19);
    const res = await through('a', 'GET', `/images/${prefix}/json`);
    expect(res.status).toBe(404);
    expect(json(res)).toEqual({ message: `no such image: ${prefix}: No such image: ${prefix}:latest` });
    const own = await through('a', 'GET', `/images/${(ids.a).slice(7, 19)}/history`);
    expect(own.status).toBe(200);
  });

  it('a tag that would move b’s name is refused (on the daemon it moves it)', async () => {
    await dockerOk(dockerHost, ['tag', app('a'), app('b', 'victim')]);
    expect(await idOf(app('b', 'victim'))).toBe(ids.a);
    await dockerOk(dockerHost, ['tag', app('b'), app('b', 'victim')]);
    for (const args of [
      ['tag', app('a'), app('b', 'victim')],
      ['tag', app('a'), app('b')],
    ]) {
      const res = await as('a', args);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain(`points at an image this client does not own; it is not moved`);
    }
    // A build or a commit onto b's name is refused the same way; so is a pull (it would replace it).
    const context = join(dir, 'build-a');
    const build = await as('a', ['build', '-q', '-t', app('b', 'victim'), context]);
    expect(build.stderr).toContain('points at an image this client does not own');
    const pull = await as('a', ['pull', app('b', 'victim')]);
    expect(pull.stderr).toContain('points at an image this client does not own');
    expect(await idOf(app('b', 'victim'))).toBe(ids.b);
    expect(await idOf(app('b'))).toBe(ids.b);
  });

  it('both run the base image; neither may remove or re-tag it, nor move its name', async () => {
    for (const who of ['a', 'b'] as const) {
      expect((await asOk(who, ['run', '--rm', '--network', 'none', image, 'echo', 'base'])).trim()).toBe(
        'base',
      );
      for (const args of [
        ['rmi', image],
        ['tag', image, `${p}-${who}-mine:1`],
      ]) {
        const res = await as(who, args);
        expect(res.code).not.toBe(0);
        expect(res.stderr).toMatch(/has no owner: this client may not (remove|tag) it/);
      }
      const moved = await as(who, ['tag', app(who), image]);
      expect(moved.stderr).toContain('points at an image this client does not own');
    }
    expect(await idOf(image)).toBe(ids.base);
  });

  it('with sharedImages: manage a client may tag and remove an image of nobody’s', async () => {
    await dockerOk(dockerHost, ['tag', image, `${p}-shared:1`]);
    await asOk('m', ['tag', `${p}-shared:1`, `${p}-shared:2`]);
    await asOk('m', ['rmi', `${p}-shared:1`, `${p}-shared:2`]);
    expect((await rawRequest(daemon, 'GET', `/images/${p}-shared:1/json`)).status).toBe(404);
    // Still not another owner's image.
    expect((await as('m', ['rmi', app('b', 'victim')])).stderr).toContain('No such image');
  });

  it('docker load is refused to an owner (the tarball would keep b’s label); on the daemon it loads', async () => {
    const tar = join(dir, 'b.tar');
    await dockerOk(dockerHost, ['save', '-o', tar, app('b')]);
    await dockerOk(dockerHost, ['load', '-i', tar]);
    const res = await as('a', ['load', '-i', tar]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('docker load is refused to a client with an owner');
  });

  it('system df, image events and the image list API show only its own and nobody’s images', async () => {
    const df = json(await through('a', 'GET', '/system/df')) as { Images: { Id: string }[] };
    const dfIds = df.Images.map((i) => i.Id);
    expect(dfIds).toEqual(expect.arrayContaining([ids.a, ids.base]));
    expect(dfIds).not.toContain(ids.b);
    const all = json(await rawRequest(daemon, 'GET', '/system/df')) as { Images: { Id: string }[] };
    expect(all.Images.map((i) => i.Id)).toContain(ids.b);
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = await asOk('a', [
      'events',
      ...['--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Actor.ID}}'],
    ]);
    expect(events).toContain(ids.a);
    expect(events).not.toContain(ids.b);
    const direct = await dockerOk(dockerHost, [
      'events',
      ...['--since', since, '--until', until, '--filter', 'type=image', '--format', '{{.Actor.ID}}'],
    ]);
    expect(direct).toContain(ids.b);
    // `before` naming b's image answers as a missing image does.
    const q = (ref: string) =>
      `/images/json?filters=${encodeURIComponent(JSON.stringify({ before: [ref] }))}`;
    const before = await through('a', 'GET', q(app('b')));
    const none = await through('a', 'GET', q(`${p}-b-zzz:1`));
    expect(before.status).toBe(404);
    expect(before.body.replace(app('b'), 'REF')).toBe(none.body.replace(`${p}-b-zzz:1`, 'REF'));
  });

  it('docker image prune -a removes only its own unused images', async () => {
    await asOk('a', ['tag', app('a'), `${p}-a-spare:1`]);
    const out = await asOk('a', ['image', 'prune', '-a', '-f']);
    expect(out).toContain(ids.a);
    expect((await rawRequest(daemon, 'GET', `/images/${app('a')}/json`)).status).toBe(404);
    expect(await idOf(app('b'))).toBe(ids.b);
    expect(await idOf(image)).toBe(ids.base);
  });
});
