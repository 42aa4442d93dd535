import { describe, expect, it } from 'vitest';
import type { Config, Env, ListenAddress } from '../../../src/config/config.ts';
import {
  ConfigError,
  DEFAULT_LISTEN,
  DEFAULT_PROXY_URL,
  loadConfig,
  parseBoolean,
  parseDuration,
  parseListen,
} from '../../../src/config/config.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';

/**
 * The environment as given, with CONTAINERS=all when it has no lists (an environment without either is
 * refused, issue #22; the tests of that call loadConfig itself).
 */
function load(env: Env): Config {
  const lists = [env.CONTAINER_NAMES, env.CONTAINER_LABELS, env.CONTAINERS].some((v) => v?.trim());
  return loadConfig(lists ? env : { ...env, CONTAINERS: 'all' });
}

function configError(env: Env): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

describe('loadConfig: defaults', () => {
  const defaults: Config = {
    upstream: { kind: 'unix', socketPath: '/var/run/docker.sock', display: 'unix:///var/run/docker.sock' },
    upstreamKind: 'auto',
    listeners: [{ name: 'default', address: { host: '0.0.0.0', port: 2375 } }],
    clients: [{ name: 'default', match: {}, containers: 'all', scrubEnvs: false, create: null, owner: null }],
    source: 'environment',
    logLevel: 'info',
    cacheTtlMs: 2000,
    upstreamTimeoutMs: 60_000,
    maxConnections: 1024,
    maxStreamsPerClient: 256,
    admin: null,
    audit: null,
  };

  it.each<[string, Env]>([
    ['empty environment', {}],
    [
      'empty strings',
      {
        PROXY_URL: '',
        LISTEN: '',
        CONTAINER_NAMES: '',
        CONTAINER_LABELS: '',
        SCRUB_ENVS: '',
        LOG_LEVEL: '',
        CACHE_TTL: '',
      },
    ],
    [
      'blank strings',
      {
        PROXY_URL: '  ',
        LISTEN: ' ',
        CONTAINER_NAMES: ' ',
        CONTAINER_LABELS: ' ',
        SCRUB_ENVS: ' ',
        LOG_LEVEL: ' ',
        CACHE_TTL: ' ',
      },
    ],
    ['unrelated variables', { PATH: '/bin', HOME: '/root' }],
  ])('%s', (_label, env) => {
    expect(load(env)).toEqual(defaults);
  });

  it('the defaults are the documented constants', () => {
    expect([DEFAULT_PROXY_URL, DEFAULT_LISTEN]).toEqual(['unix:///var/run/docker.sock', '0.0.0.0:2375']);
  });

  it('the configuration is frozen', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as unknown as { source: string }).source = 'x';
    }).toThrow(TypeError);
  });
});

describe('loadConfig: values', () => {
  it.each<[string, Env, Partial<Config>]>([
    [
      'PROXY_URL unix',
      { PROXY_URL: 'unix:///run/docker.sock' },
      { upstream: { kind: 'unix', socketPath: '/run/docker.sock', display: 'unix:///run/docker.sock' } },
    ],
    [
      'PROXY_URL http',
      { PROXY_URL: 'http://socket-proxy:2375' },
      { upstream: { kind: 'tcp', host: 'socket-proxy', port: 2375, display: 'http://socket-proxy:2375' } },
    ],
    [
      'PROXY_URL tcp, trimmed',
      { PROXY_URL: ' tcp://docker:2376 ' },
      { upstream: { kind: 'tcp', host: 'docker', port: 2376, display: 'http://docker:2376' } },
    ],
    [
      'LISTEN host:port',
      { LISTEN: '127.0.0.1:8080' },
      { listeners: [{ name: 'default', address: { host: '127.0.0.1', port: 8080 } }] },
    ],
    [
      'LISTEN unix',
      { LISTEN: 'unix:///tmp/dockscope.sock' },
      { listeners: [{ name: 'default', address: { socketPath: '/tmp/dockscope.sock' } }] },
    ],
    [
      'CONTAINER_NAMES and CONTAINER_LABELS',
      {
        CONTAINER_NAMES: 'homepage, uptime-kuma',
        CONTAINER_LABELS: 'homepage.group,com.example.expose=true',
      },
      {
        clients: [
          {
            name: 'default',
            match: {},
            containers: {
              names: ['homepage', 'uptime-kuma'],
              labels: [{ key: 'homepage.group' }, { key: 'com.example.expose', value: 'true' }],
            },
            scrubEnvs: false,
            create: NO_WAY_OUT,
            owner: null,
          },
        ],
      },
    ],
    [
      'CONTAINER_NAMES with CREATE_RULES=off',
      { CONTAINER_NAMES: 'web', CREATE_RULES: 'off' },
      {
        clients: [
          {
            name: 'default',
            match: {},
            containers: { names: ['web'], labels: [] },
            scrubEnvs: false,
            create: null,
            owner: null,
          },
        ],
      },
    ],
    [
      'CREATE_RULES=on without visibility rules',
      { CREATE_RULES: 'on' },
      {
        clients: [
          {
            name: 'default',
            match: {},
            containers: 'all',
            scrubEnvs: false,
            create: NO_WAY_OUT,
            owner: null,
          },
        ],
      },
    ],
    [
      'SCRUB_ENVS true',
      { SCRUB_ENVS: 'true' },
      {
        clients: [
          { name: 'default', match: {}, containers: 'all', scrubEnvs: true, create: null, owner: null },
        ],
      },
    ],
    [
      'SCRUB_ENVS 0',
      { SCRUB_ENVS: '0' },
      {
        clients: [
          { name: 'default', match: {}, containers: 'all', scrubEnvs: false, create: null, owner: null },
        ],
      },
    ],
    ['LOG_LEVEL debug', { LOG_LEVEL: 'debug' }, { logLevel: 'debug' }],
    ['ADMIN_LISTEN', { ADMIN_LISTEN: '127.0.0.1:9100' }, { admin: { host: '127.0.0.1', port: 9100 } }],
    ['AUDIT_LOG file', { AUDIT_LOG: '/var/log/a.log' }, { audit: { file: '/var/log/a.log' } }],
    ['AUDIT_LOG fd', { AUDIT_LOG: 'fd:3' }, { audit: { fd: 3 } }],
    ['AUDIT_LOG stderr', { AUDIT_LOG: 'stderr' }, { audit: 'stderr' }],
    ['LOG_LEVEL upper case', { LOG_LEVEL: 'WARN' }, { logLevel: 'warn' }],
    ['LOG_LEVEL silent', { LOG_LEVEL: 'silent' }, { logLevel: 'silent' }],
    ['CACHE_TTL seconds', { CACHE_TTL: '5s' }, { cacheTtlMs: 5000 }],
    ['CACHE_TTL 0', { CACHE_TTL: '0' }, { cacheTtlMs: 0 }],
  ])('%s', (_label, env, expected) => {
    expect(load(env)).toMatchObject(expected);
  });
});

describe('loadConfig: errors name the variable', () => {
  it.each<[string, string, string]>([
    ['PROXY_URL', 'ftp://x', 'scheme "ftp:" is not supported'],
    ['PROXY_URL', 'unix://relative', '"unix://relative" needs an absolute socket path'],
    ['PROXY_URL', 'http://host:99999', '"http://host:99999" is not a URL'],
    ['PROXY_URL', 'http://user:pw@h:1', 'credentials in the URL are not supported'],
    ['PROXY_URL', 'http://h:1/path', '"http://h:1/path" must not have a path'],
    ['LISTEN', 'nonsense', '"nonsense" is not host:port'],
    ['LISTEN', '0.0.0.0:70000', 'port 70000 is out of range 0-65535'],
    ['LISTEN', 'unix://relative.sock', '"unix://relative.sock" needs an absolute socket path'],
    ['SCRUB_ENVS', 'maybe', '"maybe" is not a boolean (true or false)'],
    ['CREATE_RULES', 'maybe', '"maybe" is neither on nor off'],
    ['ADMIN_LISTEN', 'nowhere', '"nowhere" is not host:port'],
    ['ADMIN_LISTEN', '0.0.0.0:2375', 'must not be the address LISTEN serves the API on'],
    ['AUDIT_LOG', 'relative.log', '"relative.log" is not stdout, stderr, fd:N or an absolute file path'],
    ['LOG_LEVEL', 'loud', '"loud" is not one of fatal, error, warn, info, debug, trace, silent'],
    ['CONTAINER_NAMES', 'a,,b', 'entry 2 of "a,,b" is empty'],
    ['CONTAINER_LABELS', 'a,,b', 'entry 2 of "a,,b" is empty'],
    ['CONTAINER_LABELS', '=v', 'entry "=v" has an empty label key'],
    ['CONTAINER_LABELS', 'k=', 'entry "k=" has an empty value'],
    ['CACHE_TTL', 'soon', '"soon" is not a duration'],
    ['CACHE_TTL', '1d', '"1d" is not a duration'],
    ['UPSTREAM_TIMEOUT', '0', 'must be more than 0'],
    ['UPSTREAM_TIMEOUT', 'later', '"later" is not a duration'],
    ['UPSTREAM_TIMEOUT', '60', '"60" has no unit: write 60s for seconds or 60ms for milliseconds'],
    ['CACHE_TTL', '2', '"2" has no unit: write 2s for seconds or 2ms for milliseconds'],
    ['MAX_CONNECTIONS', '0', '"0" is not a whole number of at least 1'],
    ['MAX_STREAMS_PER_CLIENT', 'many', '"many" is not a whole number of at least 1'],
    ['MAX_STREAMS_PER_CLIENT', '1.5', '"1.5" is not a whole number of at least 1'],
    ['CACHE_TTL', '-1', '"-1" is not a duration'],
  ])('%s=%s', (variable, value, problem) => {
    const error = configError({ [variable]: value });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.name).toBe('ConfigError');
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).toContain(problem);
    expect(error.message).toMatch(new RegExp(`\\. Example: ${variable}=\\S`));
  });

  it('a full message reads: variable, problem, example', () => {
    expect(configError({ SCRUB_ENVS: 'maybe' }).message).toBe(
      'SCRUB_ENVS: "maybe" is not a boolean (true or false). Example: SCRUB_ENVS=true',
    );
    expect(configError({ PROXY_URL: 'ftp://x' }).message).toBe(
      'PROXY_URL: scheme "ftp:" is not supported (use http://, tcp:// or unix://). Example: PROXY_URL=http://socket-proxy:2375',
    );
  });
});

describe('parseListen', () => {
  it.each<[string, ListenAddress]>([
    ['0.0.0.0:2375', { host: '0.0.0.0', port: 2375 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    [':2375', { host: '0.0.0.0', port: 2375 }],
    ['[::]:2375', { host: '::', port: 2375 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['host:65535', { host: 'host', port: 65535 }],
    ['unix:///run/dockscope.sock', { socketPath: '/run/dockscope.sock' }],
  ])('%s', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['nonsense', '"nonsense" is not host:port'],
    ['2375', '"2375" is not host:port'],
    ['host:', '"host:" is not host:port'],
    ['host:123456', '"host:123456" is not host:port'],
    ['::1:2375', '"::1:2375" is not host:port'],
    ['http://h:1', '"http://h:1" is not host:port'],
    ['host:65536', 'port 65536 is out of range 0-65535'],
    ['host:70000', 'port 70000 is out of range 0-65535'],
    ['unix://x.sock', '"unix://x.sock" needs an absolute socket path'],
  ])('%j is refused: %s', (value, message) => {
    expect(() => parseListen(value)).toThrow(new Error(message));
  });
});

describe('parseBoolean', () => {
  it.each<[string | undefined, boolean, boolean]>([
    [undefined, false, false],
    [undefined, true, true],
    ['', true, true],
    ['true', false, true],
    ['TRUE', false, true],
    [' yes ', false, true],
    ['1', false, true],
    ['on', false, true],
    ['false', true, false],
    ['0', true, false],
    ['No', true, false],
    ['off', true, false],
  ])('%j (fallback %s) => %s', (value, fallback, expected) => {
    expect(parseBoolean('X', value, fallback)).toBe(expected);
  });

  it.each(['maybe', '2', 'y', 'truee'])('%j is refused naming the variable', (value) => {
    expect(() => parseBoolean('SCRUB_ENVS', value, false)).toThrow(
      new ConfigError('SCRUB_ENVS', `"${value}" is not a boolean (true or false)`, 'true'),
    );
  });
});

describe('parseDuration', () => {
  it.each<[string | undefined, number]>([
    [undefined, 1234],
    ['', 1234],
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    [' 3s ', 3000],
  ])('%j => %i', (value, expected) => {
    expect(parseDuration('CACHE_TTL', value, 1234)).toBe(expected);
  });

  it.each(['soon', '1.5s', '2 s', '1d', '-1', 's', '2S', '1e3', '9999999999'])(
    '%j is refused naming the variable',
    (value) => {
      expect(() => parseDuration('CACHE_TTL', value, 0)).toThrow(
        new ConfigError('CACHE_TTL', `"${value}" is not a duration (units: ms, s, m, h)`, '2s'),
      );
    },
  );

  it.each(['2', '60', '750', '00'])('a bare number %j is refused, naming the units (issue #22)', (value) => {
    expect(() => parseDuration('UPSTREAM_TIMEOUT', value, 0, '60s')).toThrow(
      new ConfigError(
        'UPSTREAM_TIMEOUT',
        `"${value}" has no unit: write ${value}s for seconds or ${value}ms for milliseconds (units: ms, s, m, h)`,
        '60s',
      ),
    );
  });
});

describe('ALLOW, and SCRUB_ENVS directly on the socket (issue #22)', () => {
  const allowOf = (env: Env) => load(env).clients[0]?.allow;
  it.each<[string, Env, readonly string[] | undefined]>([
    ['SCRUB_ENVS on the socket: reads only', { SCRUB_ENVS: 'true' }, ['read-only', 'logs', 'events']],
    [
      'SCRUB_ENVS behind a socket proxy: as docker-proxy-filter',
      { SCRUB_ENVS: 'true', PROXY_URL: 'http://sp:2375' },
      undefined,
    ],
    ['no SCRUB_ENVS on the socket', {}, undefined],
    ['ALLOW=all', { SCRUB_ENVS: 'true', ALLOW: 'all' }, undefined],
    [
      'ALLOW lists',
      { SCRUB_ENVS: 'true', ALLOW: 'read-only, exec,GET /containers/{id}/archive' },
      ['read-only', 'exec', 'GET /containers/{id}/archive'],
    ],
  ])('%s', (_label, env, expected) => {
    expect(allowOf(env)).toEqual(expected);
  });
  it.each<[string, string]>([
    ['read-only,,exec', 'ALLOW: "read-only,,exec" has an empty entry'],
    ['GET /nope*', 'ALLOW: '],
  ])('ALLOW=%j is refused naming the variable', (value, start) => {
    expect(() => load({ ALLOW: value })).toThrow(ConfigError);
    expect(() => load({ ALLOW: value })).toThrow(
      new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });
});

describe('CONTAINERS=all: seeing every container is said, never assumed (issue #22)', () => {
  const refusal =
    'CONTAINERS: is unset, and so are CONTAINER_NAMES and CONTAINER_LABELS: dockscope shows every container ' +
    'only when told to. Set CONTAINER_NAMES=web,db (containers whose names contain web or db), ' +
    'CONTAINER_LABELS=homepage (containers with a label whose key contains homepage), or CONTAINERS=all ' +
    '(every container). Example: CONTAINER_NAMES=web,db';

  it.each<[string, Env]>([
    ['an empty environment', {}],
    ['empty lists', { CONTAINER_NAMES: '', CONTAINER_LABELS: ' ' }],
    ['CONTAINERS empty', { CONTAINERS: ' ', PROXY_URL: 'http://socket-proxy:2375' }],
  ])('%s is refused, saying how', (_label, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([(error as ConfigError).variable, (error as ConfigError).message]).toEqual([
      'CONTAINERS',
      refusal,
    ]);
  });

  it('CONTAINERS=all shows every container, without create rules (as no lists did before)', () => {
    const [client] = loadConfig({ CONTAINERS: 'all' }).clients;
    expect([client?.containers, client?.create]).toEqual(['all', null]);
    expect(loadConfig({ CONTAINERS: ' all ' }).clients[0]?.containers).toBe('all');
  });

  it('lists alone need no CONTAINERS', () => {
    expect(loadConfig({ CONTAINER_LABELS: 'homepage' }).clients[0]?.containers).toEqual({
      names: [],
      labels: [{ key: 'homepage' }],
    });
  });

  it.each<[Env, string]>([
    [
      { CONTAINERS: 'all', CONTAINER_NAMES: 'web' },
      'CONTAINERS: is "all", but CONTAINER_NAMES shows only some containers: unset one or the other. Example: CONTAINERS=(unset)',
    ],
    [
      { CONTAINERS: 'all', CONTAINER_NAMES: 'web', CONTAINER_LABELS: 'homepage' },
      'CONTAINERS: is "all", but CONTAINER_NAMES and CONTAINER_LABELS show only some containers: unset one or the other. Example: CONTAINERS=(unset)',
    ],
    [
      { CONTAINERS: 'some' },
      'CONTAINERS: "some" is not "all", its only value (to see some containers, set CONTAINER_NAMES or CONTAINER_LABELS; CONTAINERS=1 is a socket proxy\'s setting). Example: CONTAINERS=all',
    ],
    [
      { CONTAINERS: 'ALL' },
      'CONTAINERS: "ALL" is not "all", its only value (to see some containers, set CONTAINER_NAMES or CONTAINER_LABELS; CONTAINERS=1 is a socket proxy\'s setting). Example: CONTAINERS=all',
    ],
    [
      { CONTAINERS: '1', CONTAINER_NAMES: 'web' },
      'CONTAINERS: "1" is not "all", its only value (to see some containers, set CONTAINER_NAMES or CONTAINER_LABELS; CONTAINERS=1 is a socket proxy\'s setting). Example: CONTAINERS=all',
    ],
  ])('%j is refused', (env, message) => {
    expect(configError(env).message).toBe(message);
  });

  it('beside a configuration file, CONTAINERS is refused like the lists', () => {
    const text =
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: all }\n';
    expect(() => loadConfig({ CONTAINERS: 'all' }, { path: '/c.yml', text })).toThrow(
      'CONTAINERS: is set, but the configuration file /c.yml decides listeners and clients: move it into the file or unset it. Example: CONTAINERS=(unset)',
    );
  });
});
