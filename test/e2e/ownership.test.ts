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

/**
 * Two CI runners on one dockscope, each with its own token and owner: everything each creates carries
 * its owner label, each sees only its own containers, volumes, networks and events, the other's answer
 * as missing ones, and `docker system prune` removes only its own. All through the real Docker CLI.
 */
describe('ownership: two CI clients cannot see or touch each other', () => {
  const p = uniquePrefix('ow');
  let dir: string;
  let ds: Dockscope;
  let host: string;
  const cliDirs: Record<'a' | 'b', string> = { a: '', b: '' };
  const tokens: Record<'a' | 'b', string> = { a: '', b: '' };
  const daemon = { socketPath: dockerSocket };
  let since = '';
  const as = (who: 'a' | 'b', args: string[]) => dockerCli(host, ['--config', cliDirs[who], ...args]);
  const asOk = async (who: 'a' | 'b', args: string[]) => {
    const res = await as(who, args);
    expect(res.code, `${who}: docker ${args.join(' ')}: ${res.stderr}`).toBe(0);
    return res.stdout;
  };
  const ours = (text: string) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(p))
      .sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-owner-'));
    for (const who of ['a', 'b'] as const) {
      const token = `tok-${who}-${p}-${Math.random().toString(36).slice(2)}`;
      tokens[who] = token;
      await writeFile(join(dir, `token-${who}`), `${token}\n`);
      cliDirs[who] = join(dir, `cli-${who}`);
      await mkdir(cliDirs[who]);
      await writeFile(
        join(cliDirs[who], 'config.json'),
        JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${token}` } }),
      );
    }
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: ci, address: "127.0.0.1:0" }
clients:
  - name: ci-a
    match: { token: { file: ${join(dir, 'token-a')} } }
    containers: owned
    owner: ci-a
  - name: ci-b
    match: { token: { file: ${join(dir, 'token-b')} } }
    containers: owned
    owner: ci-b
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path: join(dir, 'dockscope.yaml'), text: yaml }),
      pino({ level: 'silent' }),
    );
    host = `tcp://${ds.addresses.ci}`;
    since = String(Math.floor(Date.now() / 1000) - 1);
    // Something of nobody's, made on the daemon itself.
    await dockerOk(dockerHost, ['create', '--network', 'none', '--name', `${p}-nobody`, image, 'true']);
    await dockerOk(dockerHost, ['volume', 'create', `${p}-nobody-vol`]);
    await dockerOk(dockerHost, ['network', 'create', '--internal', `${p}-nobody-net`]);
    for (const who of ['a', 'b'] as const) {
      await asOk(who, [
        'run',
        '-d',
        '--network',
        'none',
        '--name',
        `${p}-${who}-run`,
        image,
        'sleep',
        '3600',
      ]);
      await asOk(who, ['create', '--network', 'none', '--name', `${p}-${who}-stopped`, image, 'true']);
      await asOk(who, ['volume', 'create', `${p}-${who}-vol`]);
      await asOk(who, ['network', 'create', '--internal', `${p}-${who}-net`]);
    }
  });

  afterAll(async () => {
    await ds?.close();
    const names = ['nobody', 'a-run', 'a-stopped', 'b-run', 'b-stopped', 'a-auto'].map((s) => `${p}-${s}`);
    await dockerCli(dockerHost, ['rm', '-f', ...names]);
    await dockerCli(dockerHost, [
      'volume',
      'rm',
      '-f',
      ...['nobody-vol', 'a-vol', 'b-vol', 'a-auto-vol'].map((s) => `${p}-${s}`),
    ]);
    for (const n of ['nobody-net', 'a-net', 'b-net'])
      await dockerCli(dockerHost, ['network', 'rm', `${p}-${n}`]);
    await rm(dir, { recursive: true, force: true });
  });

  it('everything a client creates carries its owner label, set by dockscope', async () => {
    const labelOf = async (path: string) =>
      json(await rawRequest(daemon, 'GET', path)) as {
        Labels?: Record<string, string>;
        Config?: { Labels: Record<string, string> };
      };
    expect((await labelOf(`/containers/${p}-a-run/json`)).Config?.Labels['dockscope.owner']).toBe('ci-a');
    expect((await labelOf(`/containers/${p}-b-stopped/json`)).Config?.Labels['dockscope.owner']).toBe('ci-b');
    expect((await labelOf(`/volumes/${p}-a-vol`)).Labels?.['dockscope.owner']).toBe('ci-a');
    expect((await labelOf(`/networks/${p}-b-net`)).Labels?.['dockscope.owner']).toBe('ci-b');
    // A named volume a create makes on the way is made first, with the owner label.
    await asOk('a', [
      'create',
      '--network',
      'none',
      '--name',
      `${p}-a-auto`,
      '-v',
      `${p}-a-auto-vol:/data`,
      image,
      'true',
    ]);
    expect((await labelOf(`/volumes/${p}-a-auto-vol`)).Labels?.['dockscope.owner']).toBe('ci-a');
    await asOk('a', ['rm', `${p}-a-auto`]);
  });

  it('docker ps -a, volume ls and network ls show each client only its own', async () => {
    for (const who of ['a', 'b'] as const) {
      expect(ours(await asOk(who, ['ps', '-a', '--format', '{{.Names}}']))).toEqual([
        `${p}-${who}-run`,
        `${p}-${who}-stopped`,
      ]);
      expect(ours(await asOk(who, ['volume', 'ls', '--format', '{{.Name}}']))).toEqual(
        who === 'a' ? [`${p}-a-auto-vol`, `${p}-a-vol`] : [`${p}-b-vol`],
      );
      expect(ours(await asOk(who, ['network', 'ls', '--format', '{{.Name}}']))).toEqual([`${p}-${who}-net`]);
    }
  });

  it('docker system df lists only its own volumes', async () => {
    const res = await rawRequest({ url: `http://${ds.addresses.ci}` }, 'GET', '/system/df', undefined, {
      authorization: `Bearer ${tokens.a}`,
    });
    const df = json(res) as { Volumes: { Name: string }[]; Containers: { Names: string[] }[] };
    expect(
      df.Volumes.map((v) => v.Name)
        .filter((n) => n.startsWith(p))
        .sort(),
    ).toEqual([`${p}-a-auto-vol`, `${p}-a-vol`]);
    expect(
      df.Containers.map((c) => c.Names[0])
        .filter((n) => n?.includes(p))
        .sort(),
    ).toEqual([`/${p}-a-run`, `/${p}-a-stopped`]);
    // The daemon itself lists all of them.
    const all = json(await rawRequest(daemon, 'GET', '/system/df')) as { Volumes: { Name: string }[] };
    expect(all.Volumes.map((v) => v.Name)).toContain(`${p}-b-vol`);
  });

  // What a's CLI says about b's object, and what it says about one that does not exist (same length).
  const pairs: [string, (name: string) => string[], string, string][] = [
    ['inspect', (n) => ['inspect', n], 'b-run', 'b-zzz'],
    ['stop', (n) => ['stop', '-t', '0', n], 'b-run', 'b-zzz'],
    ['exec', (n) => ['exec', n, 'true'], 'b-run', 'b-zzz'],
    ['logs', (n) => ['logs', n], 'b-run', 'b-zzz'],
    ['rm', (n) => ['rm', n], 'b-stopped', 'b-zzzzzzz'],
    ['volume inspect', (n) => ['volume', 'inspect', n], 'b-vol', 'b-zzz'],
    ['volume rm', (n) => ['volume', 'rm', n], 'b-vol', 'b-zzz'],
    ['network inspect', (n) => ['network', 'inspect', n], 'b-net', 'b-zzz'],
    ['network rm', (n) => ['network', 'rm', n], 'b-net', 'b-zzz'],
    ['network connect', (n) => ['network', 'connect', n, `${p}-a-run`], 'b-net', 'b-zzz'],
  ];

  it.each(pairs)(
    "docker %s of the other client's object answers as for a missing one",
    async (_l, args, theirs, missing) => {
      const other = await as('a', args(`${p}-${theirs}`));
      const none = await as('a', args(`${p}-${missing}`));
      expect(none.code).not.toBe(0);
      expect(other.code).toBe(none.code);
      expect(other.stderr.replaceAll(`${p}-${theirs}`, 'NAME')).toBe(
        none.stderr.replaceAll(`${p}-${missing}`, 'NAME'),
      );
      expect(other.stdout.replaceAll(`${p}-${theirs}`, 'NAME')).toBe(
        none.stdout.replaceAll(`${p}-${missing}`, 'NAME'),
      );
    },
  );

  it("the other's objects were left as they were", async () => {
    const state = json(await rawRequest(daemon, 'GET', `/containers/${p}-b-run/json`)) as {
      State: { Running: boolean };
    };
    expect(state.State.Running).toBe(true);
    expect((await rawRequest(daemon, 'GET', `/volumes/${p}-b-vol`)).status).toBe(200);
    expect((await rawRequest(daemon, 'GET', `/networks/${p}-b-net`)).status).toBe(200);
    expect((await rawRequest(daemon, 'GET', `/containers/${p}-b-stopped/json`)).status).toBe(200);
  });

  it('docker events of each client shows only its own containers, volumes and networks', async () => {
    const until = String(Math.floor(Date.now() / 1000) + 1);
    const events = async (who: 'a' | 'b') =>
      (
        await asOk(who, [
          'events',
          '--since',
          since,
          '--until',
          until,
          '--format',
          '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}}',
        ])
      )
        .split('\n')
        .filter((l) => l !== '');
    const ids = async (path: string) => (json(await rawRequest(daemon, 'GET', path)) as { Id: string }).Id;
    const aNet = await ids(`/networks/${p}-a-net`);
    const bNet = await ids(`/networks/${p}-b-net`);
    const aEvents = await events('a');
    const text = aEvents.join('\n');
    expect(text).toContain(`container create`);
    expect(text).toContain(`${p}-a-run`);
    expect(text).toContain(`volume create ${p}-a-vol`);
    expect(text).toContain(`network create ${aNet}`);
    for (const theirs of [`${p}-b-run`, `${p}-b-stopped`, `${p}-b-vol`, bNet, `${p}-nobody`]) {
      expect(text).not.toContain(theirs);
    }
    const bText = (await events('b')).join('\n');
    expect(bText).toContain(`volume create ${p}-b-vol`);
    expect(bText).not.toContain(`${p}-a-`);
    expect(bText).not.toContain(aNet);
  });

  it("docker system prune -f --volumes by ci-a removes only ci-a's stopped containers, unused volumes and networks", async () => {
    // A dangling image of nobody's: the daemon's own prune would remove it, an owner's does not.
    const dangling = (await dockerOk(dockerHost, ['commit', `${p}-nobody`])).trim();
    const out = await asOk('a', ['system', 'prune', '-f', '--volumes']);
    expect((await rawRequest(daemon, 'GET', `/images/${dangling}/json`)).status).toBe(200);
    await dockerCli(dockerHost, ['rmi', dangling]);
    expect(out).toContain('Total reclaimed space');
    const exists = async (path: string) => (await rawRequest(daemon, 'GET', path)).status === 200;
    expect(await exists(`/containers/${p}-a-stopped/json`)).toBe(false);
    expect(await exists(`/volumes/${p}-a-vol`)).toBe(false);
    expect(await exists(`/networks/${p}-a-net`)).toBe(false);
    // Its running container stays; nothing of b's or nobody's is touched.
    expect(await exists(`/containers/${p}-a-run/json`)).toBe(true);
    for (const path of [
      `/containers/${p}-b-stopped/json`,
      `/volumes/${p}-b-vol`,
      `/networks/${p}-b-net`,
      `/containers/${p}-nobody/json`,
      `/volumes/${p}-nobody-vol`,
      `/networks/${p}-nobody-net`,
    ]) {
      expect(await exists(path), path).toBe(true);
    }
  });

  it("a create that sets the owner label itself is refused, and so is one with the other's", async () => {
    const res = await as('a', [
      'create',
      '--network',
      'none',
      '--name',
      `${p}-a-forged`,
      '--label',
      'dockscope.owner=ci-b',
      image,
      'true',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      "dockscope: Labels sets the label dockscope.owner, which dockscope sets to this client's owner (ci-a)",
    );
    expect((await rawRequest(daemon, 'GET', `/containers/${p}-a-forged/json`)).status).toBe(404);
    const vol = await as('a', ['volume', 'create', '--label', 'dockscope.owner=ci-b', `${p}-a-forged`]);
    expect(vol.code).not.toBe(0);
    const net = await as('a', ['network', 'create', '--label', 'dockscope.owner=ci-b', `${p}-a-forged`]);
    expect(net.code).not.toBe(0);
  });

  it('an image built through /build carries the owner label, whatever its Dockerfile says', async () => {
    const context = join(dir, 'build');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'Dockerfile'), `FROM ${image}\nLABEL dockscope.owner=ci-b\n`);
    const env = { DOCKER_BUILDKIT: '0' };
    const built = await dockerCli(host, ['--config', cliDirs.a, 'build', '-q', '-t', `${p}-img`, context], {
      env,
    });
    expect(built.code, built.stderr).toBe(0);
    const img = json(await rawRequest(daemon, 'GET', `/images/${p}-img/json`)) as {
      Config: { Labels: Record<string, string> };
    };
    expect(img.Config.Labels['dockscope.owner']).toBe('ci-a');
    const forged = await dockerCli(
      host,
      ['--config', cliDirs.a, 'build', '-q', '--label', 'dockscope.owner=ci-b', context],
      { env },
    );
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('the labels query sets the label dockscope.owner');
    await dockerCli(dockerHost, ['rmi', '-f', `${p}-img`]);
  });

  it('names the other client holds: a build on its network, a network called Bridge, a volume or network create of its name', async () => {
    const through = { url: `http://${ds.addresses.ci}` };
    const auth = { authorization: `Bearer ${tokens.a}` };
    // A build step on b's network is refused in the words used for a network that does not exist.
    const theirs = await rawRequest(through, 'POST', `/build?networkmode=${p}-b-net`, '', {
      ...auth,
      'content-type': 'application/x-tar',
    });
    const none = await rawRequest(through, 'POST', `/build?networkmode=${p}-b-zzz`, '', {
      ...auth,
      'content-type': 'application/x-tar',
    });
    expect(theirs.status).toBe(403);
    expect(json(theirs)).toEqual({
      message: `dockscope: the build's networkmode "${p}-b-net" is not one of this client's networks`,
    });
    expect(none.body.replace(`${p}-b-zzz`, `${p}-b-net`)).toBe(theirs.body);
    // "Bridge" is not the daemon's bridge: it is whoever made it.
    await asOk('b', ['network', 'create', '--internal', `Bridge${p}`]);
    const join = await as('a', ['create', '--name', `${p}-a-spy`, '--network', `Bridge${p}`, image, 'true']);
    const missing = await as('a', [
      'create',
      '--name',
      `${p}-a-spy`,
      '--network',
      `Bridgf${p}`,
      image,
      'true',
    ]);
    expect(join.code).not.toBe(0);
    expect(join.stderr).toContain(`network Bridge${p} not found`);
    expect(join.stderr.replace(`Bridge${p}`, 'NET')).toBe(missing.stderr.replace(`Bridgf${p}`, 'NET'));
    expect((await rawRequest(daemon, 'GET', `/containers/${p}-a-spy/json`)).status).toBe(404);
    await asOk('b', ['network', 'rm', `Bridge${p}`]);
    // A create of b's volume's name would answer with b's volume.
    const vol = await rawRequest(
      through,
      'POST',
      '/volumes/create',
      JSON.stringify({ Name: `${p}-b-vol` }),
      auth,
    );
    expect(vol.status).toBe(409);
    expect(json(vol)).toEqual({
      message: `dockscope: a volume named "${p}-b-vol" exists and is not this client's`,
    });
    // A network create of b's network's name, without CheckDuplicate, is sent with it: no second one.
    const net = await rawRequest(
      through,
      'POST',
      '/networks/create',
      JSON.stringify({ Name: `${p}-b-net`, Internal: true }),
      auth,
    );
    expect(net.status).toBe(409);
    expect(net.body).not.toMatch(/[0-9a-f]{64}/);
    const all = json(
      await rawRequest(
        daemon,
        'GET',
        `/networks?filters=${encodeURIComponent(JSON.stringify({ name: { [`${p}-b-net`]: true } }))}`,
      ),
    ) as unknown[];
    expect(all).toHaveLength(1);
  });

  it('docker-py style legacy filters keep working with the owner filter added', async () => {
    const through = { url: `http://${ds.addresses.ci}` };
    const auth = { authorization: `Bearer ${tokens.a}` };
    await asOk('a', ['network', 'create', '--internal', `${p}-a-net2`]);
    const legacy = encodeURIComponent(JSON.stringify({ name: [`${p}-a-net2`] }));
    const res = await rawRequest(through, 'GET', `/networks?filters=${legacy}`, undefined, auth);
    expect(res.status, res.body).toBe(200);
    expect((json(res) as { Name: string }[]).map((n) => n.Name)).toEqual([`${p}-a-net2`]);
    await asOk('a', ['network', 'rm', `${p}-a-net2`]);
    const dangling = encodeURIComponent(JSON.stringify({ dangling: ['true'] }));
    expect((await rawRequest(through, 'GET', `/volumes?filters=${dangling}`, undefined, auth)).status).toBe(
      200,
    );
  });

  it('docker commit labels the image with the owner; a change that sets the label is refused', async () => {
    await asOk('a', ['commit', `${p}-a-run`, `${p}-a-committed`]);
    const img = json(await rawRequest(daemon, 'GET', `/images/${p}-a-committed/json`)) as {
      Config: { Labels: Record<string, string>; Cmd: string[] };
    };
    expect(img.Config.Labels['dockscope.owner']).toBe('ci-a');
    // The rest of the container's config is kept (the daemon merges the config it is given).
    expect(img.Config.Cmd).toEqual(['sleep', '3600']);
    const forged = await as('a', [
      'commit',
      '--change',
      'LABEL dockscope.owner=ci-b',
      `${p}-a-run`,
      `${p}-a-forged-img`,
    ]);
    expect(forged.code).not.toBe(0);
    expect(forged.stderr).toContain('changes sets the label dockscope.owner');
    await dockerCli(dockerHost, ['rmi', '-f', `${p}-a-committed`]);
  });

  it("a create that mounts the other's volume by name is refused", async () => {
    const res = await as('a', [
      'create',
      '--network',
      'none',
      '--name',
      `${p}-a-steal`,
      '-v',
      `${p}-b-vol:/x`,
      image,
      'true',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('create rule "volumes"');
    expect((await rawRequest(daemon, 'GET', `/containers/${p}-a-steal/json`)).status).toBe(404);
  });
});
