import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dockscope } from '../../src/server/server.ts';
import type { Daemon } from '../harness/daemon.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { json, observed, rawRequest } from './support/http.ts';
import { startSwarm, startSwarmOwners } from './support/swarm.ts';

type Who = 'a' | 'b';
const KINDS = ['service', 'secret', 'config'] as const;

/**
 * Two CI clients with owners on one single-node swarm (a private daemon of its own): each creates a
 * service, a secret and a config through dockscope; each carries its owner's label on the daemon;
 * each client lists only its own, and another's inspect, update and removal answer exactly as a
 * missing one's, through the real CLI and on the wire (issue #24, ownership).
 */
describe('swarm services, secrets and configs under ownership (issue #24)', () => {
  let daemon: Daemon;
  let dir: string;
  let ds: Dockscope;
  let host = '';
  let image = '';
  const cliDirs: Record<Who, string> = { a: '', b: '' };
  const tokens: Record<Who, string> = { a: '', b: '' };
  const as = (who: Who, args: string[], input?: string) =>
    dockerCli(host, ['--config', cliDirs[who], ...args], input === undefined ? {} : { input });
  const asOk = async (who: Who, args: string[], input?: string) => {
    const res = await as(who, args, input);
    expect(res.code, `${who}: docker ${args.join(' ')}: ${res.stderr}`).toBe(0);
    return res.stdout;
  };
  const direct = (args: string[]) => dockerCli(daemon.host, args);
  const name = (who: Who, kind: (typeof KINDS)[number]) => `${who}-own-${kind}`;
  /** A name of the same length as another's, that nothing has. */
  const missingName = (kind: (typeof KINDS)[number]) => `c-own-${kind}`;
  const named = (r: { code: number; stdout: string; stderr: string }, ref: string) => ({
    code: r.code,
    stdout: r.stdout.split(ref).join('<ref>'),
    stderr: r.stderr.split(ref).join('<ref>'),
  });

  beforeAll(async () => {
    ({ daemon, image } = await startSwarm());
    const owners = await startSwarmOwners(daemon, 'ds-swarm-owner-');
    ({ dir, ds, host } = owners);
    Object.assign(tokens, owners.tokens);
    Object.assign(cliDirs, owners.cliDirs);
    // Objects of nobody's, made on the daemon itself.
    await dockerOk(daemon.host, ['secret', 'create', 'nobody-secret', '-'], { input: 'n' });
    await dockerOk(daemon.host, ['config', 'create', 'nobody-config', '-'], { input: 'n' });
    for (const who of ['a', 'b'] as const) {
      await asOk(who, ['secret', 'create', name(who, 'secret'), '-'], `s3cr3t-${who}`);
      await asOk(who, ['config', 'create', '--label', 'x=1', name(who, 'config'), '-'], `conf-${who}`);
      await asOk(who, [
        'service',
        'create',
        '--detach',
        '--quiet',
        '--name',
        name(who, 'service'),
        '--replicas',
        '0',
        '--secret',
        name(who, 'secret'),
        image,
        'sleep',
        '600',
      ]);
    }
  }, 120_000);

  afterAll(async () => {
    await ds?.close();
    if (daemon) await dockerCli(daemon.host, ['swarm', 'leave', '--force']);
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("each object made through dockscope carries its maker's owner label on the daemon", async () => {
    for (const who of ['a', 'b'] as const) {
      for (const kind of KINDS) {
        const out = await dockerOk(daemon.host, [
          kind,
          'inspect',
          '--format',
          '{{json .Spec.Labels}}',
          name(who, kind),
        ]);
        const labels = JSON.parse(out) as Record<string, string>;
        expect(labels['dockscope.owner'], `${kind} of ${who}`).toBe(`ci-${who}`);
        if (kind === 'config') expect(labels.x).toBe('1');
      }
      // The service's task containers are made for the client too.
      const container = await dockerOk(daemon.host, [
        'service',
        'inspect',
        '--format',
        '{{json .Spec.TaskTemplate.ContainerSpec.Labels}}',
        name(who, 'service'),
      ]);
      expect(JSON.parse(container)).toEqual({ 'dockscope.owner': `ci-${who}` });
    }
  });

  it('docker service ls, secret ls and config ls list only the client its own', async () => {
    for (const who of ['a', 'b'] as const) {
      for (const kind of KINDS) {
        const out = await asOk(who, [kind, 'ls', '--format', '{{.Name}}']);
        expect(out.trim().split('\n'), `${kind} ls of ${who}`).toEqual([name(who, kind)]);
      }
    }
    // The daemon has them all (and nobody's).
    const all = (await direct(['secret', 'ls', '--format', '{{.Name}}'])).stdout.trim().split('\n').sort();
    expect(all).toEqual(['a-own-secret', 'b-own-secret', 'nobody-secret']);
  });

  it("another owner's service, secret and config answer to inspect, update and rm as missing ones", async () => {
    for (const kind of KINDS) {
      const theirs = name('b', kind);
      const missing = missingName(kind);
      for (const args of [
        [kind, 'inspect'],
        ...(kind === 'service' ? [['service', 'update', '--detach', '--label-add', 'y=2']] : []),
        ...(kind === 'service' ? [['service', 'logs']] : []),
        [kind, 'rm'],
      ]) {
        const daemonMissing = named(await as('a', [...args, missing]), missing);
        expect(daemonMissing.code, `${args.join(' ')} of a missing ${kind}`).toBe(1);
        expect(named(await as('a', [...args, theirs]), theirs), `${args.join(' ')} ${theirs}`).toEqual(
          daemonMissing,
        );
      }
      // And nobody's, made on the daemon directly, is not the client's either.
      if (kind !== 'service') {
        const nobody = `nobody-${kind}`;
        expect(named(await as('a', [kind, 'inspect', nobody]), nobody)).toEqual(
          named(await as('a', [kind, 'inspect', `nobodx-${kind}`]), `nobodx-${kind}`),
        );
      }
      // Nothing of b's was changed or removed.
      const still = await dockerOk(daemon.host, [
        kind,
        'inspect',
        '--format',
        '{{json .Spec.Labels}}',
        theirs,
      ]);
      expect(JSON.parse(still)).not.toHaveProperty('y');
    }
  });

  it("byte for byte on the wire: another's secret and config by name and by id, and their label updates", async () => {
    const auth = { authorization: `Bearer ${tokens.a}` };
    const through = (method: string, path: string, body?: string) =>
      rawRequest({ url: `http://${ds.addresses.ci}` }, method, path, body, auth);
    const fromDaemon = (method: string, path: string, body?: string) =>
      rawRequest({ socketPath: daemon.socketPath }, method, path, body);
    for (const kind of ['secret', 'config'] as const) {
      const theirs = name('b', kind);
      const id = (json(await fromDaemon('GET', `/${kind}s/${theirs}`)) as { ID: string }).ID;
      const fakeId = 'z'.repeat(id.length);
      for (const [ref, absent] of [
        [theirs, missingName(kind)],
        [id, fakeId],
      ] as const) {
        const daemonMissing = await fromDaemon('GET', `/v1.41/${kind}s/${absent}`);
        expect(daemonMissing.status).toBe(404);
        expect(observed(await through('GET', `/v1.41/${kind}s/${ref}`), ref)).toEqual(
          observed(daemonMissing, absent),
        );
      }
      // The label update of another's answers as for a missing one, and changes nothing.
      const body = JSON.stringify({ Name: theirs, Labels: { mine: 'yes' } });
      const version = (json(await fromDaemon('GET', `/${kind}s/${theirs}`)) as { Version: { Index: number } })
        .Version.Index;
      const update = (ref: string) => `/v1.41/${kind}s/${ref}/update?version=${version}`;
      expect(observed(await through('POST', update(theirs), body), theirs)).toEqual(
        observed(await fromDaemon('POST', update(missingName(kind)), body), missingName(kind)),
      );
    }
  });

  it("a create or update that gives the owner label another owner's value is refused", async () => {
    const refused = await as(
      'a',
      ['secret', 'create', '--label', 'dockscope.owner=ci-b', 'a-forged', '-'],
      'x',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('sets the label dockscope.owner');
    const forged = await as('a', [
      'service',
      'update',
      '--detach',
      '--label-add',
      'dockscope.owner=ci-b',
      name('a', 'service'),
    ]);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('sets the label dockscope.owner');
    // Its own label survives an update that takes it off (the CLI sends the whole spec back).
    await asOk('a', [
      'service',
      'update',
      '--detach',
      '--label-rm',
      'dockscope.owner',
      '--label-add',
      'z=3',
      name('a', 'service'),
    ]);
    const labels = JSON.parse(
      await dockerOk(daemon.host, [
        'service',
        'inspect',
        '--format',
        '{{json .Spec.Labels}}',
        name('a', 'service'),
      ]),
    );
    expect(labels).toEqual({ 'dockscope.owner': 'ci-a', z: '3' });
    expect((await direct(['secret', 'inspect', 'a-forged'])).code).toBe(1);
  });

  it("a service create that gives its tasks another owner's secret or config, or joins its network, is refused", async () => {
    await dockerOk(daemon.host, [
      'network',
      'create',
      '--driver',
      'overlay',
      '--label',
      'dockscope.owner=ci-b',
      'b-own-net',
    ]);
    for (const [flag, theirs] of [
      ['--secret', name('b', 'secret')],
      ['--config', name('b', 'config')],
      ['--secret', 'nobody-secret'],
      ['--network', 'b-own-net'],
    ] as const) {
      const res = await as('a', [
        'service',
        'create',
        '--detach',
        '--name',
        'a-stolen',
        flag,
        theirs,
        image,
        'true',
      ]);
      expect(res.code, `${flag} ${theirs}: ${res.stderr}`).toBe(1);
      // The CLI resolves each by name first: another's is not found, as a missing one is.
      expect(res.stderr, `${flag} ${theirs}`).toMatch(/not found/);
    }
    // A client that names them by id skips that look-up: the create itself is refused.
    const byId = async (kind: string, ref: string) =>
      json(await rawRequest({ socketPath: daemon.socketPath }, 'GET', `/${kind}/${ref}`)) as {
        ID?: string;
        Id?: string;
      };
    const secret = await byId('secrets', name('b', 'secret'));
    const network = await byId('networks', 'b-own-net');
    const file = { Name: 'x', UID: '0', GID: '0', Mode: 292 };
    for (const [task, words] of [
      [
        { ContainerSpec: { Image: image, Secrets: [{ SecretID: secret.ID, SecretName: 'x', File: file }] } },
        /names a secret this client may not see/,
      ],
      [
        { ContainerSpec: { Image: image }, Networks: [{ Target: network.Id }] },
        /not one of this client's networks/,
      ],
    ] as const) {
      const body = JSON.stringify({ Name: 'a-stolen', TaskTemplate: task });
      const res = await rawRequest(
        { url: `http://${ds.addresses.ci}` },
        'POST',
        '/v1.41/services/create',
        body,
        {
          authorization: `Bearer ${tokens.a}`,
        },
      );
      expect(res.status, res.body).toBe(403);
      expect(res.body).toMatch(words);
    }
    expect((await direct(['service', 'inspect', 'a-stolen'])).code).toBe(1);
  });

  it("docker events shows the client only its own swarm objects' events", async () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    const res = await rawRequest(
      { url: `http://${ds.addresses.ci}` },
      'GET',
      `/v1.41/events?since=0&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: { secret: true, config: true, service: true } }))}`,
      undefined,
      { authorization: `Bearer ${tokens.a}` },
    );
    expect(res.status).toBe(200);
    const names = new Set(
      res.body
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (JSON.parse(l) as { Actor: { Attributes: { name?: string } } }).Actor.Attributes.name),
    );
    expect([...names].sort()).toEqual(['a-own-config', 'a-own-secret', 'a-own-service']);
  });
});
