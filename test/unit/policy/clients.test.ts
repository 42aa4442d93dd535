import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../../src/config/config.ts';
import type { Caller } from '../../../src/policy/clients.ts';
import { compileClients } from '../../../src/policy/clients.ts';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

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
    expect(clients.identify(caller({ address: '172.18.3.4' })).client).toBe('dash');
    expect(clients.identify(caller({ address: '::ffff:172.18.3.4' })).client).toBe('dash');
    expect(clients.identify(caller({ address: '10.0.0.7' })).client).toBe('dash');
    expect(clients.identify(caller({ address: '10.0.0.8' })).client).toBe('lan-rest');
    expect(
      clients.identify(caller({ listener: 'secure', certificate: { cn: 'ops-admin', san: [] } })).client,
    ).toBe('admin');
    expect(() =>
      clients.identify(caller({ listener: 'secure', certificate: { cn: 'intruder', san: [] } })),
    ).toThrow(
      expect.objectContaining({
        status: 403,
        message: 'dockscope: this connection matches no configured client',
      }),
    );
    expect(() => clients.identify(caller({ listener: 'secure' }))).toThrow(
      expect.objectContaining({ status: 403 }),
    );
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
    expect(clients.identify(withToken('s3cret-token'))).toMatchObject({ client: 'scripts', usesToken: true });
    expect(clients.identify(withToken('ci-token')).client).toBe('ci');
    expect(() => clients.identify(withToken('nope'))).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => clients.identify(caller({}))).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('a header counts only from a trusted proxy', async () => {
    const clients = await compileClients(
      [client('via-nginx', { header: { name: 'X-Client', value: ['dash'], trustedProxies: ['10.0.0.1'] } })],
      directory,
    );
    expect(clients.identify(caller({ address: '10.0.0.1', headers: { 'x-client': 'dash' } })).client).toBe(
      'via-nginx',
    );
    expect(() => clients.identify(caller({ address: '10.0.0.2', headers: { 'x-client': 'dash' } }))).toThrow(
      expect.objectContaining({ status: 403 }),
    );
  });

  it('a unix-socket caller has no address: "from" never matches it', async () => {
    const clients = await compileClients([client('a', { from: ['0.0.0.0/0'] }), client('b', {})], directory);
    expect(clients.identify(caller({ address: undefined })).client).toBe('b');
  });

  it.each<[ClientConfig['match'], RegExp]>([
    [{ from: ['10.0.0.0/33'] }, /is not a CIDR/],
    [{ from: ['10.0.0.0/8/x'] }, /is not an address or a CIDR/],
    [{ from: ['no-such-host.invalid'] }, /does not resolve/],
    [{ token: { env: 'UNSET_TOKEN' } }, /the token is empty/],
    [{ token: { file: '/nonexistent/token' } }, /cannot read/],
  ])('a match that cannot be set up fails at start: %j', async (match, message) => {
    await expect(compileClients([client('x', match)], directory, {})).rejects.toThrow(message);
  });
});
