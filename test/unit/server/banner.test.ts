import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import { logBanner, logNodeFlags, missingNodeFlags, NODE_FLAGS } from '../../../src/server/banner.ts';

function banner(env: Record<string, string>, file?: string) {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
  );
  // Without lists, the environment must say CONTAINERS=all (issue #22).
  const lists = env.CONTAINER_NAMES || env.CONTAINER_LABELS || env.CONTAINERS;
  const config = file
    ? loadConfig(env, { path: '/c.yaml', text: file })
    : loadConfig(lists ? env : { CONTAINERS: 'all', ...env });
  const addresses = Object.fromEntries(config.listeners.map((l) => [l.name, 'x']));
  logBanner(log, config, addresses, null);
  return lines;
}

describe('the startup banner', () => {
  it('one line per listener and per client, with the effective rules and no token', () => {
    const lines = banner(
      { TOKEN: 'sekrit-token' },
      `listeners:
  - { name: lan, address: "127.0.0.1:2375" }
clients:
  - { name: ci, match: { token: { env: TOKEN } }, containers: { names: [job] }, allow: [ping] }
`,
    );
    expect(lines.filter((l) => l.msg === 'listener').map((l) => l.listener)).toEqual(['lan']);
    const client = lines.find((l) => l.msg === 'client');
    expect(client).toMatchObject({ client: 'ci', match: { token: 'from the environment' }, allow: ['ping'] });
    expect(JSON.stringify(lines)).not.toContain('sekrit-token');
    // Loopback, with a token client only: no warning.
    expect(lines.filter((l) => l.level === 40)).toEqual([]);
  });

  it.each<[string, Record<string, string>, string | undefined, RegExp]>([
    [
      'no visibility rules',
      { LISTEN: '127.0.0.1:2375' },
      undefined,
      /^CONTAINERS=all: every container is visible$/,
    ],
    [
      'create rules off',
      { LISTEN: '127.0.0.1:2375', CONTAINER_NAMES: 'web', CREATE_RULES: 'off' },
      undefined,
      /create rules are off/,
    ],
    ['an open TCP listener', { CONTAINER_NAMES: 'web' }, undefined, /accepts any address without TLS/],
    [
      'learn mode',
      {},
      'audit: stderr\nlisteners:\n  - { name: a, address: "127.0.0.1:1" }\nclients:\n  - { name: c, containers: { names: [x] }, mode: learn }\n',
      /learn mode: the allow and deny lists only report/,
    ],
  ])('warns about %s', (_l, env, file, warning) => {
    const warnings = banner(env, file)
      .filter((l) => l.level === 40)
      .map((l) => String(l.msg));
    expect(warnings.some((w) => warning.test(w))).toBe(true);
  });
});

describe('the V8 flags of npm start', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    return { log, lines };
  };

  it('says nothing when node runs with all of them, among other flags', () => {
    const { log, lines } = capture();
    logNodeFlags(log, ['--enable-source-maps', ...NODE_FLAGS]);
    expect(lines).toEqual([]);
  });

  it('warns once, naming the flags node runs without', () => {
    const { log, lines } = capture();
    logNodeFlags(log, ['--max-semi-space-size=4', '--initial-old-space-size=16']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      missing: ['--initial-old-space-size=8', '--no-allocation-site-pretenuring'],
    });
    expect(String(lines[0]?.msg)).toContain('docs/operations.md#memory');
    expect(missingNodeFlags([])).toEqual([...NODE_FLAGS]);
  });

  it('counts flags from NODE_OPTIONS and in the underscore spelling V8 also reads', () => {
    expect(
      missingNodeFlags(
        ['--no_allocation_site_pretenuring'],
        ' --max_semi_space_size=4  --initial-old-space-size=8',
      ),
    ).toEqual([]);
    // The value must be the same: a larger young generation is not the one measured.
    expect(missingNodeFlags([...NODE_FLAGS.slice(1), '--max-semi-space-size=16'])).toEqual([
      '--max-semi-space-size=4',
    ]);
  });
});
