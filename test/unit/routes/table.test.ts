import { describe, expect, it } from 'vitest';
import type { RouteRow } from '../../../src/routes/compile-table.ts';
import { compileTable, GROUP_NAMES, pathForms } from '../../../src/routes/compile-table.ts';
import { goBool } from '../../../src/routes/go-bool.ts';
import type { Route } from '../../../src/routes/route.ts';
import { classify, match, PERMISSION_GROUPS, ROUTES } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import { compileTemplates } from '../../../src/routes/templates.ts';

const route = (method: string, raw: string): Route | null => classify(method, parseTarget(raw));
/** What `/grpc` answers: it is BuildKit's control API, and says what works instead (issue #25). */
const GRPC_REFUSAL =
  "the gRPC endpoint is BuildKit's control API, which dockscope does not judge: build with DOCKER_BUILDKIT=1 docker build (its session builder) or the classic builder";

describe('classify: routes with a fixed meaning', () => {
  it.each<[string, string, Route]>([
    ['GET', '/_ping', { kind: 'plain', family: 'system' }],
    ['HEAD', '/_ping', { kind: 'plain', family: 'system' }],
    ['GET', '/version', { kind: 'plain', family: 'system' }],
    ['GET', '/info', { kind: 'info' }],
    ['POST', '/auth', { kind: 'plain', family: 'system' }],
    ['GET', '/events', { kind: 'events' }],
    ['GET', '/v1.41/events?since=1', { kind: 'events' }],
    ['GET', '/system/df', { kind: 'systemDf' }],
    ['GET', '/containers/json', { kind: 'containerList' }],
    ['GET', '/v1.41/containers/json?all=1', { kind: 'containerList' }],
    ['POST', '/containers/create', { kind: 'containerCreate' }],
    ['POST', '/commit', { kind: 'commit' }],
    ['POST', '/build', { kind: 'build' }],
    ['POST', '/build/prune', { kind: 'prune', of: 'build' }],
    ['POST', '/images/prune', { kind: 'prune', of: 'images' }],
    ['POST', '/build/cancel', { kind: 'buildCancel' }],
    ['POST', '/session', { kind: 'buildSession' }],
    ['GET', '/images/json', { kind: 'imageList' }],
    ['POST', '/images/load', { kind: 'imageLoad' }],
    ['GET', '/images/search', { kind: 'plain', family: 'images' }],
    ['POST', '/images/create', { kind: 'imageCreate' }],
    ['GET', '/images/library/busybox:latest/json', { kind: 'imageInspect', name: 'library/busybox:latest' }],
    [
      'GET',
      '/images/registry:5000/team/app:1/history',
      { kind: 'imageHistory', name: 'registry:5000/team/app:1' },
    ],
    ['POST', '/images/busybox/tag', { kind: 'imageTag', name: 'busybox' }],
    ['DELETE', '/images/library/busybox:latest', { kind: 'imageDelete', name: 'library/busybox:latest' }],
    ['GET', '/distribution/library/busybox/json', { kind: 'plain', family: 'images' }],
    ['GET', '/networks', { kind: 'networkList' }],
    ['POST', '/networks/create', { kind: 'networkCreate' }],
    ['POST', '/networks/prune', { kind: 'prune', of: 'networks' }],
    ['POST', '/volumes/prune', { kind: 'prune', of: 'volumes' }],
    ['POST', '/containers/prune', { kind: 'prune', of: 'containers' }],
    ['GET', '/networks/x', { kind: 'networkInspect', id: 'x' }],
    ['DELETE', '/networks/x', { kind: 'networkDelete', id: 'x' }],
    ['POST', '/networks/x/connect', { kind: 'networkConnect', id: 'x', action: 'connect' }],
    ['POST', '/networks/x/disconnect', { kind: 'networkConnect', id: 'x', action: 'disconnect' }],
    ['GET', '/volumes', { kind: 'volumeList' }],
    ['POST', '/volumes/create', { kind: 'volumeCreate' }],
    ['PUT', '/volumes/data', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['GET', '/volumes/data', { kind: 'volume', name: 'data' }],
    ['DELETE', '/volumes/data', { kind: 'volume', name: 'data' }],
    ['GET', '/plugins', { kind: 'plain', family: 'plugins' }],
    ['GET', '/plugins/vieux/sshfs:latest/json', { kind: 'plain', family: 'plugins' }],
    ['GET', '/swarm', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['GET', '/swarm/unlockkey', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/swarm/update', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/swarm/init', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/swarm/join', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/swarm/leave', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/services/create', { kind: 'serviceCreate' }],
    ['POST', '/plugins/pull', { kind: 'hostAccess', rule: 'plugins', family: 'plugins' }],
    ['POST', '/plugins/create', { kind: 'hostAccess', rule: 'plugins', family: 'plugins' }],
    [
      'POST',
      '/plugins/vieux/sshfs:latest/enable',
      { kind: 'hostAccess', rule: 'plugins', family: 'plugins' },
    ],
    ['POST', '/plugins/vieux/sshfs:latest/set', { kind: 'hostAccess', rule: 'plugins', family: 'plugins' }],
    [
      'POST',
      '/plugins/vieux/sshfs:latest/upgrade',
      { kind: 'hostAccess', rule: 'plugins', family: 'plugins' },
    ],
    ['POST', '/plugins/vieux/sshfs:latest/disable', { kind: 'plain', family: 'plugins' }],
    ['GET', '/nodes', { kind: 'plain', family: 'swarm' }],
    // Scoped by name and labels (issue #24).
    ['GET', '/services', { kind: 'swarmList', of: 'services' }],
    ['GET', '/secrets', { kind: 'swarmList', of: 'secrets' }],
    ['GET', '/configs', { kind: 'swarmList', of: 'configs' }],
    ['GET', '/services/s1', { kind: 'swarmObject', of: 'services', ref: 's1', action: 'inspect' }],
    ['DELETE', '/services/s1', { kind: 'swarmObject', of: 'services', ref: 's1', action: 'delete' }],
    ['GET', '/configs/c1', { kind: 'swarmObject', of: 'configs', ref: 'c1', action: 'inspect' }],
    ['DELETE', '/secrets/s1', { kind: 'swarmObject', of: 'secrets', ref: 's1', action: 'delete' }],
    ['GET', '/services/s1/logs', { kind: 'swarmObject', of: 'services', ref: 's1', action: 'logs' }],
    ['POST', '/services/s1/update', { kind: 'swarmObject', of: 'services', ref: 's1', action: 'update' }],
    ['GET', '/tasks', { kind: 'taskList' }],
    ['GET', '/tasks/t1', { kind: 'task', ref: 't1', action: 'inspect' }],
    ['GET', '/tasks/t1/logs', { kind: 'task', ref: 't1', action: 'logs' }],
    ['GET', '/nodes/n1', { kind: 'plain', family: 'swarm' }],
    ['DELETE', '/nodes/n1', { kind: 'plain', family: 'swarm' }],
    ['POST', '/nodes/n1/update', { kind: 'hostAccess', rule: 'swarm', family: 'swarm' }],
    ['POST', '/secrets/s1/update', { kind: 'swarmObject', of: 'secrets', ref: 's1', action: 'update' }],
  ])('%s %s', (method, raw, expected) => {
    expect(route(method, raw)).toEqual(expected);
  });
});

describe('classify: container routes', () => {
  it.each<[string, string, string, string[]]>([
    ['GET', '/containers/abc/json', 'abc', ['json']],
    // "json" is a valid container name: /containers/json/json inspects it.
    ['GET', '/containers/json/json', 'json', ['json']],
    ['GET', '/containers/create/json', 'create', ['json']],
    ['GET', '/containers/prune/json', 'prune', ['json']],
    ['GET', '/v1.41/containers/abc/json', 'abc', ['json']],
    ['GET', '/containers/%61bc/json', 'abc', ['json']],
    ['GET', '/containers/abc/logs', 'abc', ['logs']],
    ['GET', '/containers/abc/top', 'abc', ['top']],
    ['GET', '/containers/abc/stats', 'abc', ['stats']],
    ['GET', '/containers/abc/changes', 'abc', ['changes']],
    ['GET', '/containers/abc/export', 'abc', ['export']],
    ['GET', '/containers/abc/archive', 'abc', ['archive']],
    ['HEAD', '/containers/abc/archive', 'abc', ['archive']],
    ['PUT', '/containers/abc/archive', 'abc', ['archive']],
    ['GET', '/containers/abc/attach/ws', 'abc', ['attach/ws']],
    ['GET', '/containers/abc/checkpoints', 'abc', ['checkpoints']],
    ['POST', '/containers/abc/start', 'abc', ['start']],
    ['POST', '/containers/abc/stop', 'abc', ['stop']],
    ['POST', '/containers/abc/kill', 'abc', ['kill']],
    ['POST', '/containers/abc/wait', 'abc', ['wait']],
    ['POST', '/containers/abc/attach', 'abc', ['attach']],
    ['POST', '/containers/abc/exec', 'abc', ['exec']],
    ['POST', '/containers/abc/rename', 'abc', ['rename']],
    ['POST', '/containers/abc/update', 'abc', ['update']],
    ['POST', '/containers/abc/checkpoints', 'abc', ['checkpoints']],
    ['DELETE', '/containers/abc', 'abc', []],
    ['DELETE', '/containers/json', 'json', []],
    // Only POST /containers/prune is the prune route; DELETE names a container called "prune".
    ['DELETE', '/containers/prune', 'prune', []],
    ['DELETE', '/containers/abc/checkpoints/cp1', 'abc', ['checkpoints', 'cp1']],
  ])('%s %s => ref %j rest %j', (method, raw, ref, rest) => {
    expect(route(method, raw)).toEqual({ kind: 'container', ref, rest });
  });
});

describe('classify: exec routes', () => {
  it.each<[string, string, string, 'start' | 'resize' | 'json']>([
    ['POST', '/exec/ID/start', 'ID', 'start'],
    ['POST', '/exec/ID/resize', 'ID', 'resize'],
    ['GET', '/exec/ID/json', 'ID', 'json'],
    ['POST', '/v1.41/exec/0123abc/start', '0123abc', 'start'],
  ])('%s %s => exec %j %s', (method, raw, id, action) => {
    expect(route(method, raw)).toEqual({ kind: 'exec', id, action });
  });
});

describe('classify: refused on purpose', () => {
  it.each<[string, string, string]>([
    ['POST', '/grpc', GRPC_REFUSAL],
    ['GET', '/grpc', GRPC_REFUSAL],
  ])('%s %s', (method, raw, reason) => {
    expect(route(method, raw)).toEqual({ kind: 'refused', reason });
  });
});

describe('classify: unknown requests are refused (null)', () => {
  it.each<[string, string]>([
    // Unknown paths.
    ['GET', '/'],
    ['GET', '/nope'],
    ['GET', '/v1.41'],
    ['GET', '/containers'],
    ['GET', '/containers/abc'],
    ['GET', '/containers/abc/unknown'],
    ['GET', '/containers/abc/attach'],
    ['GET', '/containers/abc/attach/ws/x'],
    ['GET', '/images'],
    ['GET', '/exec/ID'],
    ['GET', '/exec/ID/start'],
    // Routing is case-sensitive, like the daemon's.
    ['GET', '/Containers/json'],
    ['GET', '/containers/JSON'],
    ['GET', '/containers/abc/JSON'],
    ['POST', '/containers/abc/Start'],
    // Wrong methods.
    ['POST', '/containers/json'],
    ['HEAD', '/containers/json'],
    ['PUT', '/containers/json'],
    ['GET', '/containers/prune'],
    ['GET', '/containers/create'],
    ['GET', '/containers/abc/start'],
    ['POST', '/containers/abc/logs'],
    ['HEAD', '/containers/abc/json'],
    ['PUT', '/containers/abc'],
    ['GET', '/exec/ID/resize'],
    ['POST', '/exec/ID/json'],
    ['POST', '/events'],
    ['HEAD', '/version'],
    ['get', '/containers/json'],
    ['OPTIONS', '/containers/json'],
    ['POST', '/tasks'],
    // Multi-segment container references are never guessed (the daemon would read "a/b" as the name).
    ['GET', '/containers/a/b/json'],
    ['POST', '/containers/a/b/start'],
    ['GET', '/containers/a/b/logs'],
    ['GET', '/containers/abc/logs/json'],
    ['GET', '/containers/json/json/json'],
    ['PUT', '/containers/a/b/archive'],
    ['POST', '/exec/a/b/start'],
    ['GET', '/networks/a/b'],
    ['POST', '/networks/a/b/connect'],
  ])('%s %s', (method, raw) => {
    expect(route(method, raw)).toBeNull();
  });
});

describe('classify: DELETE /containers/{parent}/{alias} (the daemon routes {name:.*}: a link name)', () => {
  it.each<[string, string, string]>([
    ['/containers/web/db?link=1', 'web', 'db'],
    ['/containers/web/db?link=true', 'web', 'db'],
    ['/containers/web/db?link=yes', 'web', 'db'],
    ['/v1.41/containers/web/checkpoints?link=1', 'web', 'checkpoints'],
  ])('%s removes the link %s/%s', (raw, parent, alias) => {
    expect(route('DELETE', raw)).toEqual({ kind: 'containerLink', parent, alias });
  });

  // Without link=1 the daemon would remove the linked container itself, found by its link name.
  it.each([
    '/containers/a/b',
    '/containers/a/b?link=0',
    '/containers/a/b?link=false',
    '/containers/a/b?link=none',
    '/containers/abc/checkpoints',
  ])('%s is refused', (raw) => {
    expect(route('DELETE', raw)?.kind).toBe('refused');
  });
});

describe('goBool (httputils.BoolValue)', () => {
  it.each<[string | null, boolean]>([
    [null, false],
    ['', false],
    ['0', false],
    ['no', false],
    [' FALSE ', false],
    ['None', false],
    ['1', true],
    ['true', true],
    ['anything', true],
    // Go's TrimSpace, not JavaScript's trim(): U+FEFF is no space to Go, U+0085 and U+00A0 are.
    ['\ufeff0', true],
    ['\ufeff', true],
    ['\u00850', false],
    ['\u0085', false],
    ['\u00a0no\u00a0', false],
    ['\u200b', true],
    // Go's ToLower: İ is i, so "nİne" is not "none" either way; K (Kelvin) is k.
    ['NONE', false],
  ])('%j => %s', (value, expected) => {
    expect(goBool(value)).toBe(expected);
  });
});

describe('the route table: one row per route, compiled once', () => {
  /** A request of a row: each placeholder given a name (a multi-segment one for `**` and `{x+}`). */
  const sample = (path: string) =>
    path
      .split('/')
      .map((s) => (s === '**' || s.endsWith('+}') ? 'reg/a:1' : s.startsWith('{') ? 'x1' : s))
      .join('/');

  it('every row is reached by its own requests, whatever rows come before it', () => {
    for (const row of ROUTES) {
      const matched = match(row.method, parseTarget(sample(row.path)));
      const label = `${row.method} ${pathForms(row.path).label}`;
      const refused = `${row.method} /${row.path.split('/')[1]}/(refused)`;
      expect(matched?.template, `${row.method} ${row.path}`).toBe(
        matched?.route.kind === 'refused' ? refused : label,
      );
      expect(matched?.lane).toBe(row.lane);
    }
  });

  it("a permission group holds a row's requests exactly when the row names the group", () => {
    const groups = Object.entries(PERMISSION_GROUPS).map(([name, templates]) => ({
      name,
      compiled: compileTemplates([...templates]),
    }));
    for (const row of ROUTES) {
      const path = sample(row.path);
      for (const g of groups) {
        expect(
          g.compiled.some((t) => t.matches(row.method, path)),
          `${g.name} for ${row.method} ${path}`,
        ).toBe(row.groups.includes(g.name as (typeof GROUP_NAMES)[number]));
      }
    }
  });

  it('every group is named by a row, and lists are refused a group name no row gives', () => {
    expect(Object.keys(PERMISSION_GROUPS)).toEqual([...GROUP_NAMES]);
    expect(() => compileTemplates(['reader'])).toThrow(/neither a permission group/);
  });

  const build = () => ({ kind: 'plain', family: 'x' }) as const;
  it.each<[string, RouteRow[], RegExp]>([
    [
      'a fixed path taken by an earlier row',
      [
        { method: 'GET', path: '/a/{id}', build, lane: 'short', groups: ['ping'] },
        { method: 'GET', path: '/a/b', build, lane: 'short', groups: [] },
      ],
      /GET \/a\/b is matched by \/a\/\{id\} first/,
    ],
    [
      'a row written twice',
      [
        { method: 'GET', path: '/a', build, lane: 'short', groups: ['ping'] },
        { method: 'GET', path: '/a', build, lane: 'short', groups: [] },
      ],
      /written twice/,
    ],
    [
      'a segment that is no word and no placeholder',
      [{ method: 'GET', path: '/a.b', build, lane: 'short', groups: ['ping'] }],
      /neither a word nor a placeholder/,
    ],
  ])('a table with %s does not compile', (_label, rows, message) => {
    expect(() => compileTable(rows)).toThrow(message);
  });

  it('a refused route keeps only its section in its template', () => {
    expect(match('DELETE', parseTarget('/containers/secret/other'))?.template).toBe(
      'DELETE /containers/(refused)',
    );
    expect(match('DELETE', parseTarget('/containers/web/db?link=1'))?.template).toBe(
      'DELETE /containers/{id}/{alias}',
    );
  });
});
