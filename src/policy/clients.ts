import { createHash, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import type { ClientConfig, ClientMatch } from '../config/config.ts';
import { errors } from '../errors.ts';
import { remembered } from '../memo.ts';
import type { RouteRules } from '../routes/templates.ts';
import { compileRouteRules } from '../routes/templates.ts';
import type { CallerContainer } from './caller-container.ts';
import { compileContainerMatch } from './caller-container.ts';
import type { San } from './cert-san.ts';
import { parseSanEntry, sanKey } from './cert-san.ts';
import type { CreateRules } from './create-rules.ts';
import type { ContainerDirectory } from './directory.ts';
import { buildVisibility } from './matcher.ts';
import type { Ownership } from './ownership.ts';
import type { RegistryLists } from './registry-lists.ts';
import { ContainerResolver } from './resolver.ts';
import type { ResourceLimits } from './resource-limits.ts';

/** What a client is allowed and shown: compiled once from its configuration. */
export interface Profile {
  readonly client: string;
  readonly resolver: ContainerResolver;
  readonly scrubEnvs: boolean;
  /** Its create rules; null when none are in force. */
  readonly create: CreateRules | null;
  /** Its resource maxima and defaults; null when it has none. */
  readonly limits: ResourceLimits | null;
  /** The registries the daemon may contact on its behalf; null: no lists. */
  readonly registries: RegistryLists | null;
  /** Its owner label, when it has ownership. */
  readonly owner: Ownership | null;
  readonly routes: RouteRules;
  /** Learn mode: its allow/deny lists only report (`would-deny`); visibility and create rules hold. */
  readonly learning: boolean;
  /** Whether its match uses a token (then `Authorization` never goes upstream). */
  readonly usesToken: boolean;
}

/** What the connection and the request say about who sends it. */
export interface Caller {
  readonly listener: string;
  /** The peer's address; undefined on a unix socket. */
  readonly address: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The TLS client certificate's common name and subject alternative names (typed), when there is one. */
  readonly certificate?: { readonly cn: string; readonly san: readonly San[] };
  /** The container at its address (caller-addresses.ts), when a `container:` client needs it; null: none. */
  readonly container?: CallerContainer | null;
}

interface CompiledClient {
  readonly profile: Profile;
  /** 'yes', 'no', or 'token' (everything but the token holds: a 401 if no later client matches). */
  test(caller: Caller): 'yes' | 'no' | 'token';
}

export interface Clients {
  readonly names: readonly string[];
  /** Whether any client is recognised by a token: then no `Authorization` header goes upstream. */
  readonly usesTokens: boolean;
  /** Whether identifying this caller needs its container looked up (a `container:` client may match). */
  needsContainer(caller: Caller): boolean;
  /** A client's profile by its name (the benchmark and tests; `explain`). */
  identifyByName(name: string): Profile;
  /** The client a request belongs to, or the Docker-style refusal (401 bad token, 403 no client). */
  identify(caller: Caller): Profile;
}

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

async function addressList(entries: readonly string[], what: string): Promise<BlockList> {
  const list = new BlockList();
  for (const entry of entries) {
    const parts = entry.split('/');
    if (parts.length > 2) throw new Error(`${what}: "${entry}" is not an address or a CIDR`);
    const [base = '', bits] = parts;
    const family = isIP(base);
    if (family !== 0) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (bits === undefined) list.addAddress(base, type);
      else {
        const prefix = Number(bits);
        if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128))
          throw new Error(`${what}: "${entry}" is not a CIDR`);
        list.addSubnet(base, prefix, type);
      }
      continue;
    }
    if (bits !== undefined) throw new Error(`${what}: "${entry}" is not a CIDR`);
    // A host name (a compose service, say): its addresses at start.
    const found = await lookup(entry, { all: true }).catch(() => {
      throw new Error(`${what}: host name "${entry}" does not resolve`);
    });
    for (const a of found) list.addAddress(a.address, a.family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

const inList = (list: BlockList, address: string | undefined) => {
  if (address === undefined) return false;
  const plain = plainAddress(address);
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
};

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The Bearer token of a request, if it sent one. */
function bearer(headers: Caller['headers']): string | undefined {
  const value = headers.authorization;
  const text = Array.isArray(value) ? value[0] : value;
  const m = text ? /^Bearer\s+(\S+)\s*$/i.exec(text) : null;
  return m?.[1];
}

async function compileMatch(
  match: ClientMatch,
  where: string,
  client: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ test: (c: Caller) => 'yes' | 'no' | 'token'; usesToken: boolean }> {
  const checks: ((c: Caller) => boolean)[] = [];
  if (match.listener) {
    const names = new Set(match.listener);
    checks.push((c) => names.has(c.listener));
  }
  if (match.from) {
    const list = await addressList(match.from, `${where}.match.from`);
    // Peers repeat: each address is checked once.
    const listed = remembered((address: string | undefined) => inList(list, address), 4096);
    checks.push((c) => listed(c.address));
  }
  if (match.container) {
    const matches = compileContainerMatch(match.container, client);
    checks.push((c) => matches(c.container));
  }
  if (match.certificate) {
    const cns = new Set(match.certificate.cn ?? []);
    // Compared with their type: an untyped entry is a DNS name, never a URI or email name (issue #19).
    const sans = new Set(
      (match.certificate.san ?? []).map((entry, j) => {
        try {
          return sanKey(parseSanEntry(entry));
        } catch (error) {
          throw new Error(`${where}.match.certificate.san[${j}]: ${(error as Error).message}`);
        }
      }),
    );
    checks.push((c) => {
      const cert = c.certificate;
      if (!cert) return false;
      return (
        (cns.size === 0 || cns.has(cert.cn)) && (sans.size === 0 || cert.san.some((s) => sans.has(sanKey(s))))
      );
    });
  }
  if (match.header) {
    const { name, value, trustedProxies } = match.header;
    const proxies = await addressList(trustedProxies, `${where}.match.header.trustedProxies`);
    const values = value ? new Set(value) : null;
    const key = name.toLowerCase();
    checks.push((c) => {
      if (!inList(proxies, c.address)) return false;
      const v = c.headers[key];
      const text = Array.isArray(v) ? v[0] : v;
      return text !== undefined && (values === null || values.has(text));
    });
  }
  let token: Buffer | null = null;
  if (match.token) {
    const secret = match.token.file
      ? (
          await readFile(match.token.file, 'utf8').catch(() => {
            throw new Error(`${where}.match.token.file: cannot read ${match.token?.file}`);
          })
        ).trim()
      : (env[match.token.env ?? ''] ?? '').trim();
    if (secret === '') throw new Error(`${where}.match.token: the token is empty`);
    token = digest(secret);
  }
  const expected = token;
  return {
    usesToken: expected !== null,
    test: (c) => {
      for (const check of checks) if (!check(c)) return 'no';
      if (expected === null) return 'yes';
      const sent = bearer(c.headers);
      // Compared in constant time, as digests of equal length.
      return sent !== undefined && timingSafeEqual(digest(sent), expected) ? 'yes' : 'token';
    },
  };
}

/** Compiles the configured clients against the shared container directory. */
export async function compileClients(
  configs: readonly ClientConfig[],
  directory: ContainerDirectory,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Clients> {
  const compiled: CompiledClient[] = [];
  for (const [i, config] of configs.entries()) {
    const where = `clients[${i}] (${config.name})`;
    const match = await compileMatch(config.match, where, config.name, env);
    compiled.push({
      profile: {
        client: config.name,
        resolver: new ContainerResolver(directory, buildVisibility(config.containers)),
        scrubEnvs: config.scrubEnvs,
        create: config.create,
        limits: config.limits ?? null,
        registries: config.registries ?? null,
        owner: config.owner,
        learning: config.mode === 'learn',
        routes: compileRouteRules(config.allow, config.deny),
        usesToken: match.usesToken,
      },
      test: match.test,
    });
  }
  // Only callers that could reach a `container:` client cost a look-up (a unix socket never does).
  const containerListeners = configs.filter((c) => c.match.container).map((c) => c.match.listener ?? null);
  return {
    needsContainer: (caller) =>
      caller.address !== undefined &&
      containerListeners.some((names) => names === null || names.includes(caller.listener)),
    names: configs.map((c) => c.name),
    usesTokens: compiled.some((c) => c.profile.usesToken),
    identifyByName: (name) => {
      const found = compiled.find((c) => c.profile.client === name);
      if (!found) throw new Error(`no client named ${name}`);
      return found.profile;
    },
    identify: (caller) => {
      let tokenWanted = false;
      for (const c of compiled) {
        const result = c.test(caller);
        if (result === 'yes') return c.profile;
        if (result === 'token') tokenWanted = true;
      }
      if (tokenWanted) throw errors.unauthorized();
      throw errors.noClient();
    },
  };
}
