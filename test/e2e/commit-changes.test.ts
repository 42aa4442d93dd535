import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import { uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * Issue #19: a CI client with an owner (ci-a) must not make an image labelled as another owner's
 * (ci-b) through the `changes` of a commit or an import. The daemon reads `changes` as one Dockerfile
 * (all values joined with "\n"), resolving escapes, quotes and continuations; each way is first shown
 * to label an image ci-b's on the daemon itself, then refused through dockscope with no image made.
 */
describe('commit and import changes cannot forge the owner label', () => {
  const p = uniquePrefix('cc');
  // An owner of this file's own: ownership.test.ts prunes what ci-a owns on the same daemon.
  const me = `ci-a-${p}`;
  const daemon = { socketPath: dockerSocket };
  let dir: string;
  let ds: Dockscope;
  let url: string;
  let token: string;
  let container: string;
  let tarball: Buffer;
  const images: string[] = [];
  const asA = { authorization: '' };

  /** Each way the daemon reads `changes` into `LABEL dockscope.owner=ci-b`. */
  const FORGED: [string, string[]][] = [
    ['an escaped dot (dockscope\\.owner)', ['LABEL dockscope\\.owner=ci-b']],
    ['a continuation split across two changes values', ['LABEL a=1 \\', 'dockscope.owner=ci-b']],
    ['a quoted key, lower-case label', ['label "dockscope.owner"=ci-b']],
    ['the legacy LABEL key value form', ['LABEL dockscope.owner ci-b']],
    ['an escape directive in changes', ['# escape=`', 'LABEL dockscope`.owner=ci-b']],
    // Go's text/scanner, which the daemon's lexer reads words through, drops a leading U+FEFF.
    ['a byte-order mark before the key', ['LABEL \uFEFFdockscope.owner=ci-b']],
  ];
  const changesQuery = (values: string[]) => values.map((v) => `changes=${encodeURIComponent(v)}`).join('&');
  const imageLabels = async (ref: string) => {
    const res = await rawRequest(daemon, 'GET', `/images/${ref}/json`);
    if (res.status === 404) return null;
    return (json(res) as { Config: { Labels: Record<string, string> | null } }).Config.Labels;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-changes-'));
    token = `tok-${p}-${Math.random().toString(36).slice(2)}`;
    asA.authorization = `Bearer ${token}`;
    await writeFile(join(dir, 'token-a'), `${token}\n`);
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci-a
    match: { token: { file: ${join(dir, 'token-a')} } }
    containers: owned
    owner: ${me}
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    url = `http://${ds.addresses.ci}`;
    const created = await rawRequest(
      { url },
      'POST',
      `/v1.41/containers/create?name=${p}-a`,
      JSON.stringify({ Image: image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } }),
      asA,
    );
    expect(created.status, created.body).toBe(201);
    container = (json(created) as { Id: string }).Id;
    await writeFile(join(dir, 'hello'), 'hello\n');
    tarball = execFileSync('tar', ['-cf', '-', '-C', dir, 'hello']);
  });

  afterAll(async () => {
    await ds?.close();
    await dockerCli(dockerHost, ['rm', '-f', `${p}-a`]);
    if (images.length > 0) await dockerCli(dockerHost, ['rmi', '-f', ...images]);
    await rm(dir, { recursive: true, force: true });
  });

  describe.each(FORGED)('%s', (name, values) => {
    const slug = FORGED.findIndex(([n]) => n === name);

    it('on the daemon: commit and import make an image labelled ci-b', async () => {
      const committed = `${p}-daemon-commit-${slug}`;
      const imported = `${p}-daemon-import-${slug}`;
      images.push(committed, imported);
      const commit = await rawRequest(
        daemon,
        'POST',
        `/v1.41/commit?container=${container}&repo=${committed}&${changesQuery(values)}`,
      );
      expect(commit.status, commit.body).toBe(201);
      expect((await imageLabels(committed))?.['dockscope.owner']).toBe('ci-b');
      const imp = await rawRequest(
        daemon,
        'POST',
        `/v1.41/images/create?fromSrc=-&repo=${imported}&${changesQuery(values)}`,
        tarball,
        { 'content-type': 'application/x-tar' },
      );
      expect(imp.status, imp.body).toBe(200);
      expect(imp.body).not.toContain('error');
      expect(await imageLabels(imported)).toEqual({
        'dockscope.owner': 'ci-b',
        ...(slug === 1 ? { a: '1' } : {}),
      });
    });

    it('through dockscope: commit and import are refused (403) and no image is made', async () => {
      const message = `dockscope: changes sets the label dockscope.owner, which dockscope sets to this client's owner (${me})`;
      const commit = await rawRequest(
        { url },
        'POST',
        `/v1.41/commit?container=${container}&repo=${p}-ds-commit-${slug}&${changesQuery(values)}`,
        undefined,
        asA,
      );
      expect(commit.status).toBe(403);
      expect(json(commit)).toEqual({ message });
      const imp = await rawRequest(
        { url },
        'POST',
        `/v1.41/images/create?fromSrc=-&repo=${p}-ds-import-${slug}&${changesQuery(values)}`,
        tarball,
        { ...asA, 'content-type': 'application/x-tar' },
      );
      expect(imp.status).toBe(403);
      expect(json(imp)).toEqual({ message });
      expect(await imageLabels(`${p}-ds-commit-${slug}`)).toBeNull();
      expect(await imageLabels(`${p}-ds-import-${slug}`)).toBeNull();
    });
  });

  it('legitimate changes still work, and the image carries the client’s own owner label', async () => {
    const values = ['LABEL a=b', 'ENV X=1', 'CMD ["sh"]'];
    const committed = `${p}-ok-commit`;
    const imported = `${p}-ok-import`;
    images.push(committed, imported);
    const commit = await rawRequest(
      { url },
      'POST',
      `/v1.41/commit?container=${container}&repo=${committed}&${changesQuery(values)}`,
      undefined,
      asA,
    );
    expect(commit.status, commit.body).toBe(201);
    const inspect = json(await rawRequest(daemon, 'GET', `/images/${committed}/json`)) as {
      Config: { Labels: Record<string, string>; Env: string[]; Cmd: string[] };
    };
    expect(inspect.Config.Labels).toEqual({ a: 'b', 'dockscope.owner': me });
    expect(inspect.Config.Env).toContain('X=1');
    expect(inspect.Config.Cmd).toEqual(['sh']);

    const imp = await rawRequest(
      { url },
      'POST',
      `/v1.41/images/create?fromSrc=-&repo=${imported}&${changesQuery(values)}`,
      tarball,
      { ...asA, 'content-type': 'application/x-tar' },
    );
    expect(imp.status, imp.body).toBe(200);
    const imported_ = json(await rawRequest(daemon, 'GET', `/images/${imported}/json`)) as {
      Config: { Labels: Record<string, string>; Env: string[]; Cmd: string[] };
    };
    expect(imported_.Config.Labels).toEqual({ a: 'b', 'dockscope.owner': me });
    expect(imported_.Config.Env).toEqual(['X=1']);
    expect(imported_.Config.Cmd).toEqual(['sh']);
  });

  it('an import without changes is labelled with the owner too; its own value is accepted', async () => {
    const imported = `${p}-plain-import`;
    images.push(imported);
    const imp = await rawRequest(
      { url },
      'POST',
      `/v1.41/images/create?fromSrc=-&repo=${imported}&${changesQuery([`LABEL dockscope.owner=${me}`])}`,
      tarball,
      { ...asA, 'content-type': 'application/x-tar' },
    );
    expect(imp.status, imp.body).toBe(200);
    expect(await imageLabels(imported)).toEqual({ 'dockscope.owner': me });
  });

  it('a change dockscope cannot read with certainty (an unterminated quote) is refused (400)', async () => {
    const res = await rawRequest(
      { url },
      'POST',
      `/v1.41/commit?container=${container}&repo=${p}-unread&${changesQuery(['LABEL a="x'])}`,
      undefined,
      asA,
    );
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({
      message:
        'dockscope: changes cannot be read with certainty: unexpected end of statement while looking for matching double-quote',
    });
    expect(await imageLabels(`${p}-unread`)).toBeNull();
  });
});
