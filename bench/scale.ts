// Issue #26, the cost of scale: configured clients, open event streams, start-up with many clients.
// Each figure against the bare Node proxy (and HAProxy alone where it answers the same request).
import * as http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { measure, phase, type Setup, type Shape } from './cases.ts';
import { startCounter } from './counter.ts';
import { type DockscopeProcess, startDockscopeProcess } from './dockscope-process.ts';
import { NAME_RULE } from './fixtures.ts';
import { memoryOf } from './load.ts';
import { type Case, ratio, sideOf } from './report.ts';

export const CLIENT_COUNTS = [1, 10, 100, 1000] as const;
export const STREAM_COUNTS = [10, 100, 1000] as const;
const STREAM_RSS_LIMIT_MIB = 128;
const STARTUP_RUNS = 3;

export type Matching = 'token' | 'address';

/**
 * A configuration file of `k` clients in which the one the load is identified as comes last (the
 * worst case for a first-match walk): by token (each client its own, from the environment) or by
 * source address (the others from addresses in 10.0.0.0/8 that never match).
 */
function clientsYaml(k: number, matching: Matching, port: number): string {
  const lines = [`listeners:\n  - { name: lan, address: "127.0.0.1:${port}" }`, 'clients:'];
  const scope = `containers: { names: [${NAME_RULE}] }, scrubEnvs: true`;
  for (let i = 0; i < k; i++) {
    const last = i === k - 1;
    if (matching === 'token') {
      lines.push(`  - { name: c${i}, match: { token: { env: BENCH_TOKEN_${i} } }, ${scope} }`);
    } else {
      const from = last ? '127.0.0.1/32' : `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
      lines.push(`  - { name: c${i}, match: { from: [${from}] }, ${scope} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Each token client's token, in the variable its match names. */
function tokenEnv(k: number, matching: Matching): Record<string, string> {
  if (matching !== 'token') return {};
  return Object.fromEntries(Array.from({ length: k }, (_, i) => [`BENCH_TOKEN_${i}`, tokenText(i)]));
}

const tokenText = (i: number) => `bench-token-${i}-${'x'.repeat(24)}`;

function startClients(s: Setup, k: number, matching: Matching, name: string, pollMs?: number) {
  return startDockscopeProcess({
    proxyUrl: s.proxy.url,
    dir: s.work,
    name,
    nodeArgs: s.flags,
    ...(pollMs ? { pollMs } : {}),
    env: tokenEnv(k, matching),
    config: (port) => clientsYaml(k, matching, port),
    ...(matching === 'token' ? { readyHeaders: { Authorization: `Bearer ${tokenText(k - 1)}` } } : {}),
  });
}

/** The header of the last of k token clients. */
const tokenOf = (k: number) => `Authorization: Bearer ${tokenText(k - 1)}`;

/** /_ping through dockscope with 1, 10, 100 and 1000 clients, by token and by address: one case each. */
export async function clientCases(s: Setup, shape: Shape, bareUrl: string, barePid: number): Promise<Case[]> {
  const out: Case[] = [];
  for (const matching of ['token', 'address'] as const) {
    const sides: Record<string, { url: string; pid?: number; headers?: readonly string[] }> = {
      up: { url: s.proxy.url },
      bare: { url: bareUrl, pid: barePid },
    };
    const started: DockscopeProcess[] = [];
    try {
      for (const k of CLIENT_COUNTS) {
        const ds = await phase(`start dockscope with ${k} ${matching} clients`, () =>
          startClients(s, k, matching, `ds-${matching}-${k}`),
        );
        started.push(ds);
        s.cleanup.add(`dockscope (${k} ${matching} clients)`, () => ds.stop());
        sides[`ds${k}`] = {
          url: ds.url,
          pid: ds.pid,
          ...(matching === 'token' ? { headers: [tokenOf(k)] } : {}),
        };
      }
      const setup: Setup = { ...s, sides };
      out.push(
        await measure(setup, `GET /_ping, clients by ${matching} (the last of k)`, '/_ping', shape, [
          'up',
          'bare',
          ...CLIENT_COUNTS.map((k) => `ds${k}`),
        ]),
      );
    } finally {
      for (const ds of started) await ds.stop();
    }
  }
  return out;
}

/** The clients curve: each k's req/s and CPU per request against one client's and the bare proxy's. */
export function clientTable(cases: readonly Case[]): string[][] {
  return cases.flatMap((c) => {
    const one = sideOf(c, 'ds1');
    const bare = sideOf(c, 'bare');
    const up = sideOf(c, 'up');
    return CLIENT_COUNTS.map((k) => {
      const x = sideOf(c, `ds${k}`);
      if (!x || !one) return [c.name, String(k), 'n/a', '', '', '', ''];
      return [
        k === 1 ? c.name : '',
        String(k),
        x.result.rps.toFixed(0),
        x.cpuMs.toFixed(3),
        `${ratio(x.result.rps / one.result.rps)} / ${ratio(x.cpuMs / one.cpuMs)}`,
        bare ? ratio(x.result.rps / bare.result.rps) : '',
        up ? ratio(x.result.rps / up.result.rps) : '',
      ];
    });
  });
}
export const CLIENT_HEAD = [
  'case',
  'clients',
  'req/s',
  'CPU ms/req',
  'vs 1 client: req/s / CPU',
  'vs bare',
  'vs up',
];

export interface StreamFigure {
  readonly side: string;
  readonly k: number;
  /** MiB, after all k streams are open and idle for a second. */
  readonly rss: number;
  readonly rssAtRest: number;
  /** `GET /events` requests the upstream saw for the k streams (the proxy's own watch aside). */
  readonly upstreamStreams: number;
  /** Milliseconds from creating a visible container until every stream has its event. */
  readonly fanOutMs: number;
  readonly delivered: number;
}

/**
 * k open `GET /events` streams on dockscope (configured like ds, one client: MAX_STREAMS_PER_CLIENT
 * raised to k, the default being 256) and on the bare proxy, each behind a counter in front of
 * HAProxy that counts the upstream streams; RSS of the proxy with all k open, and how long one event
 * takes to reach all k.
 */
export async function streamFigures(
  s: Setup,
  bareScript: string,
  createVisible: (name: string) => Promise<() => Promise<void>>,
): Promise<StreamFigure[]> {
  const counter = await startCounter(s.proxy.port);
  s.cleanup.add('counter (streams)', () => counter.close());
  const out: StreamFigure[] = [];
  const max = Math.max(...STREAM_COUNTS);
  const env = {
    MAX_STREAMS_PER_CLIENT: String(max),
    MAX_CONNECTIONS: String(4 * max),
    SCRUB_ENVS: 'true',
    BARE_MAX_SOCKETS: String(2 * max),
  };
  for (const side of ['bare', 'ds'] as const) {
    const proxy = await startDockscopeProcess({
      proxyUrl: counter.url,
      dir: s.work,
      name: `${side}-streams`,
      nodeArgs: s.flags,
      env,
      ...(side === 'bare' ? { script: bareScript } : {}),
    });
    s.cleanup.add(`${side} (streams)`, () => proxy.stop());
    try {
      await sleep(500);
      const rssAtRest = (await memoryOf(proxy.pid)).rss;
      for (const k of STREAM_COUNTS) {
        out.push(
          await phase(`${k} event streams on ${side}`, () =>
            streamsOn(proxy, side, k, rssAtRest, counter, createVisible),
          ),
        );
      }
    } finally {
      await proxy.stop();
    }
  }
  await counter.close();
  return out;
}

async function streamsOn(
  proxy: DockscopeProcess,
  side: string,
  k: number,
  rssAtRest: number,
  counter: Awaited<ReturnType<typeof startCounter>>,
  createVisible: (name: string) => Promise<() => Promise<void>>,
): Promise<StreamFigure> {
  counter.reset();
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const requests: http.ClientRequest[] = [];
  const name = `${NAME_RULE}-events-${side}-${k}`;
  let delivered = 0;
  let lastAt = 0;
  const heads: Promise<void>[] = [];
  for (let i = 0; i < k; i++) {
    heads.push(
      new Promise<void>((resolve, reject) => {
        const req = http.get(
          `${proxy.url}/events?filters=${encodeURIComponent('{"type":["container"]}')}`,
          { agent },
          (res) => {
            if (res.statusCode !== 200) reject(new Error(`GET /events: ${res.statusCode}`));
            let seen = false;
            res.on('data', (chunk: Buffer) => {
              if (!seen && chunk.includes(name)) {
                seen = true;
                delivered++;
                lastAt = performance.now();
              }
            });
            res.on('error', () => {});
            resolve();
          },
        );
        req.on('error', reject);
        requests.push(req);
      }),
    );
  }
  try {
    // Open once every head is in, or (the bare proxy sends a head with the first event only: Node's
    // writeHead waits for the body) once the upstream has seen k streams; 30 s at most.
    const forwarded = async () => {
      while (counter.seen.filter((line) => line.startsWith('GET /events')).length < k) await sleep(20);
    };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${k} event streams on ${side} not open within 30 s`)),
        30_000,
      );
    });
    await Promise.race([Promise.all(heads), forwarded(), late]).finally(() => clearTimeout(timer));
    await sleep(1000);
    const rss = (await memoryOf(proxy.pid)).rss;
    const upstreamStreams = counter.seen.filter((line) => line.startsWith('GET /events')).length;
    const createdAt = performance.now();
    const remove = await createVisible(name);
    const deadline = Date.now() + 10_000;
    while (delivered < k && Date.now() < deadline) await sleep(10);
    await remove();
    return { side, k, rss, rssAtRest, upstreamStreams, fanOutMs: lastAt - createdAt, delivered };
  } finally {
    for (const req of requests) req.destroy();
    agent.destroy();
    // Let the proxy see the streams go and close its upstream ones before the next k.
    await sleep(1000);
  }
}

export function streamTable(figures: readonly StreamFigure[]): string[][] {
  return figures.map((f) => {
    const bare = figures.find((b) => b.side === 'bare' && b.k === f.k);
    return [
      f.side,
      String(f.k),
      f.rssAtRest.toFixed(1),
      f.rss.toFixed(1),
      ((1024 * (f.rss - f.rssAtRest)) / f.k).toFixed(1),
      bare && f !== bare ? ratio(f.rss / bare.rss) : '',
      String(f.upstreamStreams),
      `${f.delivered}/${f.k}`,
      f.delivered === f.k ? f.fanOutMs.toFixed(0) : 'n/a',
    ];
  });
}
export const STREAM_HEAD = [
  'side',
  'streams',
  'RSS at rest MiB',
  'RSS MiB',
  'KiB per stream',
  'RSS vs bare',
  'upstream streams',
  'got the event',
  'event to all ms',
];

export function streamChecks(figures: readonly StreamFigure[]) {
  const most = figures.find((f) => f.side === 'ds' && f.k === Math.max(...STREAM_COUNTS));
  return most
    ? [
        {
          target: `RSS <= ${STREAM_RSS_LIMIT_MIB} MiB with ${most.k} open event streams`,
          measured: `${most.rss.toFixed(1)} MiB (${most.upstreamStreams} upstream streams, event reached ${most.delivered}/${most.k})`,
          pass: most.rss <= STREAM_RSS_LIMIT_MIB && most.delivered === most.k,
        },
      ]
    : [];
}

export interface StartupFigure {
  readonly label: string;
  readonly ms: readonly number[];
}

/** Spawn to the first answer to `/_ping`: the bare proxy, dockscope with one client and with 1000 in the file. */
export async function startupFigures(s: Setup, bareScript: string): Promise<StartupFigure[]> {
  const out: StartupFigure[] = [];
  const runs: [string, () => Promise<DockscopeProcess>][] = [
    [
      'bare Node proxy',
      () =>
        startDockscopeProcess({
          proxyUrl: s.proxy.url,
          dir: s.work,
          name: 'bare-startup',
          nodeArgs: s.flags,
          script: bareScript,
          pollMs: 2,
        }),
    ],
    ['dockscope, 1 client (token)', () => startClients(s, 1, 'token', 'ds-startup-1', 2)],
    ['dockscope, 1000 clients (token)', () => startClients(s, 1000, 'token', 'ds-startup-1000', 2)],
    ['dockscope, 1000 clients (address)', () => startClients(s, 1000, 'address', 'ds-startup-1000a', 2)],
  ];
  for (const [label, start] of runs) {
    const ms: number[] = [];
    for (let i = 0; i < STARTUP_RUNS; i++) {
      const p = await start();
      ms.push(p.readyMs);
      await p.stop();
    }
    out.push({ label, ms });
  }
  return out;
}

const median = (xs: readonly number[]) =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export function startupTable(figures: readonly StartupFigure[]): string[][] {
  const bare = figures[0];
  const one = figures[1];
  return figures.map((f) => [
    f.label,
    median(f.ms).toFixed(0),
    f.ms.map((m) => m.toFixed(0)).join(', '),
    bare && f !== bare ? ratio(median(f.ms) / median(bare.ms)) : '',
    one && f !== one && f !== bare ? ratio(median(f.ms) / median(one.ms)) : '',
  ]);
}
export const STARTUP_HEAD = ['process', 'median ms', 'runs ms', 'vs bare', 'vs 1 client'];
