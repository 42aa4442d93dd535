// Issue #5: dockscope against the HAProxy socket proxy alone, on a private dockerd. `npm run bench`.
// Knobs (environment): BENCH_MAX_N (largest N, default 5000); BENCH_CPU_PROF=1 adds CPU profiles of
// dockscope under /_ping and under the N=1000 list load.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDaemon } from '../test/harness/daemon.ts';
import { getFreePort } from '../test/harness/free-port.ts';
import { importBusyboxImage } from '../test/harness/image.ts';
import { logTail } from '../test/harness/process.ts';
import { startSocketProxy } from '../test/harness/socket-proxy.ts';
import { countUpstream, pair, phase, phases, profile, type Setup, type Shape } from './cases.ts';
import { Cleanup } from './cleanup.ts';
import { describeExits, startDockscopeProcess, startFlags } from './dockscope-process.ts';
import { withFaultsSection } from './faults.ts';
import { type BenchContainer, createContainers, Engine, NAME_RULE } from './fixtures.ts';
import { memoryOf, stopAllLoad } from './load.ts';
import { type Check, markdownReport, type Pair, printable } from './report.ts';
import { checkList, LIST_PATH, rssRounds } from './scenarios.ts';
import { evaluate } from './targets.ts';

const MAX_N = Number(process.env.BENCH_MAX_N ?? 5000);
const SIZES = [...new Set([300, 1000, MAX_N].filter((n) => n <= MAX_N))];
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** Container creation beyond this stops early; the largest N is then what exists. */
const CREATE_BUDGET_MS = 240_000;
const SMALL: Shape = { connections: 16, seconds: 5, warmupSeconds: 1 };
const LIGHT: Shape = { connections: 1, seconds: 4, warmupSeconds: 1 };
const LIST: Shape = { connections: 16, seconds: 8, warmupSeconds: 1 };
const BIG: Shape = { connections: 4, seconds: 12, warmupSeconds: 1 };
const RSS = { rounds: 3, connections: 8, seconds: 10, limitMiB: 128 };
const K = 50;
const DOC = new URL('../docs/benchmarks.md', import.meta.url);

/** The logs of dockscope and HAProxy, shown when the run fails. */
const logs: string[] = [];

async function bench(cleanup: Cleanup): Promise<void> {
  const totalStarted = performance.now();
  const work = await mkdtemp(join(os.tmpdir(), 'dsb-'));
  for (const name of ['dockscope', 'dockscope-counted', 'ds-profiled', 'dockscope-rss']) {
    logs.push(join(work, `${name}.log`));
  }
  cleanup.add('work dir', () => rm(work, { recursive: true, force: true }));
  const daemon = await phase('start dockerd', () => startDaemon());
  cleanup.add('dockerd (and its containers)', () => daemon.stop());
  const image = await phase('import busybox image', () => importBusyboxImage(daemon));
  const engine = new Engine(daemon.socketPath);
  cleanup.add('engine client', () => engine.close());
  const dockerd = (JSON.parse(await engine.ok('GET', '/version')) as { Version: string }).Version;
  const haproxyVersion = (await promisify(execFile)('haproxy', ['-v'])).stdout;
  const haproxy = `HAProxy ${/version (\S+)/.exec(haproxyVersion)?.[1] ?? 'unknown'}`;

  const containers: BenchContainer[] = [];
  let createMs = 0;
  const grow = async (n: number): Promise<number> => {
    const from = containers.length;
    if (from >= n) return from;
    const started = performance.now();
    const made = await phase(`create containers ${from}..${n - 1}`, () =>
      // The budget counts creation time only, not the measurements in between.
      createContainers(engine, image, from, n, Date.now() + CREATE_BUDGET_MS - createMs),
    );
    createMs += performance.now() - started;
    containers.push(...made);
    // vfs copies the image for every container: flush those writes now, not during a measurement.
    await phase('sync', () => promisify(execFile)('sync'));
    return containers.length;
  };
  await grow(SIZES[0] ?? 300);

  // Plain HTTP with keep-alive, like Tecnativa's socket proxy (the harness's default config answers
  // every request with `Connection: close`, which would make each upstream request a new connection).
  const proxy = await phase('start HAProxy and dockscope', () =>
    startSocketProxy(daemon.socketPath, { keepAlive: true }),
  );
  cleanup.add('haproxy', () => proxy.stop());
  logs.push(proxy.logPath);
  const flags = await startFlags();
  const ds = await startDockscopeProcess({
    proxyUrl: proxy.url,
    dir: work,
    name: 'dockscope',
    nodeArgs: flags,
  });
  cleanup.add('dockscope', () => ds.stop());
  const s: Setup = { work, proxy, ds, cleanup, flags };
  const target = containers.find((c) => c.visible && c.running);
  if (!target) throw new Error('no running visible container');

  const pairs: Pair[] = [];
  const profiles: string[] = [];
  const inspect = `/containers/${target.id}/json`;
  pairs.push(await pair(s, 'GET /_ping', '/_ping', SMALL));
  pairs.push(await pair(s, 'GET /containers/{id}/json', inspect, SMALL));
  pairs.push(await pair(s, 'GET /_ping (1 connection)', '/_ping', LIGHT));
  pairs.push(await pair(s, 'GET /containers/{id}/json (1 connection)', inspect, LIGHT));
  // Three configured clients (token on another listener, a source address that does not match, then
  // the listener that does): the measured requests are identified only after two clients failed.
  const ds3 = await phase('start dockscope with three configured clients', () =>
    startDockscopeProcess({
      proxyUrl: proxy.url,
      dir: work,
      name: 'dockscope-3-clients',
      nodeArgs: flags,
      env: { BENCH_TOKEN: 'bench-token' },
      config: async (port) => `listeners:
  - { name: lan, address: "127.0.0.1:${port}" }
  - { name: api, address: "127.0.0.1:${await getFreePort()}" }
clients:
  - { name: scripts, match: { listener: api, token: { env: BENCH_TOKEN } }, containers: { names: [${NAME_RULE}] } }
  - { name: dashboard, match: { from: [10.0.0.0/8] }, containers: { names: [${NAME_RULE}] } }
  - { name: local, match: { listener: lan }, containers: { names: [${NAME_RULE}] } }
`,
    }),
  );
  cleanup.add('dockscope (3 clients)', () => ds3.stop());
  // The environment-only dockscope is the base here; the three-client one is the side measured.
  const vsEnv: Setup = { ...s, proxy: { ...proxy, url: ds.url }, ds: ds3 };
  const clientPairs = [
    await pair(vsEnv, 'GET /_ping, three clients vs environment', '/_ping', SMALL),
    await pair(vsEnv, 'GET /containers/{id}/json, three clients vs environment', inspect, SMALL),
  ];
  await ds3.stop();
  if (CPU_PROF)
    profiles.push(await phase('CPU profile, /_ping', () => profile(s, '/_ping', '/_ping', SMALL)));
  const counted = await phase(`upstream requests per request (K=${K}, warm cache)`, () =>
    countUpstream(s, target.id, K),
  );

  const sizes: number[] = [];
  const notes: string[] = [];
  const listChecks: Check[] = [];
  for (const wanted of SIZES) {
    const n = await grow(wanted);
    if (n < wanted) {
      notes.push(
        `Creating ${wanted} containers did not fit the ${CREATE_BUDGET_MS / 1000} s budget: N=${n}.`,
      );
      console.log(notes[notes.length - 1]);
    }
    if (sizes.includes(n)) continue;
    sizes.push(n);
    const check = await checkList(proxy.url, ds.url, n, containers.filter((c) => c.visible).length);
    console.log(`  list at N=${n}: ${check.ok ? 'ok' : 'MISMATCH'}: ${check.detail}`);
    listChecks.push({
      target: `N=${n}: filtered list is valid JSON, exactly the visible containers`,
      measured: check.detail,
      pass: check.ok,
    });
    pairs.push(await pair(s, `GET ${LIST_PATH} N=${n}`, LIST_PATH, n > 1000 ? BIG : LIST, n));
    if (CPU_PROF && n === 1000) {
      profiles.push(
        await phase('CPU profile, N=1000 list', () => profile(s, 'N=1000 list', LIST_PATH, LIST)),
      );
    }
  }
  const n = containers.length;
  const rss = await phase(
    `peak RSS of a fresh dockscope, N=${n}, ${RSS.rounds} x ${RSS.seconds} s`,
    async () => {
      const fresh = await startDockscopeProcess({
        proxyUrl: proxy.url,
        dir: work,
        name: 'dockscope-rss',
        nodeArgs: flags,
      });
      cleanup.add('dockscope (rss)', () => fresh.stop());
      const before = await memoryOf(fresh.pid);
      const result = await rssRounds(fresh.url, fresh.pid, RSS.rounds, RSS.connections, RSS.seconds);
      await fresh.stop();
      return { ...result, before };
    },
  );
  const main = await memoryOf(ds.pid);

  const clientChecks: Check[] = clientPairs.map((p) => {
    const ratio = p.dockscope.rps / p.upstream.rps;
    return {
      target: `${p.name}: requests per second at least 0.95x the environment-only configuration`,
      measured: `${p.dockscope.rps.toFixed(0)} vs ${p.upstream.rps.toFixed(0)} req/s (${ratio.toFixed(2)}x), p50 ${p.dockscope.p50.toFixed(2)} vs ${p.upstream.p50.toFixed(2)} ms`,
      pass: ratio >= 0.95,
    };
  });
  const checks = [
    ...listChecks,
    ...clientChecks,
    ...evaluate(pairs, counted, {
      n,
      mainHwm: main.hwm,
      peaks: rss.peaks,
      served: rss.requests,
      failed: rss.failed,
      limitMiB: RSS.limitMiB,
    }),
  ];
  const total = (performance.now() - totalStarted) / 1000;
  const running = containers.filter((c) => c.running).length;
  const details = [
    `Fixture: ${n} containers (every 10th \`bench-vis-<i>\`, the rest \`bench-hid-<i>\`, 4 labels of ~40 bytes each), ${running} of them running with \`--network none\`, the rest created only; created through the Engine API, 8 at a time, in ${(createMs / 1000).toFixed(0)} s (${(n / (createMs / 1000)).toFixed(0)} per second).`,
    `Load: autocannon, ${SMALL.connections} connections (lists at N <= 1000 too; the largest list ${BIG.connections}); per case and side a ${SMALL.warmupSeconds} s warm-up, then ${SMALL.seconds} s measured (1 connection: ${LIGHT.seconds} s; lists at N <= 1000: ${LIST.seconds} s; the largest: ${BIG.seconds} s) in two halves, interleaved upstream, dockscope, dockscope, upstream; after each run a pause lets requests cut off at its end finish in dockerd. autocannon is patched per client to honour \`Connection: close\`, which the harness's default HAProxy config sends on every response (unpatched, its latencies are measured from stale start times; the keep-alive config used here does not send it).`,
    `Peak RSS: a fresh dockscope process (RSS ${rss.before.rss.toFixed(1)} MiB at rest), ${RSS.rounds} rounds of ${RSS.connections} clients fetching the N=${n} list for ${RSS.seconds} s; VmHWM reset before each round (\`/proc/<pid>/clear_refs\`), VmRSS sampled every 20 ms. The dockscope that served all the cases above ended at VmRSS ${main.rss.toFixed(1)} MiB, lifetime VmHWM ${main.hwm.toFixed(1)} MiB.`,
    `Warm cache: a second dockscope process whose upstream is a counting TCP pass-through (in the benchmark process) in front of the same HAProxy; once its \`/events\` watch is up, one warm-up request, then ${K} sequential ones.`,
    ...notes,
    `Run time: ${total.toFixed(0)} s before teardown (${phases.map(([name, t]) => `${name} ${(t / 1000).toFixed(0)} s`).join('; ')}).`,
  ];
  const env = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    dockerd,
    haproxy,
    command: `node ${[...flags, 'dist/main.js'].join(' ')}`,
    sizes,
    note:
      'Everything (dockerd, HAProxy, dockscope and the load generator) shares these CPUs, so whichever ' +
      'side uses more CPU also slows the others. One run; ratios within a few percent of a target can ' +
      'land on either side of it from one run to the next.',
  };
  console.log(`\nN values: ${sizes.join(', ')}${n < MAX_N ? ` (largest N reduced from ${MAX_N})` : ''}`);
  console.log(`\n${printable(pairs, checks)}\n`);
  for (const d of details) console.log(`- ${d}`);
  for (const text of profiles) console.log(`\n${text}`);
  // The faults section comes from `npm run bench:faults`: kept as it is.
  const previous = await readFile(DOC, 'utf8').catch(() => '');
  const faults = /<!-- faults:start -->[\s\S]*<!-- faults:end -->/.exec(previous)?.[0];
  const report = markdownReport(env, pairs, checks, details, profiles);
  await writeFile(DOC, faults ? withFaultsSection(report, faults) : report);
  console.log(`\nwrote ${DOC.pathname}`);
}

const cleanup = new Cleanup();
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true;
    console.error(`\n${sig}: stopping and cleaning up`);
    stopAllLoad();
    void cleanup.run().finally(() => process.exit(130));
  });
}
try {
  await bench(cleanup);
} catch (error) {
  // After Ctrl-C, whatever was running fails as its processes go away: that is not a setup error.
  if (!interrupted) {
    const cause = (error as Error).cause;
    console.error(`\nbenchmark setup failed: ${(error as Error).stack ?? error}`);
    if (cause) console.error('caused by', cause);
    console.error(`--- dockscope processes ---\n${await describeExits()}`);
    for (const path of logs) console.error(`--- ${path} (tail) ---\n${await logTail(path, 20)}`);
  }
  process.exitCode = 1;
} finally {
  const started = performance.now();
  await cleanup.run();
  if (!interrupted) console.log(`teardown ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
