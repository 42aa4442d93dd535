import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { San } from '../../../src/policy/cert-san.ts';
import { normalizeIp, parseSanEntry, parseSubjectAltName, sanKey } from '../../../src/policy/cert-san.ts';
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

const matches = (entries: string[], sans: San[]) => {
  const keys = new Set(entries.map((e) => sanKey(parseSanEntry(e))));
  return sans.some((s) => keys.has(sanKey(s)));
};

describe('certificate SANs keep their type', () => {
  it.each<[string, string[], string, boolean]>([
    ['an untyped entry is a DNS name', ['ops-admin'], 'DNS:ops-admin', true],
    ['an untyped entry does not match a URI name', ['ops-admin'], 'URI:ops-admin', false],
    ['an untyped entry does not match an email name', ['ops-admin'], 'email:ops-admin', false],
    ['DNS: matches DNS', ['DNS:ops-admin'], 'DNS:ops-admin', true],
    ['DNS names compare case-insensitively', ['DNS:Ops-Admin'], 'DNS:ops-admin', true],
    ['DNS: does not match a URI', ['DNS:ops-admin'], 'URI:ops-admin', false],
    ['URI: matches a URI exactly', ['URI:spiffe://ci/ops'], 'URI:spiffe://ci/ops', true],
    ['URI: does not match a DNS name', ['URI:ops-admin'], 'DNS:ops-admin', false],
    ['email: matches email', ['email:a@b.example'], 'email:a@b.example', true],
    ['IP: compares addresses', ['IP:::1'], 'IP Address:0:0:0:0:0:0:0:1', true],
    ['IP Address: is the same type', ['IP Address:10.0.0.1'], 'IP Address:10.0.0.1', true],
    ['IP: is not a DNS name of the same text', ['IP:10.0.0.1'], 'DNS:10.0.0.1', false],
    ['IPv4-mapped is another address', ['IP:10.0.0.1'], 'IP Address:0:0:0:0:0:ffff:a00:1', false],
  ])('%s', (_name, entries, subjectaltname, expected) => {
    expect(matches(entries, parseSubjectAltName(subjectaltname))).toBe(expected);
  });

  it.each<[string, San[]]>([
    ['', []],
    [
      'DNS:a, IP Address:10.0.0.1, URI:spiffe://x/y, email:a@b',
      [
        { type: 'DNS', value: 'a' },
        { type: 'IP', value: '10.0.0.1' },
        { type: 'URI', value: 'spiffe://x/y' },
        { type: 'email', value: 'a@b' },
      ],
    ],
    // Node quotes a value holding a comma (CVE-2021-44532): it is one name, not two.
    [
      'DNS:"a, DNS:b", DNS:c',
      [
        { type: 'DNS', value: 'a, DNS:b' },
        { type: 'DNS', value: 'c' },
      ],
    ],
    ['othername:<unsupported>, DNS:c', [{ type: 'DNS', value: 'c' }]],
  ])('reads Node’s subjectaltname %j', (text, expected) => {
    expect(parseSubjectAltName(text)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ['spiffe://ci/ops', /write DNS:, IP:, URI: or email:/],
    ['a@b.example', /write email:a@b.example/],
    ['IP:ops-admin', /is not an IP address/],
    ['RID:1.2.3', /no known type/],
    ['DNS:', /names no DNS value/],
  ])('a bad entry is refused: %s', (entry, message) => {
    expect(() => parseSanEntry(entry)).toThrow(message);
  });

  it('normalizes IPv6 spellings', () => {
    expect(normalizeIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(normalizeIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('ops')).toBeNull();
  });

  it('a client matched by san: [ops-admin] is not a certificate whose URI is ops-admin', async () => {
    const directory = new ContainerDirectory(
      { display: 'stub' } as unknown as Upstream,
      1000,
      pino({ level: 'silent' }),
    );
    const clients = await compileClients(
      [
        {
          name: 'admin',
          match: { certificate: { san: ['ops-admin'] } },
          containers: 'all',
          create: null,
          owner: null,
          scrubEnvs: false,
        },
      ],
      directory,
    );
    const by = (text: string) => ({
      listener: 'x',
      address: '10.0.0.1',
      headers: {},
      certificate: { cn: 'x', san: parseSubjectAltName(text) },
    });
    expect(now(clients)(by('DNS:ops-admin')).name).toBe('admin');
    expect(() => now(clients)(by('URI:ops-admin'))).toThrow(/matches no configured client/);
    expect(() => now(clients)(by('email:ops-admin'))).toThrow(/matches no configured client/);
  });
});
