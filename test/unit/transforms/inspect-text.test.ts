import { describe, expect, it } from 'vitest';
import { linkSentinel } from '../../../src/policy/missing.ts';
import { filterInspectText } from '../../../src/transforms/inspect-text.ts';
import { ANY, NotUnderstood, scanJson, want } from '../../../src/transforms/json-spans.ts';
import { expectSamePaths } from '../support/inspect-differential.ts';
import { id, type StubContainer, stubResolver } from '../support/stub-resolver.ts';

// The containers the stub daemon knows: web* visible (rule `web`), the rest hidden.
const WEB = id('a');
const PEER = id('b');
const SECRET = id('c');
const KNOWN: StubContainer[] = [
  { id: WEB, name: 'web-main' },
  { id: PEER, name: 'web-peer' },
  { id: SECRET, name: 'secret-db' },
];
const fresh = () => stubResolver(KNOWN).resolver;

/** A small seeded generator (mulberry32): a failing case can be run again by its seed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Rng = ReturnType<typeof random>;

// Pieces an adversarial container name, label, env value or path can hold: JSON syntax, escapes,
// the keys dockscope rewrites, the ids and sentinels it acts on, and text that is not ASCII.
const PIECES = [
  '"',
  '\\',
  '\\"',
  '\\u0045nv',
  '\\\\"',
  '"Env":["X=1"]',
  '","Env":"',
  'Env',
  'env',
  'ENV',
  '"Config":{"Env":',
  '"HostConfig":{"NetworkMode":"container:',
  'container:',
  `container:${SECRET}`,
  SECRET,
  SECRET.slice(0, 12),
  WEB,
  '<hidden>',
  '<>&',
  '\u2028\u2029',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  ' ',
  '\n',
  '\t',
  '\u0000',
  '\u001f',
  'é',
  '€',
  '😀',
  '\ud800',
  '\udfff',
  linkSentinel('gone'),
  'dockscope~link~',
  'secret-db',
  'web-peer',
  'A=b',
];

function text(rng: Rng): string {
  let out = '';
  const n = rng.int(6);
  for (let i = 0; i < n; i++)
    out += rng.next() < 0.7 ? rng.pick(PIECES) : String.fromCharCode(rng.int(0x3000));
  return out;
}

function ref(rng: Rng): string {
  return rng.pick([
    WEB,
    PEER,
    SECRET,
    'web-peer',
    'secret-db',
    'missing',
    SECRET.slice(0, 12),
    '',
    text(rng),
  ]);
}

function labels(rng: Rng): Record<string, unknown> {
  const keys = ['Env', 'Config', 'com.example', '__proto__', '1', 'NetworkMode', text(rng), text(rng)];
  return Object.fromEntries(
    Array.from({ length: rng.int(5) }, () => [rng.pick(keys), rng.next() < 0.95 ? text(rng) : 7]),
  );
}

/** A container inspect answer in the shape Docker 20.10 gives it, with adversarial strings inside. */
function inspectAnswer(rng: Rng): Record<string, unknown> {
  const maybe = <T>(value: T, other: unknown = null) => (rng.next() < 0.8 ? value : other);
  const mode = () =>
    rng.pick(['default', 'host', 'private', '', `container:${ref(rng)}`, `container:${ref(rng)}`, text(rng)]);
  const path = (name: string) => `/var/lib/docker/containers/${rng.pick([WEB, SECRET])}/${name}${text(rng)}`;
  const config: Record<string, unknown> = {
    Hostname: rng.pick([SECRET.slice(0, 12), WEB.slice(0, 12), text(rng)]),
    Domainname: '',
    User: text(rng),
    Env: maybe(Array.from({ length: rng.int(4) }, () => `${text(rng)}=${text(rng)}`)),
    Cmd: [text(rng), text(rng)],
    Image: 'busybox',
    Volumes: maybe({ [text(rng)]: {} }),
    WorkingDir: text(rng),
    Entrypoint: null,
    OnBuild: null,
    Labels: maybe(labels(rng), rng.pick([null, [], 'x'])),
  };
  if (rng.next() < 0.15) delete config.Env;
  if (rng.next() < 0.05) for (const key of Object.keys(config)) delete config[key];
  const host: Record<string, unknown> = {
    Binds: maybe([`${text(rng)}:/data`]),
    NetworkMode: mode(),
    PidMode: mode(),
    IpcMode: mode(),
    Cgroup: mode(),
    VolumesFrom: maybe(
      Array.from({ length: rng.int(3) }, () => rng.pick([`${ref(rng)}:ro`, ref(rng), 5, null])),
    ),
    Links: maybe(
      Array.from({ length: rng.int(3) }, () => rng.pick([`/${ref(rng)}:/web-main/${text(rng)}`, 7])),
    ),
    Memory: rng.pick([0, 1073741824, 9007199254740991]),
    NanoCpus: 0,
    CpuShares: rng.pick([0, 512]),
    Dns: [],
    LogConfig: { Type: 'json-file', Config: { [text(rng)]: text(rng) } },
    Env: ['NOT=the config env'],
  };
  const endpoint = () => ({
    IPAMConfig: null,
    Links: maybe([`${rng.pick([linkSentinel(text(rng)), 'web-peer', text(rng)])}:alias`, 3]),
    Aliases: [text(rng)],
    NetworkID: id('d'),
    IPAddress: '172.17.0.2',
    IPPrefixLen: 16,
  });
  return {
    Id: rng.next() < 0.97 ? WEB : 42,
    Created: '2026-12-04T10:00:00.123456789Z',
    Path: text(rng),
    Args: [text(rng)],
    State: { Status: 'running', Running: true, Pid: 1234, ExitCode: 0, Env: [text(rng)] },
    Image: `sha256:${id('e')}`,
    ResolvConfPath: path('resolv.conf'),
    HostnamePath: path('hostname'),
    HostsPath: path('hosts'),
    LogPath: path('log'),
    Name: rng.pick(['/web-main', `/web-${text(rng)}`, `/${text(rng)}`, '/secret-db']),
    RestartCount: 0,
    Mounts: [{ Type: 'bind', Source: text(rng), Destination: '/data', Mode: '', RW: true, Env: text(rng) }],
    Config: rng.next() < 0.95 ? config : rng.pick([null, [], 'Config']),
    HostConfig: rng.next() < 0.95 ? host : rng.pick([null, []]),
    NetworkSettings: {
      Bridge: '',
      SandboxKey: `/var/run/docker/netns/${text(rng)}`,
      Networks: maybe({ bridge: endpoint(), [text(rng)]: endpoint() }),
    },
  };
}

/** Go's encoding/json spelling: <, >, &, U+2028 and U+2029 escaped, a newline after the value. */
function goSpelling(json: string): string {
  return `${json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

/** Some characters of strings (keys too) written as \u escapes, and spaces between tokens. */
function respelled(json: string, rng: Rng): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i] as string;
    if (inString && c === '\\') {
      const length = json[i + 1] === 'u' ? 6 : 2;
      out += json.slice(i, i + length);
      i += length - 1;
      continue;
    }
    if (c === '"') inString = !inString;
    else if (inString && rng.next() < 0.1) {
      out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      continue;
    }
    const structural = !inString && '{}[],:'.includes(c);
    if (structural && rng.next() < 0.1) out += ' ';
    out += c;
    if (structural && rng.next() < 0.1) out += ' ';
  }
  return out;
}

describe('inspect on its text (issue #26) answers exactly as the full JSON path', () => {
  it('on 3000 adversarial answers, each in three spellings, with and without SCRUB_ENVS', async () => {
    let takenOn = 0;
    let cases = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const rng = random(seed);
      const canonical = JSON.stringify(inspectAnswer(rng));
      for (const spelling of [canonical, goSpelling(canonical), respelled(canonical, rng)]) {
        for (const scrub of [true, false]) {
          cases++;
          if ((await expectSamePaths(spelling, fresh, scrub)) === 'text') takenOn++;
        }
      }
    }
    // Valid answers without a member given twice are all taken on: the fast path is the common one.
    expect(takenOn).toBe(cases);
  }, 120_000);

  it('cut or damaged answers are left to the JSON path, never forwarded', async () => {
    let invalid = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rng = random(seed);
      const canonical = JSON.stringify(inspectAnswer(rng));
      const at = rng.int(canonical.length);
      for (const damaged of [
        canonical.slice(0, at),
        `${canonical.slice(0, at)}${rng.pick(['"', '\\', '\u0001', '}', ',', 'x', '\\u12', '01', '-'])}${canonical.slice(at)}`,
      ]) {
        if ((await expectSamePaths(damaged, fresh, true)) === 'invalid') invalid++;
      }
    }
    // Most damage makes invalid JSON (asserted left alone); the rest is valid and compared as above.
    expect(invalid).toBeGreaterThan(500);
  }, 60_000);

  it.each([
    ['Env given twice in Config', '{"Id":"%W","Name":"/web-main","Config":{"Env":["A=1"],"Env":["B=2"]}}'],
    [
      'Env twice, once spelled with an escape',
      '{"Id":"%W","Name":"/web-main","Config":{"Env":[],"\\u0045nv":["B=2"]}}',
    ],
    ['Config given twice', '{"Id":"%W","Name":"/web-main","Config":{"Env":[]},"Config":{"Env":["B=2"]}}'],
    [
      'HostConfig given twice',
      '{"Id":"%W","Name":"/web-main","HostConfig":{},"HostConfig":{"PidMode":"container:%S"}}',
    ],
    [
      'a network given twice',
      '{"Id":"%W","Name":"/web-main","NetworkSettings":{"Networks":{"a":{},"a":{}}}}',
    ],
    ['a number JSON.stringify writes otherwise', '{"Id":"%W","Name":"/web-main","Memory":1e400}'],
    ['minus zero', '{"Id":"%W","Name":"/web-main","Memory":-0}'],
    ['a raw control character in a string', '{"Id":"%W","Name":"/web-main","Path":"a\tb"}'],
    ['pretty-printed', '{\n  "Id": "%W",\n  "Name": "/web-main"\n}'],
    ['a top level that is no object', '["Id","%W"]'],
  ])('%s: left to the JSON path', async (_what, template) => {
    const text = template.replaceAll('%W', WEB).replaceAll('%S', SECRET);
    expect(await filterInspectText(text, fresh(), true)).toBeNull();
    await expectSamePaths(text, fresh, true);
  });

  it('an escaped key is read as JSON.parse reads it: "\\u0045nv" is Env, "env" is not', async () => {
    const text = `{"Id":"${WEB}","Name":"/web-main","Config":{"env":["A=1"],"\\u0045nv":["SECRET=1"]}}`;
    const out = await filterInspectText(text, fresh(), true);
    expect(out).toEqual({
      visible: true,
      text: `{"Id":"${WEB}","Name":"/web-main","Config":{"env":["A=1"],"\\u0045nv":[]}}`,
    });
    await expectSamePaths(text, fresh, true);
  });

  it('"Env" inside a string, a label or another object is left as it is; Config.Env is blanked', async () => {
    const text = `{"Id":"${WEB}","Name":"/web-main","Path":"\\",\\"Env\\":[\\"X=1\\"]","State":{"Env":["A=1"]},"Config":{"Labels":{"Env":"k"},"Env":["SECRET=1"]}}\n`;
    const out = await filterInspectText(text, fresh(), true);
    expect(out).toEqual({ visible: true, text: text.replace('"Env":["SECRET=1"]', '"Env":[]') });
  });

  it('a container: mode naming a hidden container and its id in the paths become <hidden>', async () => {
    const text = `{"Id":"${WEB}","ResolvConfPath":"/c/${SECRET}/resolv.conf","Name":"/web-main","Config":{"Hostname":"${SECRET.slice(0, 12)}"},"HostConfig":{"NetworkMode":"container:${SECRET}","PidMode":"container:web-peer"}}\n`;
    const out = await filterInspectText(text, fresh(), false);
    expect(out).toEqual({
      visible: true,
      text: `{"Id":"${WEB}","ResolvConfPath":"/c/<hidden>/resolv.conf","Name":"/web-main","Config":{"Hostname":"<hidden>"},"HostConfig":{"NetworkMode":"container:<hidden>","PidMode":"container:web-peer"}}\n`,
    });
  });

  it('a hidden container is hidden', async () => {
    const text = `{"Id":"${SECRET}","Name":"/secret-db","Config":{"Env":["A=1"]}}`;
    expect(await filterInspectText(text, fresh(), true)).toEqual({ visible: false });
  });
});

describe('scanJson finds members by key at their own depth', () => {
  const shape = want({ A: { B: true }, N: { [ANY]: { L: true } } });
  it('records the wanted spans and nothing inside strings', () => {
    const text = '{"X":{"A":1},"A":{"s":"\\"B\\":2","B":[1,{"B":3}]},"N":{"p":{"L":null},"q":{}}}';
    const top = scanJson(text, shape);
    const a = top.members?.get('A');
    expect(a?.type).toBe('object');
    const b = a?.members?.get('B');
    expect(text.slice(b?.start, b?.end)).toBe('[1,{"B":3}]');
    expect([...(top.members?.get('N')?.members?.keys() ?? [])]).toEqual(['p', 'q']);
    expect(top.members?.has('X')).toBe(false);
  });
  it.each([
    '',
    '{',
    '{"A":}',
    '{"A":1,}',
    '[1,]',
    '{"A":01}',
    '{"A":"\\x"}',
    '{"A":tru}',
    '{} {}',
    '{"A":"\\ud8"}',
  ])('%j is not understood (JSON.parse refuses it too)', (text) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(() => scanJson(text, shape)).toThrow(NotUnderstood);
  });
  it('a string of a million escapes is scanned in linear time (large-values: a 1 MiB label of "<")', () => {
    const text = `{"A":{"B":"${'\\u003c'.repeat(1024 * 1024)}"},"C":"${'\\"'.repeat(100_000)}"}`;
    const started = performance.now();
    expect(scanJson(text, shape).end).toBe(text.length);
    // Quadratic, this takes hours; linear, well under a second even on a loaded machine.
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('nesting deeper than the stack goes without recursion', () => {
    const text = `{"A":{"B":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    expect(scanJson(text, shape).end).toBe(text.length);
  });
});
