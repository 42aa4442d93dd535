import { describe, expect, it } from 'vitest';
import type { CreateRules } from '../../../src/policy/create-rules.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { checkRegistryRoute } from '../../../src/policy/decide-registry.ts';
import type { DecideInput } from '../../../src/policy/forward.ts';
import type { RegistryLists } from '../../../src/policy/registry-lists.ts';
import { compileRegistryPattern } from '../../../src/policy/registry-lists.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import { stubResolver } from '../support/stub-resolver.ts';

/** Registries are literal addresses or Docker Hub throughout: nothing here is looked up in DNS. */
const LOOP = '127.0.0.1:5000';
const LAN = '10.1.2.3:5000';

function input(method: string, raw: string, body = ''): DecideInput {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  return { method, target, route, raw, readBody: async () => body };
}

const lists = (pull: string[] | null, push: string[] | null): RegistryLists => {
  const compile = (l: string[] | null) =>
    l === null
      ? null
      : l.map(
          (e) =>
            compileRegistryPattern(e) ??
            (() => {
              throw new Error(e);
            })(),
        );
  return { pull: compile(pull), push: compile(push) };
};

async function outcome(
  method: string,
  raw: string,
  create: CreateRules | null,
  registries: RegistryLists | null = null,
  body = '',
) {
  try {
    const forwarded = await checkRegistryRoute(input(method, raw, body), {
      create,
      registries,
      resolver: stubResolver([]).resolver,
    });
    return forwarded === undefined ? 'allowed' : { body: forwarded };
  } catch (error) {
    const e = error as { status: number; message: string; rule?: string };
    return { status: e.status, message: e.message, rule: e.rule };
  }
}

const fetchRefuses = (field: string, registry = LOOP) => ({
  status: 403,
  message: `dockscope: create rule "fetch" refuses ${field}: the registry ${registry} is on the host's loopback or link-local network`,
  rule: 'create rule fetch',
});

describe('checkRegistryRoute: the registry each request makes the daemon contact', () => {
  it.each<[string, string, (registry: string) => string]>([
    // method, field named when the registry is the host's loopback, target naming a registry
    ['POST', 'the fromImage query', (r) => `/v1.41/images/create?fromImage=${r}/app&tag=1`],
    ['POST', 'the pushed image name', (r) => `/v1.41/images/${r}/app/push?tag=1`],
    [
      'POST',
      'the cachefrom query',
      (r) => `/v1.41/build?cachefrom=${encodeURIComponent(JSON.stringify(['busybox', `${r}/c`]))}`,
    ],
    ['GET', 'the term query', (r) => `/v1.41/images/search?term=${r}/app`],
    ['GET', 'the image name', (r) => `/v1.41/distribution/${r}/app/json`],
    ['POST', 'the remote query', (r) => `/v1.41/plugins/pull?remote=${r}/plug`],
    ['GET', 'the remote query', (r) => `/v1.41/plugins/privileges?remote=${r}/plug`],
    ['POST', 'the plugin name', (r) => `/v1.41/plugins/${r}/plug/push`],
  ])('%s naming a loopback registry in %s: refused under NO_WAY_OUT', async (method, field, target) => {
    const raw = target(LOOP);
    expect(await outcome(method, raw, NO_WAY_OUT)).toEqual(fetchRefuses(field));
    // With fetch allowed, or no create rules at all, nothing is judged.
    expect(await outcome(method, raw, { ...NO_WAY_OUT, fetch: true })).toBe('allowed');
    expect(await outcome(method, raw, null)).toBe('allowed');
    // The same request to a registry off the host is allowed.
    expect(await outcome(method, target(LAN), NO_WAY_OUT)).toBe('allowed');
    expect(await outcome(method, target('169.254.169.254'), NO_WAY_OUT)).toEqual(
      fetchRefuses(field, '169.254.169.254'),
    );
  });

  it.each([
    ['POST', '/v1.41/images/create?fromImage=busybox&tag=latest'],
    ['POST', '/v1.41/images/create?fromSrc=-'],
    ['POST', '/v1.41/images/library/busybox/push'],
    ['GET', '/v1.41/images/search?term=busybox'],
    ['GET', '/v1.41/images/json'],
    ['GET', '/v1.41/containers/json'],
  ])('%s %s contacts Docker Hub or no registry: allowed', async (method, raw) => {
    expect(await outcome(method, raw, NO_WAY_OUT)).toBe('allowed');
  });

  it.each([
    ['not JSON', 'busybox'],
    ['a JSON object', '{"a":"b"}'],
    ['a list with a number', '["busybox",1]'],
  ])('a build’s cachefrom that is %s is a 400', async (_what, cachefrom) => {
    expect(
      await outcome('POST', `/v1.41/build?cachefrom=${encodeURIComponent(cachefrom)}`, NO_WAY_OUT),
    ).toEqual({
      status: 400,
      message: 'dockscope: the cachefrom query must be a JSON list of image names',
      rule: undefined,
    });
  });

  it('a login is judged by the server address the daemon reads, and forwarded as decoded', async () => {
    const body = JSON.stringify({ username: 'u', password: 'p', serveraddress: `http://${LOOP}/v2/` });
    expect(await outcome('POST', '/v1.41/auth', NO_WAY_OUT, null, body)).toEqual(
      fetchRefuses('serveraddress'),
    );
    const ok = JSON.stringify({ username: 'u', password: 'p', serveraddress: LAN });
    expect(await outcome('POST', '/v1.41/auth', NO_WAY_OUT, null, ok)).toEqual({ body: ok });
    // No server address is Docker Hub's login.
    expect(await outcome('POST', '/v1.41/auth', NO_WAY_OUT, null, '{"username":"u"}')).toEqual({
      body: '{"username":"u"}',
    });
  });

  it('a login body is forwarded as the daemon decodes it (API 1.41: an unknown key dropped)', async () => {
    const out = await outcome(
      'POST',
      '/v1.41/auth',
      NO_WAY_OUT,
      null,
      `{"serveraddress":"${LAN}","Bogus":1}`,
    );
    expect(out).toEqual({ body: `{"serveraddress":"${LAN}"}` });
  });

  it.each([
    // lists, method, target, outcome
    [lists(['ghcr.io'], null), 'POST', '/v1.41/images/create?fromImage=ghcr.io/a/b', 'allowed'],
    [
      lists(['ghcr.io'], null),
      'POST',
      '/v1.41/images/create?fromImage=quay.io/a/b',
      {
        status: 403,
        message:
          "dockscope: the fromImage query names the registry quay.io, which is not in this client's registries.pull",
        rule: 'registries',
      },
    ],
    // A list only for pulls leaves pushes to the create rules (Docker Hub passes them).
    [lists(['ghcr.io'], null), 'POST', `/v1.41/images/${LAN}/a/push`, 'allowed'],
    [
      lists(null, ['ghcr.io']),
      'POST',
      '/v1.41/images/quay.io/a/push',
      {
        status: 403,
        message:
          "dockscope: the pushed image name names the registry quay.io, which is not in this client's registries.push",
        rule: 'registries',
      },
    ],
    // A listed registry is allowed even on the host's loopback (the operator named it).
    [lists([LOOP], null), 'POST', `/v1.41/images/create?fromImage=${LOOP}/a`, 'allowed'],
    [
      lists([], null),
      'GET',
      '/v1.41/images/search?term=busybox',
      {
        status: 403,
        message:
          "dockscope: the term query names the registry docker.io, which is not in this client's registries.pull",
        rule: 'registries',
      },
    ],
  ] as const)('registry lists %# decide first', async (l, method, raw, expected) => {
    expect(await outcome(method, raw, NO_WAY_OUT, l)).toEqual(expected);
  });

  it('registry lists apply even to a client with fetch allowed or no create rules', async () => {
    const raw = '/v1.41/images/create?fromImage=quay.io/a/b';
    expect(await outcome('POST', raw, null, lists(['ghcr.io'], null))).toMatchObject({
      status: 403,
      rule: 'registries',
    });
    expect(
      await outcome('POST', raw, { ...NO_WAY_OUT, fetch: true }, lists(['ghcr.io'], null)),
    ).toMatchObject({
      status: 403,
    });
  });

  it('a login is allowed by either list', async () => {
    const body = JSON.stringify({ serveraddress: 'ghcr.io' });
    expect(await outcome('POST', '/v1.41/auth', null, lists(null, ['ghcr.io']), body)).toEqual({ body });
    expect(await outcome('POST', '/v1.41/auth', null, lists(['ghcr.io'], null), body)).toEqual({ body });
    expect(await outcome('POST', '/v1.41/auth', null, lists(['quay.io'], ['docker.io']), body)).toEqual({
      status: 403,
      message:
        "dockscope: serveraddress names the registry ghcr.io, which is not in this client's registries.pull or registries.push",
      rule: 'registries',
    });
  });
});
