import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { ConfigFileError, parseConfigFile } from '../../../src/config/file.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';

const FILE = '/etc/dockscope.yml';
const parse = (text: string) => parseConfigFile(text, FILE);
const error = (text: string): string => {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof ConfigFileError) return e.message;
    throw e;
  }
  throw new Error('accepted');
};

const EXAMPLE = `
upstream: unix:///var/run/docker.sock
listeners:
  - name: lan
    address: 0.0.0.0:2375
  - name: ci
    address: unix:///run/dockscope/ci.sock
    socket: { owner: 1000, group: 1000, mode: "0660" }
  - name: secure
    address: 0.0.0.0:2376
    tls: { cert: /certs/server.pem, key: /certs/server-key.pem, clientCa: /certs/ca.pem }
clients:
  - name: homepage
    match: { listener: lan, from: [172.18.0.0/16, 127.0.0.1] }
    containers: { labels: [homepage] }
    scrubEnvs: true
    allow: ["GET /_ping", "HEAD /_ping", "GET /version", "GET /containers/json", "GET /containers/{id}/json"]
  - name: scripts
    match: { token: { file: /run/secrets/scripts_token } }
    containers: { names: [web], match: exact }
  - name: admin
    match: { listener: secure, certificate: { cn: [ops-admin] } }
    containers: all
`;

describe('parseConfigFile: the contract of the issue', () => {
  it('reads listeners and clients', () => {
    const { listeners, clients } = parse(EXAMPLE);
    expect(listeners).toEqual([
      { name: 'lan', address: { host: '0.0.0.0', port: 2375 } },
      {
        name: 'ci',
        address: { socketPath: '/run/dockscope/ci.sock' },
        socket: { owner: 1000, group: 1000, mode: 0o660 },
      },
      {
        name: 'secure',
        address: { host: '0.0.0.0', port: 2376 },
        tls: { cert: '/certs/server.pem', key: '/certs/server-key.pem', clientCa: '/certs/ca.pem' },
      },
    ]);
    expect(clients.map((c) => [c.name, c.containers, c.scrubEnvs])).toEqual([
      ['homepage', { names: [], labels: [{ key: 'homepage' }], match: 'substring' }, true],
      ['scripts', { names: ['web'], labels: [], match: 'exact' }, false],
      ['admin', 'all', false],
    ]);
    expect(clients[0]?.match).toEqual({ listener: ['lan'], from: ['172.18.0.0/16', '127.0.0.1'] });
    expect(clients[2]?.match).toEqual({ listener: ['secure'], certificate: { cn: ['ops-admin'] } });
  });
});

describe('parseConfigFile: errors name the file, the line and the key', () => {
  it.each<[string, string, string]>([
    ['not YAML', 'listeners: [', `${FILE}:1: not valid YAML`],
    ['a duplicate key', 'listeners: []\nlisteners: []\n', `${FILE}:2: not valid YAML`],
    ['no listeners', 'clients: []\n', `${FILE}:1: listeners: expected array`],
    [
      'an unknown key',
      'listeners:\n  - name: a\n    address: 127.0.0.1:1\n    adress: x\nclients:\n  - name: c\n    containers: all\n',
      `${FILE}:4: listeners[0]: unknown key "adress" (did you mean "address"?)`,
    ],
    [
      'a bad address',
      'listeners:\n  - name: a\n    address: nowhere\nclients:\n  - name: c\n    containers: all\n',
      `${FILE}:3: listeners[0].address: "nowhere" is not host:port`,
    ],
    [
      'a bad mode',
      'listeners:\n  - name: a\n    address: unix:///x.sock\n    socket: { mode: 660 }\nclients:\n  - { name: c, containers: all }\n',
      `${FILE}:4: listeners[0].socket.mode: expected string`,
    ],
    [
      'a client naming a listener that does not exist',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    match: { listener: b }\n    containers: all\n',
      `${FILE}:5: clients[0].match.listener: no listener is named "b"`,
    ],
    [
      'a token with both sources',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    match:\n      token: { file: /x, env: Y }\n    containers: all\n',
      `${FILE}:6: clients[0].match.token: give exactly one of "file" or "env"`,
    ],
    [
      'a route template that cannot be read',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n    allow: ["GET /containers/*x"]\n',
      `${FILE}:6: clients[0].allow: "GET /containers/*x": "*" and "**" stand for whole segments`,
    ],
    [
      'a permission group that does not exist',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n    deny: [readonly]\n',
      `${FILE}:6: clients[0].deny: "readonly" is neither a permission group`,
    ],
    [
      'a bad regex',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: { names: ["("], match: regex }\n',
      `${FILE}:5: clients[0].containers: entry 1 is not a valid regex`,
    ],
    [
      'two clients of one name',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: all }\n  - { name: c, containers: all }\n',
      `${FILE}:5: clients[1].name: "c" names two clients`,
    ],
    [
      // Every container is said, never assumed (issue #22).
      'a client without containers',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    scrubEnvs: true\n',
      `${FILE}:4: clients[0]: no "containers": say which containers it sees (containers: { names: [web, db] }, { labels: [homepage] }, owned), or write containers: all for every container`,
    ],
    [
      'containers neither all nor rules',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: some }\n',
      `${FILE}:4: clients[0].containers: expected "all", "owned", or an object`,
    ],
    [
      'a host path that is not clean',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n    create:\n      hostPaths:\n        - /srv/ci/../etc\n',
      `${FILE}:8: clients[0].create.hostPaths[0]: "/srv/ci/../etc" is not an absolute, clean path`,
    ],
    [
      'a host namespace that does not exist',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n    create:\n      hostNamespaces: [mount]\n',
      `${FILE}:7: clients[0].create.hostNamespaces[0]:`,
    ],
    [
      'an unknown create rule',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n    create:\n      privilegd: true\n',
      `${FILE}:7: clients[0].create: unknown key "privilegd"`,
    ],
    [
      'create neither unrestricted nor rules',
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: all, create: none }\n',
      `clients[0].create: expected "unrestricted", or an object of create rules`,
    ],
  ])('%s', (_label, text, expected) => {
    expect(error(text)).toContain(expected);
  });
});

describe('parseConfigFile: ownership', () => {
  const listeners = 'listeners:\n  - { name: a, address: "127.0.0.1:1" }\n';
  it('containers: owned sees what the owner label says, under the configured key', () => {
    const { clients } = parse(
      `${listeners}ownerLabel: example.owner\nclients:\n  - { name: c, owner: ci-a, containers: owned }\n`,
    );
    expect(clients[0]?.owner).toEqual({ key: 'example.owner', owner: 'ci-a' });
    expect(clients[0]?.containers).toEqual({
      names: [],
      labels: [],
      match: 'substring',
      owned: { key: 'example.owner', owner: 'ci-a' },
    });
    // Restricted containers: create rules are in force.
    expect(clients[0]?.create).toEqual(NO_WAY_OUT);
  });
  it('sharedImages: manage lets an owner manage images of nobody; without an owner it is an error', () => {
    const { clients } = parse(
      `${listeners}clients:\n  - { name: c, owner: ci-a, containers: all, sharedImages: manage }\n`,
    );
    expect(clients[0]?.owner).toEqual({ key: 'dockscope.owner', owner: 'ci-a', sharedImages: 'manage' });
    expect(error(`${listeners}clients:\n  - { name: c, containers: all, sharedImages: manage }\n`)).toContain(
      'clients[0].sharedImages: sharedImages applies to a client with an owner',
    );
    expect(
      error(`${listeners}clients:\n  - { name: c, owner: ci-a, containers: all, sharedImages: all }\n`),
    ).toContain('clients[0].sharedImages');
  });
  it('owned with names: either makes a container visible', () => {
    const { clients } = parse(
      `${listeners}clients:\n  - { name: c, owner: ci-a, containers: { owned: true, names: [cache] } }\n`,
    );
    expect(clients[0]?.containers).toMatchObject({
      names: ['cache'],
      owned: { key: 'dockscope.owner', owner: 'ci-a' },
    });
  });
  it('owned without an owner is an error naming the line', () => {
    expect(error(`${listeners}clients:\n  - { name: c, containers: owned }\n`)).toBe(
      `${FILE}:4: clients[0].containers: owned containers need an owner: give the client an "owner" value`,
    );
  });
});

describe('parseConfigFile: create rules', () => {
  const listeners = 'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n';
  const clientOf = (entry: string) => parse(`${listeners}${entry}`).clients[0];
  it('are in force by default for a client with restricted containers, and not for one that sees all', () => {
    expect(clientOf('  - { name: c, containers: { names: [web] } }\n')?.create).toEqual(NO_WAY_OUT);
    expect(clientOf('  - { name: c, containers: all }\n')?.create).toBeNull();
    expect(
      clientOf('  - { name: c, containers: { names: [web] }, create: unrestricted }\n')?.create,
    ).toBeNull();
  });
  it('take what the entry allows, with capabilities normalised', () => {
    const c = clientOf(
      '  - name: c\n    containers: all\n    create:\n      hostNamespaces: [network]\n      hostPaths: [/srv/ci, { path: /etc/ssl, readOnly: true }]\n      capAdd: [net_admin]\n',
    );
    expect(c?.create).toEqual({
      ...NO_WAY_OUT,
      hostNamespaces: ['network'],
      hostPaths: [
        { path: '/srv/ci', readOnly: false },
        { path: '/etc/ssl', readOnly: true },
      ],
      capAdd: ['CAP_NET_ADMIN'],
    });
  });
});

describe('an unknown key (issue #22)', () => {
  it('names its own line and the key it is nearest to, in any letter case, or none when none is near', () => {
    const head =
      'listeners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - name: c\n    containers: all\n';
    expect(error(`${head}    scrubenvs: true\n`)).toBe(
      `${FILE}:6: clients[0]: unknown key "scrubenvs" (did you mean "scrubEnvs"?)`,
    );
    expect(error(`${head}    create:\n      privileged: true\n      capadd: [NET_ADMIN]\n`)).toBe(
      `${FILE}:8: clients[0].create: unknown key "capadd" (did you mean "capAdd"?)`,
    );
    expect(error(`${head}    colour: blue\n`)).toBe(`${FILE}:6: clients[0]: unknown key "colour"`);
  });
});

describe('resource limits of a client', () => {
  const withLimits = (limits: string) =>
    `listeners:\n  - { name: a, address: "127.0.0.1:2375" }\nclients:\n  - name: c\n    containers: all\n    limits: ${limits}\n`;

  it('are read with memory sizes as the Docker CLI reads them', () => {
    const [client] = parse(
      withLimits('{ memory: 512m, cpus: 1.5, pids: 64, defaults: { memory: 128m } }'),
    ).clients;
    expect(client?.limits).toEqual({
      memory: 512n * 1024n * 1024n,
      nanoCpus: 1_500_000_000n,
      pids: 64n,
      defaults: { memory: 128n * 1024n * 1024n, nanoCpus: null, pids: null },
    });
    expect(parse(withLimits('{ pids: 10 }')).clients[0]?.limits?.memory).toBeNull();
  });

  it.each<[string, string, string]>([
    [
      'a memory size that is none',
      '{ memory: lots }',
      'clients[0].limits.memory: "lots" is not a memory size such as 512m or 2g',
    ],
    [
      'a default over its maximum',
      '{ memory: 64m, defaults: { memory: 1g } }',
      'clients[0].limits.defaults.memory: is more than the maximum beside it',
    ],
    ['an unknown limit', '{ memroy: 64m }', 'unknown key "memroy"'],
    ['a negative count', '{ pids: -1 }', 'clients[0].limits.pids'],
  ])('%s fails the start, naming the line and key', (_label, limits, message) => {
    expect(error(withLimits(limits))).toContain(message);
  });
});

describe('loadConfig with a file', () => {
  const text =
    'listeners:\n  - { name: a, address: "127.0.0.1:2375" }\nclients:\n  - { name: c, containers: all }\n';

  it('takes settings from the file, else from the environment', () => {
    const config = loadConfig(
      { PROXY_URL: 'http://proxy:2375', UPSTREAM_TIMEOUT: '5s' },
      { path: FILE, text: `${text}cacheTtl: 3s\n` },
    );
    expect(config.upstream.display).toBe('http://proxy:2375');
    expect(config.upstreamTimeoutMs).toBe(5000);
    expect(config.cacheTtlMs).toBe(3000);
    expect(config.source).toBe(FILE);
    expect(Object.isFrozen(config.clients[0])).toBe(true);
  });

  it('a duration without a unit names the file, line and key (issue #22)', () => {
    expect(error(`${text}upstreamTimeout: "60"\n`)).toBe(
      `${FILE}:5: upstreamTimeout: "60" has no unit: write 60s for seconds or 60ms for milliseconds (units: ms, s, m, h) (such as 60s)`,
    );
  });

  it('a bare UPSTREAM_TIMEOUT beside a file is named as the variable', () => {
    expect(() => loadConfig({ UPSTREAM_TIMEOUT: '60' }, { path: FILE, text })).toThrow(
      /^UPSTREAM_TIMEOUT: "60" has no unit/,
    );
  });

  it.each(['LISTEN', 'PORT', 'CONTAINER_NAMES', 'CONTAINER_LABELS', 'SCRUB_ENVS', 'ALLOW'])(
    '%s beside a file is refused, naming the variable',
    (variable) => {
      expect(() => loadConfig({ [variable]: 'x' }, { path: FILE, text })).toThrow(ConfigError);
      expect(() => loadConfig({ [variable]: 'x' }, { path: FILE, text })).toThrow(
        new RegExp(`^${variable}: is set, but the configuration file`),
      );
    },
  );
});

describe('parseConfigFile: certificate SANs', () => {
  const withSan = (san: string) =>
    EXAMPLE.replace('certificate: { cn: [ops-admin] }', `certificate: { san: [${san}] }`);
  it('typed and untyped entries are accepted', () => {
    const admin = parse(withSan('ops-admin, "DNS:x", "IP:::1", "URI:spiffe://ci/ops", "email:a@b"'))
      .clients[2];
    expect(admin?.match.certificate?.san).toEqual([
      'ops-admin',
      'DNS:x',
      'IP:::1',
      'URI:spiffe://ci/ops',
      'email:a@b',
    ]);
  });
  it.each<[string, string]>([
    [
      '"spiffe://ci/ops"',
      '"spiffe://ci/ops" has no known type: write DNS:, IP:, URI: or email: before the name (URI:spiffe://ci/ops for a URI)',
    ],
    ['"IP:nope"', '"IP:nope" is not an IP address such as IP:10.0.0.1 or IP:::1'],
  ])('a bad entry names the file, line and key: %s', (san, problem) => {
    expect(error(withSan(san))).toBe(`${FILE}:22: clients[2].match.certificate.san[0]: ${problem}`);
  });
});

describe('parseConfigFile: match.container (issue #23)', () => {
  const head = 'listeners:\n  - { name: apps, address: "127.0.0.1:1" }\nclients:\n';
  it('names, labels and the profile label, compiled as containers: rules are', () => {
    const { clients } = parse(
      `${head}  - name: ops\n    match: { listener: apps, container: { names: traefik, labels: ["role=proxy"], match: exact, profileLabel: true } }\n    containers: all\n  - name: dash\n    match: { container: { profileLabel: true } }\n    containers: all\n`,
    );
    expect(clients[0]?.match.container).toEqual({
      containers: { names: ['traefik'], labels: [{ key: 'role', value: 'proxy' }], match: 'exact' },
      profileLabel: true,
    });
    expect(clients[1]?.match.container).toEqual({ containers: 'all', profileLabel: true });
  });
  it('an empty container match, an unknown key or a bad regex stops the start with the line and key', () => {
    expect(error(`${head}  - name: a\n    match: { container: {} }\n    containers: all\n`)).toBe(
      `${FILE}:5: clients[0].match.container: give "names", "labels" and/or "profileLabel: true"`,
    );
    expect(error(`${head}  - name: a\n    match: { container: { label: x } }\n    containers: all\n`)).toBe(
      `${FILE}:5: clients[0].match.container: unknown key "label" (did you mean "labels"?)`,
    );
    expect(
      error(
        `${head}  - name: a\n    match: { container: { names: ["("], match: regex } }\n    containers: all\n`,
      ),
    ).toMatch(/^\/etc\/dockscope\.yml:5: clients\[0\]\.match\.container: entry 1 is not a valid regex/);
  });
});
