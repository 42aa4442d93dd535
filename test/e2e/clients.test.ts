import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { Dockscope } from '../../src/server/server.ts';
import { startDockscope } from '../../src/server/server.ts';
import { makeCa } from '../harness/certs.ts';
import { dockerCli } from '../harness/docker-cli.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

/**
 * One dockscope serving several clients at once, each recognised its own way, with the real Docker
 * CLI: a read-only dashboard by source address, a CI runner on a unix socket owned by uid 1000, a
 * script with a token in the CLI's config.json, an administrator with a client certificate.
 */
describe('one dockscope, several clients', () => {
  const p = uniquePrefix('cl');
  let dir: string;
  let ds: Dockscope;
  let socketPath: string;
  let tls: { ca: string; cert: string; key: string; otherCert: string; otherKey: string };
  const sanCerts: Record<'dns' | 'uri' | 'email' | 'ip', { cert: string; key: string }> = {
    dns: { cert: '', key: '' },
    uri: { cert: '', key: '' },
    email: { cert: '', key: '' },
    ip: { cert: '', key: '' },
  };
  const token = `tok-${p}-${Math.random().toString(36).slice(2)}`;
  const names = ['dash', 'web', 'ci', 'db'].map((s) => `${p}-${s}`);
  const port = (listener: string) => Number(ds.addresses[listener]?.split(':').pop());
  const tcp = (listener: string) => `tcp://127.0.0.1:${port(listener)}`;
  const psNames = async (host: string, extra: string[] = [], opts = {}) => {
    const res = await dockerCli(host, [...extra, 'ps', '-a', '--format', '{{.Names}}'], opts);
    return {
      ...res,
      names: res.stdout
        .split('\n')
        .filter((n) => n.startsWith(`${p}-`))
        .sort(),
    };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ds-clients-'));
    // The CI socket's directory must be reachable by uid 1000; the socket itself is 0660 1000:1000.
    await chmod(dir, 0o755);
    socketPath = join(dir, 'ci.sock');
    await createContainer(dockerHost, image, { name: `${p}-dash`, labels: { [`${p}.dash`]: '1' } });
    for (const n of ['web', 'ci', 'db']) await createContainer(dockerHost, image, { name: `${p}-${n}` });
    const ca = await makeCa(dir, 'good');
    const server = await ca.issue('server', { cn: 'localhost', server: true });
    const admin = await ca.issue('admin', { cn: 'ops-admin' });
    const other = await (await makeCa(dir, 'other')).issue('intruder', { cn: 'ops-admin' });
    tls = { ca: ca.ca, cert: admin.cert, key: admin.key, otherCert: other.cert, otherKey: other.key };
    // The same name under four types: only the DNS name (and the IP) is what `san` names.
    for (const [kind, san] of [
      ['dns', 'DNS:ops-admin'],
      ['uri', 'URI:ops-admin'],
      ['email', 'email:ops-admin'],
      ['ip', 'IP:0:0:0:0:0:0:0:1'],
    ] as const) {
      sanCerts[kind] = await ca.issue(`san-${kind}`, { cn: `someone-${kind}`, san });
    }
    await writeFile(join(dir, 'token'), `${token}\n`);
    const yaml = `
upstream: ${dockerHost}
listeners:
  - { name: lan, address: "127.0.0.1:0" }
  - { name: api, address: "127.0.0.1:0" }
  - { name: other, address: "127.0.0.1:0" }
  - name: ci
    address: unix://${socketPath}
    socket: { owner: 1000, group: 1000, mode: "0660" }
  - name: secure
    address: "127.0.0.1:0"
    tls: { cert: ${server.cert}, key: ${server.key}, clientCa: ${ca.ca} }
  - name: secure-san
    address: "127.0.0.1:0"
    tls: { cert: ${server.cert}, key: ${server.key}, clientCa: ${ca.ca} }
clients:
  - name: san-admin
    match: { listener: secure-san, certificate: { san: [ops-admin, "IP:::1"] } }
    containers: all
  - name: dashboard
    match: { listener: lan, from: [127.0.0.1] }
    containers: { labels: [${p}.dash] }
    allow: [read-only]
  - name: ci-runner
    match: { listener: ci }
    containers: { names: [${p}-ci], match: exact }
  - name: scripts
    match: { listener: api, token: { file: ${join(dir, 'token')} } }
    containers: { names: [${p}-web] }
  - name: admin
    match: { listener: secure, certificate: { cn: [ops-admin] } }
    containers: all
`;
    const path = join(dir, 'dockscope.yml');
    await writeFile(path, yaml);
    ds = await startDockscope(
      loadConfig({ LOG_LEVEL: 'silent' }, { path, text: yaml }),
      pino({ level: 'silent' }),
    );
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, names);
    await rm(dir, { recursive: true, force: true });
  });

  it('the dashboard, recognised by its address, sees its labelled container and may not start it', async () => {
    const ps = await psNames(tcp('lan'));
    expect(ps.names).toEqual([`${p}-dash`]);
    const start = await dockerCli(tcp('lan'), ['start', `${p}-dash`]);
    expect(start.code).not.toBe(0);
    expect(start.stderr).toContain(`is not allowed for client "dashboard" (allow: no entry matches)`);
  });

  it('the CI runner reaches its unix socket as uid 1000 and sees its container; uid 1001 cannot connect', async () => {
    const info = await stat(socketPath);
    expect([info.uid, info.gid, info.mode & 0o777]).toEqual([1000, 1000, 0o660]);
    const ps = await psNames(`unix://${socketPath}`, [], { asUser: { uid: 1000, gid: 1000 } });
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.names).toEqual([`${p}-ci`]);
    const denied = await psNames(`unix://${socketPath}`, [], { asUser: { uid: 1001, gid: 1001 } });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/permission denied/i);
  });

  it('a script sends its token through HttpHeaders in config.json; a wrong token gets 401', async () => {
    const config = async (t: string) => {
      const d = join(dir, `cli-${t.length}-${Math.random().toString(36).slice(2)}`);
      await mkdir(d);
      await writeFile(
        join(d, 'config.json'),
        JSON.stringify({ HttpHeaders: { Authorization: `Bearer ${t}` } }),
      );
      return d;
    };
    const ok = await psNames(tcp('api'), ['--config', await config(token)]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.names).toEqual([`${p}-web`]);
    const wrong = await psNames(tcp('api'), ['--config', await config('wrong-token')]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('this client needs a valid token');
    const raw = await rawRequest({ url: `http://127.0.0.1:${port('api')}` }, 'GET', '/_ping');
    expect(raw.status).toBe(401);
  });

  it('the administrator, by client certificate, sees every container; a certificate of another CA fails the handshake', async () => {
    const flags = (cert: string, key: string) => [
      '--tlsverify',
      '--tlscacert',
      tls.ca,
      '--tlscert',
      cert,
      '--tlskey',
      key,
    ];
    const admin = await psNames(tcp('secure'), flags(tls.cert, tls.key));
    expect(admin.code, admin.stderr).toBe(0);
    expect(admin.names).toEqual([...names].sort());
    const intruder = await psNames(tcp('secure'), flags(tls.otherCert, tls.otherKey));
    expect(intruder.code).not.toBe(0);
    expect(intruder.stderr).toMatch(/certificate|tls/i);
    expect(intruder.names).toEqual([]);
  });

  it('certificate SANs keep their type: san [ops-admin] is the DNS name, not a URI or email of that text; IPs compare as addresses', async () => {
    const flags = (c: { cert: string; key: string }) => [
      '--tlsverify',
      '--tlscacert',
      tls.ca,
      '--tlscert',
      c.cert,
      '--tlskey',
      c.key,
    ];
    for (const kind of ['dns', 'ip'] as const) {
      const ok = await psNames(tcp('secure-san'), flags(sanCerts[kind]));
      expect(ok.code, `${kind}: ${ok.stderr}`).toBe(0);
      expect(ok.names).toEqual([...names].sort());
    }
    for (const kind of ['uri', 'email'] as const) {
      const refused = await psNames(tcp('secure-san'), flags(sanCerts[kind]));
      expect(refused.code, kind).not.toBe(0);
      expect(refused.stderr).toContain('dockscope: this connection matches no configured client');
      expect(refused.names).toEqual([]);
    }
  });

  it('a connection that matches no client gets 403', async () => {
    const res = await rawRequest({ url: `http://127.0.0.1:${port('other')}` }, 'GET', '/containers/json');
    expect(res.status).toBe(403);
    expect(json(res)).toEqual({ message: 'dockscope: this connection matches no configured client' });
  });
});
