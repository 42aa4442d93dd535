import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../../src/config/config.ts';
import type { Caller, Client, Clients } from '../../../src/policy/clients.ts';
import { compileClients } from '../../../src/policy/clients.ts';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

/** A decision these fixed addresses make at once: no host name is looked up. */
const now =
  (clients: Clients) =>
  (caller: Caller): Client => {
    const found = clients.identify(caller);
    if (found instanceof Promise) throw new Error('identify waited for a host name');
    return found;
  };

const directory = new ContainerDirectory(
  { display: 'stub' } as unknown as Upstream,
  1000,
  pino({ level: 'silent' }),
);
const client = (name: string, match: ClientConfig['match']): ClientConfig => ({
  name,
  match,
  containers: 'all',
  create: null,
  owner: null,
  scrubEnvs: false,
});
const caller = (c: Partial<Caller>): Caller => ({ listener: 'lan', address: '10.0.0.5', headers: {}, ...c });

describe('client identification', () => {
  it('tried in order: the first whose every key holds wins', async () => {
    const clients = await compileClients(
      [
        client('dash', { listener: ['lan'], from: ['172.18.0.0/16', '10.0.0.7'] }),
        client('lan-rest', { listener: ['lan'] }),
        client('admin', { listener: ['secure'], certificate: { cn: ['ops-admin'] } }),
      ],
      directory,
    );
    expect(now(clients)(caller({ address: '172.18.3.4' })).name).toBe('dash');
    expect(now(clients)(caller({ address: '::ffff:172.18.3.4' })).name).toBe('dash');
    expect(now(clients)(caller({ address: '10.0.0.7' })).name).toBe('dash');
    expect(now(clients)(caller({ address: '10.0.0.8' })).name).toBe('lan-rest');
    expect(now(clients)(caller({ listener: 'secure', certificate: { cn: 'ops-admin', san: [] } })).name).toBe(
      'admin',
    );
    expect(() =>
      now(clients)(caller({ listener: 'secure', certificate: { cn: 'intruder', san: [] } })),
    ).toThrow(
      expect.objectContaining({
        status: 403,
        message: 'dockscope: this connection matches no configured client',
      }),
    );
    expect(() => now(clients)(caller({ listener: 'secure' }))).toThrow(
      expect.objectContaining({ status: 403 }),
    );
  });

  it('with many token clients (issue #26: looked up by the sent token), the first that matches still wins', async () => {
    const env: Record<string, string> = { SHARED: 'shared-token' };
    const configs = [
      client('lan-only', { listener: ['lan'], from: ['10.9.9.9'] }),
      ...Array.from({ length: 1000 }, (_, i) => {
        env[`T${i}`] = `token-${i}`;
        return client(`t${i}`, { token: { env: `T${i}` } });
      }),
      client('first-shared', { listener: ['secure'], token: { env: 'SHARED' } }),
      client('second-shared', { token: { env: 'SHARED' } }),
      client('anyone-on-lan', { listener: ['lan'] }),
    ];
    const clients = await compileClients(configs, directory, env);
    const withToken = (t: string, listener = 'lan') =>
      caller({ listener, headers: { authorization: `Bearer ${t}` } });
    expect(now(clients)(withToken('token-999')).name).toBe('t999');
    expect(now(clients)(withToken('token-0')).name).toBe('t0');
    // An earlier client without a token that matches comes first, token or not.
    expect(
      now(clients)(caller({ address: '10.9.9.9', headers: { authorization: 'Bearer token-5' } })).name,
    ).toBe('lan-only');
    // Two clients with one token: the first whose other keys hold.
    expect(now(clients)(withToken('shared-token', 'secure')).name).toBe('first-shared');
    expect(now(clients)(withToken('shared-token')).name).toBe('second-shared');
    // A wrong token on the lan: the tokenless client after them; elsewhere, 401 as before.
    expect(now(clients)(withToken('nobody')).name).toBe('anyone-on-lan');
    expect(() => now(clients)(withToken('nobody', 'secure'))).toThrow(
      expect.objectContaining({ status: 401 }),
    );
    expect(() => now(clients)(caller({ listener: 'secure' }))).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });

  it('with many clients matched by address (issue #26: runs of them remembered per peer), the first that matches wins', async () => {
    const configs = [
      ...Array.from({ length: 500 }, (_, i) => client(`a${i}`, { from: [`10.1.${i >> 8}.${i & 255}`] })),
      client('lan-wide', { listener: ['lan'], from: ['10.1.0.0/16'] }),
      client('by-header', { header: { name: 'x-client', value: ['h'], trustedProxies: ['10.2.0.0/16'] } }),
      ...Array.from({ length: 500 }, (_, i) =>
        client(`b${i}`, { listener: ['api'], from: [`10.2.${i >> 8}.${i & 255}`] }),
      ),
      client('rest', { listener: ['lan'] }),
    ];
    const clients = await compileClients(configs, directory);
    const id = (c: Partial<Caller>) => now(clients)(caller(c)).name;
    for (let round = 0; round < 2; round++) {
      // The second round answers from what the first remembered: the same clients.
      expect(id({ address: '10.1.1.243' })).toBe('a499');
      expect(id({ address: '10.1.0.7' })).toBe('a7');
      expect(id({ address: '::ffff:10.1.0.8' })).toBe('a8');
      expect(id({ address: '10.1.9.9' })).toBe('lan-wide');
      expect(() => id({ address: '10.1.9.9', listener: 'api' })).toThrow(
        expect.objectContaining({ status: 403 }),
      );
      expect(id({ address: '10.2.0.5', headers: { 'x-client': 'h' } })).toBe('by-header');
      expect(id({ address: '10.2.0.5', listener: 'api' })).toBe('b5');
      expect(id({ address: '10.2.0.5' })).toBe('rest');
      expect(() => id({ address: '10.3.0.1', listener: 'api' })).toThrow(
        expect.objectContaining({ status: 403 }),
      );
      expect(() => id({ address: undefined, listener: 'api' })).toThrow(
        expect.objectContaining({ status: 403 }),
      );
      expect(id({ address: undefined })).toBe('rest');
    }
  });

  it('a token from a file or the environment, as a Bearer token; a wrong or missing one is 401', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-token-'));
    await writeFile(join(dir, 'token'), 's3cret-token\n');
    const clients = await compileClients(
      [
        client('scripts', { token: { file: join(dir, 'token') } }),
        client('ci', { token: { env: 'CI_TOKEN' } }),
      ],
      directory,
      { CI_TOKEN: 'ci-token' },
    );
    const withToken = (t: string) => caller({ headers: { authorization: `Bearer ${t}` } });
    expect(now(clients)(withToken('s3cret-token'))).toMatchObject({ name: 'scripts', usesToken: true });
    expect(now(clients)(withToken('ci-token')).name).toBe('ci');
    expect(() => now(clients)(withToken('nope'))).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => now(clients)(caller({}))).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('a header counts only from a trusted proxy', async () => {
    const clients = await compileClients(
      [client('via-nginx', { header: { name: 'X-Client', value: ['dash'], trustedProxies: ['10.0.0.1'] } })],
      directory,
    );
    expect(now(clients)(caller({ address: '10.0.0.1', headers: { 'x-client': 'dash' } })).name).toBe(
      'via-nginx',
    );
    expect(() => now(clients)(caller({ address: '10.0.0.2', headers: { 'x-client': 'dash' } }))).toThrow(
      expect.objectContaining({ status: 403 }),
    );
  });

  it('a unix-socket caller has no address: "from" never matches it', async () => {
    const clients = await compileClients([client('a', { from: ['0.0.0.0/0'] }), client('b', {})], directory);
    expect(now(clients)(caller({ address: undefined })).name).toBe('b');
  });

  it.each<[ClientConfig['match'], RegExp]>([
    [{ from: ['10.0.0.0/33'] }, /is not a CIDR/],
    [{ from: ['10.0.0.0/8/x'] }, /is not an address or a CIDR/],
    [{ from: ['not a host'] }, /"not a host" is neither an address, a CIDR nor a host name/],
  ])('a match that cannot be set up fails at start: %j', async (match, message) => {
    await expect(compileClients([client('x', match)], directory, {})).rejects.toThrow(message);
  });

  // Issue #22: a missing file, an unreadable one and an unset variable used to read the same.
  it('a token that cannot be had names its cause: the errno, the file, the variable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-token-errors-'));
    await writeFile(join(dir, 'empty'), '\n');
    const failure = (match: ClientConfig['match'], env: Record<string, string> = {}) =>
      compileClients([client('x', match)], directory, env).then(
        () => 'started',
        (error: Error) => error.message,
      );
    expect([
      await failure({ token: { file: join(dir, 'missing') } }),
      await failure({ token: { file: dir } }),
      await failure({ token: { file: join(dir, 'empty') } }),
      await failure({ token: { env: 'UNSET_TOKEN' } }),
      await failure({ token: { env: 'BLANK_TOKEN' } }, { BLANK_TOKEN: ' ' }),
    ]).toEqual([
      `clients[0] (x).match.token.file: cannot read ${dir}/missing: ENOENT (no such file or directory)`,
      `clients[0] (x).match.token.file: cannot read ${dir}: EISDIR (is a directory)`,
      `clients[0] (x).match.token.file: the token file ${dir}/empty is empty`,
      'clients[0] (x).match.token.env: the environment variable UNSET_TOKEN is unset: set it to the token',
      'clients[0] (x).match.token.env: the environment variable BLANK_TOKEN is empty: set it to the token',
    ]);
  });

  it('a host name that does not resolve never fails the start: it matches nothing, and is reported (issue #22)', async () => {
    const clients = await compileClients(
      [client('homepage', { from: ['no-such-host.invalid'] }), client('rest', { listener: ['other'] })],
      directory,
      {},
    );
    expect(clients.unresolved).toEqual(['clients[0] (homepage).match.from: no-such-host.invalid']);
    await expect(Promise.resolve().then(() => clients.identify(caller({})))).rejects.toMatchObject({
      status: 403,
    });
  });

  it('a recreated container with a new address is recognised at its first request; its old address no longer is', async () => {
    const table: Record<string, string[]> = { homepage: ['172.18.0.5'] };
    const lookup = async (name: string) => (table[name] ?? []).map((address) => ({ address }));
    const changes: [string, readonly string[] | null][] = [];
    const log = {
      info: (o: { host: string; addresses: string[] }) => changes.push([o.host, o.addresses]),
      warn: (o: { host: string }) => changes.push([o.host, null]),
    };
    const clients = await compileClients(
      [client('homepage', { from: ['homepage'] }), client('rest', { listener: ['lan'] })],
      directory,
      {},
      { hostNames: { lookup, ttlMs: 0, missMemoMs: 0 }, log: log as unknown as Logger },
    );
    expect(clients.unresolved).toEqual([]);
    expect((await clients.identify(caller({ address: '172.18.0.5' }))).name).toBe('homepage');
    table.homepage = ['172.18.0.9'];
    expect((await clients.identify(caller({ address: '::ffff:172.18.0.9' }))).name).toBe('homepage');
    expect((await clients.identify(caller({ address: '172.18.0.5' }))).name).toBe('rest');
    delete table.homepage;
    expect((await clients.identify(caller({ address: '172.18.0.9' }))).name).toBe('rest');
    // Logged once per change.
    expect(changes).toEqual([
      ['homepage', ['172.18.0.5']],
      ['homepage', ['172.18.0.9']],
      ['homepage', null],
    ]);
  });
});
