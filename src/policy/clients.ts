import { createHash, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClientConfig, ClientMatch } from '../config/config.ts';
import { errors } from '../errors.ts';
import { remembered } from '../memo.ts';
import type { RouteRules } from '../routes/templates.ts';
import { compileRouteRules } from '../routes/templates.ts';
import { addressList, inAddresses, inList, plainAddress } from './address-list.ts';
import type { CallerContainer } from './caller-container.ts';
import { compileContainerMatch } from './caller-container.ts';
import type { San } from './cert-san.ts';
import { parseSanEntry, sanKey } from './cert-san.ts';
import type { CreateRules } from './create-rules.ts';
import type { ContainerDirectory } from './directory.ts';
import type { HostNameOptions } from './host-names.ts';
import { HOST_NAME_DEFAULTS, HostNames } from './host-names.ts';
import { buildVisibility } from './matcher.ts';
import type { Ownership } from './ownership.ts';
import type { RegistryLists } from './registry-lists.ts';
import { ContainerResolver } from './resolver.ts';
import type { ResourceLimits } from './resource-limits.ts';
import { readTokenSecret } from './token-secret.ts';

/** What a client is allowed and shown: compiled once from its configuration. */
export interface Client {
  readonly name: string;
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

type Verdict = 'yes' | 'no' | 'token';

/** The SHA-256 of the Bearer token a request sent (null: none), when already computed for it. */
type SentToken = Buffer | null;

interface CompiledClient {
  readonly client: Client;
  /**
   * 'yes', 'no', or 'token' (everything but the token holds: a 401 if no later client matches); a
   * promise when a host name of its match has to be looked up first.
   */
  test(caller: Caller, sent?: SentToken): Verdict | Promise<Verdict>;
  /** The SHA-256 of its token, when its match has one. */
  readonly token: Buffer | null;
  /** Whether its verdict depends on the listener and the peer's address only (no names, no headers). */
  readonly byAddress: boolean;
}

export interface Clients {
  readonly names: readonly string[];
  /** Whether any client is recognised by a token: then no `Authorization` header goes upstream. */
  readonly usesTokens: boolean;
  /** Whether identifying this caller needs its container looked up (a `container:` client may match). */
  needsContainer(caller: Caller): boolean;
  /** A client by its name (the benchmark and tests; `explain`). */
  identifyByName(name: string): Client;
  /**
   * The client a request belongs to, or the Docker-style refusal (401 bad token, 403 no client): at
   * once, or a promise while a `from` host name is looked up (bounded, see host-names.ts).
   */
  identify(caller: Caller): Client | Promise<Client>;
  /** `where` and host name of every name that did not resolve when the clients were compiled. */
  readonly unresolved: readonly string[];
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The Bearer token of a request, if it sent one. */
function bearer(headers: Caller['headers']): string | undefined {
  const value = headers.authorization;
  const text = Array.isArray(value) ? value[0] : value;
  const m = text ? /^Bearer\s+(\S+)\s*$/i.exec(text) : null;
  return m?.[1];
}

function sentToken(c: Caller): SentToken {
  const sent = bearer(c.headers);
  return sent === undefined ? null : digest(sent);
}

type Check = (c: Caller) => boolean | Promise<boolean>;

/** Whether every check holds, from the i-th on: at once while they answer at once. */
function allHold(checks: readonly Check[], c: Caller, i = 0): boolean | Promise<boolean> {
  for (let j = i; j < checks.length; j++) {
    const held = (checks[j] as Check)(c);
    if (held instanceof Promise) return held.then((ok) => ok && allHold(checks, c, j + 1));
    if (!held) return false;
  }
  return true;
}

type NameLists = (names: readonly string[], what: string) => HostNames;

async function compileMatch(
  match: ClientMatch,
  where: string,
  client: string,
  env: Readonly<Record<string, string | undefined>>,
  hostNames: NameLists,
): Promise<{
  test: (c: Caller, sent?: SentToken) => Verdict | Promise<Verdict>;
  usesToken: boolean;
  token: Buffer | null;
  byAddress: boolean;
}> {
  const checks: Check[] = [];
  let fromNames = false;
  if (match.listener) {
    const names = new Set(match.listener);
    checks.push((c) => names.has(c.listener));
  }
  if (match.from) {
    const list = addressList(match.from, `${where}.match.from`, hostNames);
    // Peers repeat: each address is checked against the fixed entries once; host names change.
    const fixed = remembered(
      (address: string | undefined) => address !== undefined && inList(list.fixed, address),
      4096,
    );
    const names = list.names;
    fromNames = names !== null;
    checks.push(
      (c) =>
        fixed(c.address) ||
        (names !== null && c.address !== undefined && names.holds(plainAddress(c.address))),
    );
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
    const proxies = addressList(trustedProxies, `${where}.match.header.trustedProxies`, hostNames);
    const values = value ? new Set(value) : null;
    const key = name.toLowerCase();
    // The header first (it is at hand), then whether the peer is a trusted proxy.
    checks.push((c) => {
      const v = c.headers[key];
      const text = Array.isArray(v) ? v[0] : v;
      return text !== undefined && (values === null || values.has(text)) && inAddresses(proxies, c.address);
    });
  }
  const expected = match.token ? digest(await readTokenSecret(match.token, env, where)) : null;
  return {
    usesToken: expected !== null,
    token: expected,
    // Decided by the listener and the peer's fixed addresses alone: the same caller, the same verdict.
    byAddress: expected === null && !fromNames && !match.container && !match.certificate && !match.header,
    test: (c, known) => {
      const verdict = (held: boolean): Verdict => {
        if (!held) return 'no';
        if (expected === null) return 'yes';
        const sent = known === undefined ? sentToken(c) : known;
        // Compared in constant time, as digests of equal length.
        return sent !== null && timingSafeEqual(sent, expected) ? 'yes' : 'token';
      };
      const held = allHold(checks, c);
      return held instanceof Promise ? held.then(verdict) : verdict(held);
    },
  };
}

interface CompileOptions {
  /** Where host-name changes are logged, once per change. */
  readonly log?: Logger;
  /** TTL, miss memo, time-out and look-up of `from` host names; HOST_NAME_DEFAULTS else. */
  readonly hostNames?: Partial<HostNameOptions>;
}

/**
 * Compiles the configured clients against the shared container directory. Host names in `from` and
 * `trustedProxies` are looked up once here, bounded, and never fail it (issue #22): a name that does
 * not resolve is in `unresolved` and matches nothing until it does.
 */
export async function compileClients(
  configs: readonly ClientConfig[],
  directory: ContainerDirectory,
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: CompileOptions = {},
): Promise<Clients> {
  const compiled: CompiledClient[] = [];
  const lists: { what: string; names: HostNames }[] = [];
  const hostNames: NameLists = (names, what) => {
    const list = new HostNames(names, {
      ...HOST_NAME_DEFAULTS,
      ...options.hostNames,
      onChange: (name, addresses, why) => {
        if (addresses === null)
          options.log?.warn(
            { at: what, host: name, error: why },
            'host name does not resolve: it matches nothing until it does',
          );
        else options.log?.info({ at: what, host: name, addresses }, 'host name resolved');
      },
    });
    lists.push({ what, names: list });
    return list;
  };
  for (const [i, config] of configs.entries()) {
    const where = `clients[${i}] (${config.name})`;
    const match = await compileMatch(config.match, where, config.name, env, hostNames);
    compiled.push({
      client: {
        name: config.name,
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
      token: match.token,
      byAddress: match.byAddress,
    });
  }
  await Promise.all(lists.map((l) => l.names.prime()));
  const firstInRun = addressRuns(compiled);
  /** The clients from the i-th on: at once while their tests answer at once. */
  const identifyFrom = (caller: Caller, i: number, tokenWanted: boolean): Client | Promise<Client> => {
    let wanted = tokenWanted;
    for (let j = i; j < compiled.length; j++) {
      const c = compiled[j] as CompiledClient;
      const run = firstInRun(j, caller);
      if (run !== null) {
        if (run.hit !== -1) return (compiled[run.hit] as CompiledClient).client;
        j = run.end - 1;
        continue;
      }
      const result = c.test(caller);
      if (result instanceof Promise) {
        return result.then((r) =>
          r === 'yes' ? c.client : identifyFrom(caller, j + 1, wanted || r === 'token'),
        );
      }
      if (result === 'yes') return c.client;
      if (result === 'token') wanted = true;
    }
    if (wanted) throw errors.unauthorized();
    throw errors.noClient();
  };
  // Issue #26: with many token clients, testing each hashed the sent token once per client (1000
  // clients: 18x the CPU of one per request). A client whose token is not the one sent can never be
  // the first that matches, so the walk visits the clients without a token and those with the sent
  // one, in their order; when none matches, the full walk gives the refusal (401 or 403) as before.
  const byToken = new Map<string, number[]>();
  const tokenless: number[] = [];
  for (const [i, c] of compiled.entries()) {
    if (c.token === null) tokenless.push(i);
    else {
      const key = c.token.toString('hex');
      byToken.set(key, [...(byToken.get(key) ?? []), i]);
    }
  }
  const among = (
    caller: Caller,
    sent: SentToken,
    order: readonly number[],
    k: number,
  ): Client | null | Promise<Client | null> => {
    for (let j = k; j < order.length; j++) {
      const index = order[j] as number;
      const run = firstInRun(index, caller);
      if (run !== null) {
        if (run.hit !== -1) return (compiled[run.hit] as CompiledClient).client;
        // A run holds no token client: all of it is in `order`, one after the other.
        while (j + 1 < order.length && (order[j + 1] as number) < run.end) j++;
        continue;
      }
      const c = compiled[index] as CompiledClient;
      const result = c.test(caller, sent);
      if (result instanceof Promise)
        return result.then((r) => (r === 'yes' ? c.client : among(caller, sent, order, j + 1)));
      if (result === 'yes') return c.client;
    }
    return null;
  };
  const identify = (caller: Caller): Client | Promise<Client> => {
    if (byToken.size === 0) return identifyFrom(caller, 0, false);
    const sent = sentToken(caller);
    const mine = sent === null ? undefined : byToken.get(sent.toString('hex'));
    const found = among(caller, sent, mine ? mergeAscending(tokenless, mine) : tokenless, 0);
    if (found instanceof Promise) return found.then((p) => p ?? identifyFrom(caller, 0, false));
    return found ?? identifyFrom(caller, 0, false);
  };
  // Only callers that could reach a `container:` client cost a look-up (a unix socket never does).
  const containerListeners = configs.filter((c) => c.match.container).map((c) => c.match.listener ?? null);
  return {
    needsContainer: (caller) =>
      caller.address !== undefined &&
      containerListeners.some((names) => names === null || names.includes(caller.listener)),
    names: configs.map((c) => c.name),
    usesTokens: compiled.some((c) => c.client.usesToken),
    unresolved: lists.flatMap((l) => l.names.unresolved().map((name) => `${l.what}: ${name}`)),
    identifyByName: (name) => {
      const found = compiled.find((c) => c.client.name === name);
      if (!found) throw new Error(`no client named ${name}`);
      return found.client;
    },
    identify,
  };
}

/** Runs shorter than this are tested one by one: remembering them costs more than it saves. */
const MIN_RUN = 4;
/** Callers remembered per run, at most (a peer's address is the caller's to choose). */
const RUN_MEMO = 4096;

/**
 * Issue #26: 1000 clients matched by address cost 2x the CPU of one per request, each testing the
 * peer in turn. The verdict of a client matched by listener and fixed addresses alone depends on the
 * listener and the peer's address only, so for a run of such clients one after the other, which of
 * them (if any) matches first is remembered per listener and address. Returns, for a run from
 * `start`, the first that matches (-1: none) and where the run ends; null where there is no run.
 */
function addressRuns(
  compiled: readonly CompiledClient[],
): (start: number, caller: Caller) => { hit: number; end: number } | null {
  const end: number[] = new Array(compiled.length).fill(0);
  for (let j = compiled.length - 1; j >= 0; j--) {
    const next = compiled[j + 1]?.byAddress ? (end[j + 1] as number) : j + 1;
    end[j] = compiled[j]?.byAddress ? next : j;
  }
  const memos = new Map<number, Map<string, number>>();
  return (start, caller) => {
    const stop = end[start] as number;
    if (stop - start < MIN_RUN) return null;
    let memo = memos.get(start);
    if (!memo) {
      memo = new Map();
      memos.set(start, memo);
    }
    const key = `${caller.listener}\u0000${caller.address ?? '\u0001'}`;
    let hit = memo.get(key);
    if (hit === undefined) {
      hit = -1;
      for (let j = start; j < stop; j++) {
        const verdict = (compiled[j] as CompiledClient).test(caller);
        // Such a test answers at once; one that would not is not remembered (never the case).
        if (verdict instanceof Promise) return null;
        if (verdict === 'yes') {
          hit = j;
          break;
        }
      }
      if (memo.size >= RUN_MEMO) memo.clear();
      memo.set(key, hit);
    }
    return { hit, end: stop };
  };
}

/** Two ascending index lists as one. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && (a[i] as number) < (b[j] as number))) out.push(a[i++] as number);
    else out.push(b[j++] as number);
  }
  return out;
}
