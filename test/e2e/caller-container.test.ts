import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

/**
 * Callers identified by their container (issue #23): busybox containers on a user-defined internal
 * network call dockscope on the network's gateway address (the test daemon has no default bridge and
 * no iptables; an internal bridge network still joins its containers to the host at the gateway).
 * dockscope finds the container by its source address, on its first request, and its
 * `dockscope.client` label picks the profile; a new container at a gone one's address is not it.
 */
describe('callers identified by their container', () => {
  const p = uniquePrefix('cc');
  // A subnet of our own, so that `--ip` can give a second container the first one's address.
  const subnet = `10.${randomInt(100, 200)}.${randomInt(0, 256)}`;
  const gateway = `${subnet}.1`;
  const network = `${p}-net`;
  const targets = ['ops-target', 'dev-target', 'web-target'].map((s) => `${p}-${s}`);
  const made: string[] = [...targets];
  let ds: Dockscope;
  let port = 0;

  /** Runs a container on the network whose command is a busybox wget of dockscope (its first request). */
  const callFrom = async (
    name: string,
    ip: string,
    labels: Record<string, string>,
    { img = image, to = port, net = network, host = gateway } = {},
  ) => {
    made.push(name);
    const args = ['run', '--rm', '--network', net, ip.includes(':') ? '--ip6' : '--ip', ip, '--name', name];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    args.push(img, 'busybox', 'wget', '-qO-', `http://${host}:${to}/containers/json?all=1`);
    return dockerCli(dockerHost, args);
  };
  const namesIn = (stdout: string) =>
    (JSON.parse(stdout) as { Names: string[] }[]).map((c) => c.Names[0]?.slice(1) ?? '').sort();

  let yaml = '';

  beforeAll(async () => {
    await dockerOk(dockerHost, ['network', 'create', '--internal', '--subnet', `${subnet}.0/24`, network]);
    await createContainer(dockerHost, image, { name: targets[0] as string });
    await createContainer(dockerHost, image, { name: targets[1] as string });
    await createContainer(dockerHost, image, { name: targets[2] as string, labels: { [`${p}.web`]: '1' } });
    yaml = `
upstream: ${dockerHost}
# Long, so that only the event watch and the look-up on a miss keep addresses right.
cacheTtl: 60s
listeners:
  - { name: net, address: "${gateway}:0" }
  - { name: lo, address: "127.0.0.1:0" }
clients:
  - name: ops
    match: { listener: net, container: { profileLabel: true } }
    containers: { names: [${targets[0]}], match: exact }
    allow: [read-only]
  - name: dev
    match: { listener: net, container: { profileLabel: true } }
    containers: { names: [${targets[1]}], match: exact }
    allow: [read-only]
  - name: web
    match: { listener: net, container: { labels: ["${p}.web-caller"], match: exact } }
    containers: { labels: ["${p}.web"], match: exact }
    allow: [read-only]
  - name: admin
    match: { listener: net, container: { names: [${p}-the-admin], match: exact } }
    containers: all
  - name: ci
    match: { listener: lo }
    owner: ci
    containers: owned
`;
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { text: yaml, path: 'caller.yml' }),
      pino({ level: 'silent' }),
    );
    port = Number(ds.addresses.net?.split(':').pop());
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, made);
    await dockerCli(dockerHost, ['rmi', `${p}-labelled`]);
    await dockerCli(dockerHost, ['network', 'rm', network]);
  });

  it('a new container is its label’s client on its very first request, found by a look-up on the miss', async () => {
    const lists = ds.callers.lookups;
    const res = await callFrom(`${p}-c1`, `${subnet}.50`, { 'dockscope.client': 'ops' });
    expect(res.code, res.stderr).toBe(0);
    expect(namesIn(res.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-ops-target`]);
    expect(ds.callers.lookups).toBeGreaterThan(lists);
    const dev = await callFrom(`${p}-c1b`, `${subnet}.51`, { 'dockscope.client': 'dev' });
    expect(namesIn(dev.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-dev-target`]);
  });

  it('a new container at a removed container’s address is not taken for it', async () => {
    const ip = `${subnet}.60`;
    const old = `${p}-old`;
    made.push(old);
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--network',
      network,
      '--ip',
      ip,
      '--name',
      old,
      '--label',
      'dockscope.client=ops',
      image,
      'sleep',
      '3600',
    ]);
    const url = `http://${gateway}:${port}/containers/json?all=1`;
    // Its address is in the map now (and would be trusted for the 60 s cacheTtl).
    const first = await dockerOk(dockerHost, ['exec', old, 'busybox', 'wget', '-qO-', url]);
    expect(namesIn(first).filter((n) => n.startsWith(p))).toEqual([`${p}-ops-target`]);
    await dockerOk(dockerHost, ['rm', '-f', old]);
    // At once, at the same address: another label's client, then no client at all.
    const dev = await callFrom(`${p}-new-dev`, ip, { 'dockscope.client': 'dev' });
    expect(dev.code, dev.stderr).toBe(0);
    expect(namesIn(dev.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-dev-target`]);
    const none = await callFrom(`${p}-new-none`, ip, {});
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('403 Forbidden');
    const web = await callFrom(`${p}-new-web`, ip, { [`${p}.web-caller`]: 'yes' });
    expect(web.code, web.stderr).toBe(0);
    expect(namesIn(web.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-web-target`]);
  });

  it('a label naming a client whose entry does not allow it picks nothing (403)', async () => {
    const res = await callFrom(`${p}-c3`, `${subnet}.70`, { 'dockscope.client': 'admin' });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('403 Forbidden');
  });

  it('a dockscope.client label inherited from the image counts for nothing', async () => {
    const base = `${p}-base`;
    made.push(base);
    await createContainer(dockerHost, image, { name: base, createOnly: true });
    await dockerOk(dockerHost, ['commit', '--change', 'LABEL dockscope.client=ops', base, `${p}-labelled`]);
    const res = await callFrom(`${p}-c4`, `${subnet}.80`, {}, { img: `${p}-labelled` });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('403 Forbidden');
  });

  it('with the event watch down nothing is kept: a new container at the address is still not the old one', async () => {
    const blind = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { text: yaml, path: 'caller.yml' }),
      pino({ level: 'silent' }),
      { watchEvents: false },
    );
    try {
      const to = Number(blind.addresses.net?.split(':').pop());
      const ip = `${subnet}.90`;
      const old = `${p}-old-blind`;
      made.push(old);
      await dockerOk(dockerHost, [
        'run',
        '-d',
        '--network',
        network,
        '--ip',
        ip,
        '--name',
        old,
        '--label',
        'dockscope.client=ops',
        image,
        'sleep',
        '3600',
      ]);
      const first = await dockerOk(dockerHost, [
        'exec',
        old,
        'busybox',
        'wget',
        '-qO-',
        `http://${gateway}:${to}/containers/json?all=1`,
      ]);
      expect(namesIn(first).filter((n) => n.startsWith(p))).toEqual([`${p}-ops-target`]);
      await dockerOk(dockerHost, ['rm', '-f', old]);
      const dev = await callFrom(`${p}-new-blind`, ip, { 'dockscope.client': 'dev' }, { to });
      expect(dev.code, dev.stderr).toBe(0);
      expect(namesIn(dev.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-dev-target`]);
    } finally {
      await blind.close();
    }
  });

  it('an IPv6 caller is found by its IPv6 address (the network’s endpoint; GlobalIPv6Address in inspect)', async () => {
    const net6 = `${p}-net6`;
    const prefix = `fd${randomInt(0x10, 0xff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::`;
    await dockerOk(dockerHost, [
      'network',
      'create',
      '--internal',
      '--ipv6',
      '--subnet',
      `${prefix}/64`,
      '--subnet',
      `10.${randomInt(200, 250)}.${randomInt(0, 256)}.0/24`,
      net6,
    ]);
    // The bridge's IPv6 address is usable once the bridge is up (a container on it) and past
    // duplicate address detection: until then binding it fails with EADDRNOTAVAIL.
    made.push(`${p}-six-keeper`);
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '--network',
      net6,
      '--name',
      `${p}-six-keeper`,
      image,
      'sleep',
      '3600',
    ]);
    const config = loadConfig(
      { LOG_LEVEL: 'silent' },
      { text: yaml.replace(`"${gateway}:0"`, `"[${prefix}1]:0"`), path: 'caller.yml' },
    );
    let six: Dockscope | undefined;
    for (let tries = 0; !six; tries++) {
      six = await startDockscope(config, pino({ level: 'silent' })).catch(async (error: unknown) => {
        if (tries >= 50 || !String(error).includes('EADDRNOTAVAIL')) throw error;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    try {
      const to = Number(six.addresses.net?.split(':').pop());
      const res = await callFrom(
        `${p}-c6`,
        `${prefix}50`,
        { 'dockscope.client': 'dev' },
        { to, net: net6, host: `[${prefix}1]` },
      );
      expect(res.code, res.stderr).toBe(0);
      expect(namesIn(res.stdout).filter((n) => n.startsWith(p))).toEqual([`${p}-dev-target`]);
    } finally {
      await six.close();
      await removeContainers(dockerHost, [`${p}-six-keeper`]);
      await dockerCli(dockerHost, ['network', 'rm', net6]);
    }
  });

  it('an address no container has (the gateway itself) matches no container client', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: gateway, port, path: '/containers/json', localAddress: gateway, agent: false },
        (r) => {
          let body = '';
          r.on('data', (c: Buffer) => {
            body += c.toString();
          });
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res).toEqual({
      status: 403,
      body: JSON.stringify({ message: 'dockscope: this connection matches no configured client' }),
    });
  });

  it('a restricted client may not label a container into a profile; its own owner label passes', async () => {
    const host = `tcp://${ds.addresses.lo}`;
    for (const label of ['dockscope.client=ops', 'DockScope.Client=ops', 'dockscope.anything=1']) {
      const res = await dockerCli(host, ['create', '--name', `${p}-lab`, '--label', label, image]);
      expect(res.code, label).not.toBe(0);
      expect(res.stderr).toContain(
        `Labels sets the label "${label.split('=')[0]}": labels under dockscope. are dockscope's own`,
      );
    }
    made.push(`${p}-own`);
    const own = await dockerCli(host, [
      'create',
      '--name',
      `${p}-own`,
      '--label',
      'dockscope.owner=ci',
      image,
    ]);
    expect(own.code, own.stderr).toBe(0);
  });
});
