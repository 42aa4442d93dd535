// Issues #5, #10 and #13: dockscope against a bare Node pass-through proxy and the HAProxy socket proxy
// alone, on a private dockerd. `npm run bench` (needs wrk: `apt-get install wrk`).
// Knobs (environment): BENCH_MAX_N (largest N of real containers, default 5000); BENCH_FAKE_N (the list
// served by a fake upstream of recorded entries, default 20000; 0: none); BENCH_CPU_PROF=1 adds CPU
// profiles of the configured dockscope under /_ping, inspect and the N=1000 list; BENCH_ONLY=a,b runs
// some sections only (core, lists, rss, clients, streams, startup, inspect; all by default), e.g.
// `BENCH_ONLY=clients BENCH_MAX_N=300 npm run bench` while developing (docs/benchmarks.md is written
// with what ran).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDaemon } from '../test/harness/daemon.ts';
import { importBusyboxImage } from '../test/harness/image.ts';
import { logTail } from '../test/harness/process.ts';
import { startSocketProxy } from '../test/harness/socket-proxy.ts';
import { countUpstream, measure, phase, phases, profile, type Setup, type Shape } from './cases.ts';
import { Cleanup } from './cleanup.ts';
import { describeExits, startConfigured, startDockscopeProcess, startFlags } from './dockscope-process.ts';
import { fakeListCase } from './fake-list.ts';
import { withFaultsSection } from './faults.ts';
import { type BenchContainer, createContainers, Engine, EXACT_LABEL_RULE } from './fixtures.ts';
import { LABEL_SIDES, listChecks, startLabelSides } from './label-sides.ts';
import { checkLoadGenerator, LOAD_GENERATOR, load, memoryOf, stopAllLoad } from './load.ts';
import { type Case, type Check, markdownReport, printable } from './report.ts';
import { clientSection, startupSection, streamSection } from './scale-sections.ts';
import { LIST_PATH, rssRounds } from './scenarios.ts';
import { evaluate, INSPECT, ONE, PAIRED, PING } from './targets.ts';

const MAX_N = Number(process.env.BENCH_MAX_N ?? 5000);
const SIZES = [...new Set([300, 1000, MAX_N].filter((n) => n <= MAX_N))];
const FAKE_N = Number(process.env.BENCH_FAKE_N ?? 20000);
const SECTIONS = ['core', 'lists', 'rss', 'clients', 'streams', 'startup', 'inspect'] as const;
const ONLY = (process.env.BENCH_ONLY ?? '')
  .split(',')
  .map((x) => x.trim())
  .filter(Boolean);
for (const name of ONLY) {
  if (!(SECTIONS as readonly string[]).includes(name))
    throw new Error(`BENCH_ONLY: no section "${name}" (sections: ${SECTIONS.join(', ')})`);
}
const runs = (section: (typeof SECTIONS)[number]) => ONLY.length === 0 || ONLY.includes(section);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
/** Container creation beyond this stops early; the largest N is then what exists. */
const CREATE_BUDGET_MS = 240_000;
// Measured seconds per side, in six alternating slices (twelve for the paired #10 cases; cases.ts).
const SMALL: Shape = { connections: 16, seconds: 12, warmupSeconds: 2 };
const LIGHT: Shape = { connections: 1, seconds: 6, warmupSeconds: 1 };
const PAIR: Shape = { connections: 16, seconds: 12, warmupSeconds: 1 };
const LIST: Shape = { connections: 16, seconds: 12, warmupSeconds: 1 };
const BIG: Shape = { connections: 4, seconds: 12, warmupSeconds: 1 };
const RSS = { rounds: 3, connections: 8, seconds: 10, limitMiB: 128 };
// Clients: /_ping, six sides in six 1 s slices each (issue #26).
const CLIENTS: Shape = { connections: 16, seconds: 6, warmupSeconds: 1 };
const MICRO = fileURLToPath(new URL('./micro/inspect.ts', import.meta.url));
const K = 50;
const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const BARE = fileURLToPath(new URL('./bare-proxy.ts', import.meta.url));

/** The logs of dockscope and HAProxy, shown when the run fails. */
const logs: string[] = [];

async function bench(cleanup: Cleanup): Promise<void> {
  const totalStarted = performance.now();
  const work = await mkdtemp(join(os.tmpdir(), 'dsb-'));
  const generator = await checkLoadGenerator();
  for (const name of [
    'dockscope',
    'dockscope-env',
    'bare-node',
    'dockscope-counted',
    'ds-profiled',
    'dockscope-rss',
    'dsl',
    'dss',
  ]) {
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
  // The clients, streams and start-up sections need one visible running container only.
  await grow(runs('core') || runs('lists') || runs('rss') ? (SIZES[0] ?? 300) : 1);

  // Plain HTTP with keep-alive, like Tecnativa's socket proxy (the harness's default config answers
  // every request with `Connection: close`, which would make each upstream request a new connection).
  const proxy = await phase('start HAProxy and dockscope', () =>
    startSocketProxy(daemon.socketPath, { keepAlive: true }),
  );
  cleanup.add('haproxy', () => proxy.stop());
  logs.push(proxy.logPath);
  const flags = await startFlags();
  const ds = await startConfigured({ proxyUrl: proxy.url, dir: work, name: 'dockscope', nodeArgs: flags });
  cleanup.add('dockscope', () => ds.stop());
  const env = await startDockscopeProcess({
    proxyUrl: proxy.url,
    dir: work,
    name: 'dockscope-env',
    nodeArgs: flags,
    env: { SCRUB_ENVS: 'true' },
  });
  cleanup.add('dockscope (environment only)', () => env.stop());
  const bare = await startDockscopeProcess({
    proxyUrl: proxy.url,
    dir: work,
    name: 'bare-node',
    nodeArgs: flags,
    script: BARE,
  });
  cleanup.add('bare Node proxy', () => bare.stop());
  const s: Setup = {
    work,
    proxy,
    ds,
    cleanup,
    flags,
    sides: {
      up: { url: proxy.url },
      bare: { url: bare.url, pid: bare.pid },
      env: { url: env.url, pid: env.pid },
      ds: { url: ds.url, pid: ds.pid },
    },
  };
  const target = containers.find((c) => c.visible && c.running);
  if (!target) throw new Error('no running visible container');

  const cases: Case[] = [];
  const profiles: string[] = [];
  const notes: string[] = [];
  const scale: string[] = [];
  const extraChecks: Check[] = [];
  const inspect = `/containers/${target.id}/json`;
  const all = ['up', 'bare', 'env', 'ds'];
  let counted: Awaited<ReturnType<typeof countUpstream>> = [];
  if (runs('core')) {
    // A proxy runs for days: each is measured warm (its JIT settled on both routes), not in its first seconds.
    await phase('warm up the proxies (3 s of /_ping and of inspect each)', async () => {
      for (const side of ['bare', 'env', 'ds']) {
        const url = s.sides[side]?.url ?? '';
        for (const path of ['/_ping', inspect]) {
          await load({ base: url, path, connections: 16, seconds: 3, warmupSeconds: 0 });
        }
      }
    });
    cases.push(await measure(s, PING, '/_ping', SMALL, all));
    cases.push(await measure(s, INSPECT, inspect, SMALL, all));
    // #10 compares two sides that cost about the same: in rounds of two 1 s slices back to back, twelve
    // of them, so that the machine's drift (a fifth within seconds on a shared host) moves both alike.
    cases.push(await measure(s, `${PING}${PAIRED}`, '/_ping', PAIR, ['env', 'ds'], undefined, 12));
    cases.push(await measure(s, `${INSPECT}${PAIRED}`, inspect, PAIR, ['env', 'ds'], undefined, 12));
    cases.push(await measure(s, `${PING}${ONE}`, '/_ping', LIGHT, ['up', 'bare', 'ds']));
    cases.push(await measure(s, `${INSPECT}${ONE}`, inspect, LIGHT, ['up', 'bare', 'ds']));
    if (CPU_PROF) {
      profiles.push(await phase('CPU profile, /_ping', () => profile(s, '/_ping', '/_ping', SMALL)));
      profiles.push(await phase('CPU profile, inspect', () => profile(s, 'inspect', inspect, SMALL)));
    }
    counted = await phase(`upstream requests per request (K=${K}, warm cache)`, () =>
      countUpstream(s, target.id, K),
    );
  }
  await env.stop();

  if (runs('clients')) {
    const clients = await clientSection(s, CLIENTS, bare.url, bare.pid);
    cases.push(...clients.cases);
    extraChecks.push(...clients.checks);
    scale.push(clients.text);
  }
  if (runs('startup')) scale.push(await startupSection(s, BARE));
  if (runs('streams')) {
    const streams = await streamSection(s, BARE, async (name) => {
      const made = JSON.parse(
        await engine.ok('POST', `/containers/create?name=${name}`, { Image: image, Cmd: ['true'] }),
      ) as { Id: string };
      return async () => void (await engine.ok('DELETE', `/containers/${made.Id}?force=1`));
    });
    extraChecks.push(...streams.checks);
    scale.push(streams.text);
  }

  const sizes: number[] = [];
  const listCheckResults: Check[] = [];
  if (runs('lists')) {
    // The label-rule sides (#26) share the slices of the list cases where their targets are (N <= 1000).
    const labelled = await phase('start the label-rule dockscopes (dsl, dss)', () => startLabelSides(s));
    const ls: Setup = { ...s, sides: { ...s.sides, ...labelled.sides } };
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
      const dsSides = n <= 1000 ? ['ds', ...Object.keys(LABEL_SIDES)] : ['ds'];
      const visible = containers.filter((c) => c.visible).length;
      listCheckResults.push(...(await listChecks(ls, dsSides, n, visible)));
      const shape = n > 1000 ? BIG : LIST;
      cases.push(
        await measure(ls, `GET ${LIST_PATH} N=${n}`, LIST_PATH, shape, ['up', 'bare', ...dsSides], n),
      );
      if (CPU_PROF && n === 1000) {
        profiles.push(
          await phase('CPU profile, N=1000 list', () => profile(s, 'N=1000 list', LIST_PATH, LIST)),
        );
      }
    }
    if (FAKE_N > 0) {
      const fake = await fakeListCase(s, engine, FAKE_N, containers.length, BIG, BARE);
      cases.push(fake.result);
      notes.push(fake.note);
    }
    await labelled.stop();
  }
  await bare.stop();
  const n = containers.length;
  let rssDetail = '';
  let rssFigures: Parameters<typeof evaluate>[2];
  if (runs('rss')) {
    const rss = await phase(
      `peak RSS of a fresh dockscope, N=${n}, ${RSS.rounds} x ${RSS.seconds} s`,
      async () => {
        const fresh = await startConfigured({
          proxyUrl: proxy.url,
          dir: work,
          name: 'dockscope-rss',
          nodeArgs: flags,
        });
        cleanup.add('dockscope (rss)', () => fresh.stop());
        const before = await memoryOf(fresh.pid);
        // One round first that is not judged for flatness: a fresh heap grows to its working size in it.
        const result = await rssRounds(fresh.url, fresh.pid, RSS.rounds + 1, RSS.connections, RSS.seconds);
        await fresh.stop();
        const [warmupPeak = 0, ...peaks] = result.peaks;
        return { peaks, requests: result.requests.slice(1), failed: result.failed, warmupPeak, before };
      },
    );
    const main = await memoryOf(ds.pid);
    rssFigures = {
      n,
      mainHwm: main.hwm,
      peaks: rss.peaks,
      warmupPeak: rss.warmupPeak,
      served: rss.requests,
      failed: rss.failed,
      limitMiB: RSS.limitMiB,
    };
    rssDetail = `Peak RSS: a fresh dockscope process configured as ds (RSS ${rss.before.rss.toFixed(1)} MiB at rest), a first round (peak ${rss.warmupPeak.toFixed(1)} MiB, in which a fresh heap grows to its working size; counted for the limit, not for flatness), then ${RSS.rounds} rounds of ${RSS.connections} clients fetching the N=${n} list for ${RSS.seconds} s each; VmHWM reset before each round (\`/proc/<pid>/clear_refs\`), VmRSS sampled every 20 ms. The dockscope that served all the cases above ended at VmRSS ${main.rss.toFixed(1)} MiB, lifetime VmHWM ${main.hwm.toFixed(1)} MiB.`;
  }
  if (runs('inspect')) {
    const out = await phase('inspect micro-benchmark (bench/micro/inspect.ts)', async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [MICRO], {
        env: { ...process.env, BENCH_MICRO_ITERATIONS: '20000' },
      });
      return stdout.trim();
    });
    scale.push(
      `## Inspect on its text (issue #26)\n\n\`npm run bench:inspect\` (bench/micro/inspect.ts): one recorded container inspect answer (bench/micro/inspect-answer.ts) rewritten with SCRUB_ENVS in this process, no I/O: the full JSON path (parse, filterInspect, stringify) against the text path (transforms/inspect-text.ts), alternating rounds.\n\n\`\`\`text\n${out}\n\`\`\`\n`,
    );
  }

  const checks = [...listCheckResults, ...evaluate(cases, counted, rssFigures), ...extraChecks];
  const total = (performance.now() - totalStarted) / 1000;
  const running = containers.filter((c) => c.running).length;
  const details = [
    `Fixture: ${n} containers (every 10th \`bench-vis-<i>\` with \`${EXACT_LABEL_RULE}\`, the rest \`bench-hid-<i>\`, 4 labels of ~40 bytes each), ${running} of them running with \`--network none\`, the rest created only; created through the Engine API, 8 at a time, in ${(createMs / 1000).toFixed(0)} s (${(n / (createMs / 1000)).toFixed(0)} per second).`,
    `Load: ${generator}, one thread, ${SMALL.connections} connections (lists at N <= 1000 too; the largest list ${BIG.connections}); first 3 s of \`/_ping\` and 3 s of inspect on each proxy (JIT), then per case and side a warm-up (${SMALL.warmupSeconds} s at 16 connections, else 1 s), then ${SMALL.seconds} s measured (1 connection: ${LIGHT.seconds} s; lists at N <= 1000: ${LIST.seconds} s; the largest: ${BIG.seconds} s) in six slices whose order alternates (up, bare, env, ds, then ds, env, bare, up, ...); requests per second in the table over all slices, latencies the median slice's; the targets' ratios are the median of the six rounds' ratios (each round's slices run back to back); the "(env and ds paired)" cases, which #10 is judged on, run env and ds alone in twelve rounds of 1 s slices; after each slice a pause lets requests cut off at its end finish in dockerd.`,
    "The bare Node proxy (`bench/bare-proxy.ts`) is Node's own `http.createServer` and `http.request` on one keep-alive agent, piping both bodies: the least a Node proxy can do, run with the same Node and flags as dockscope.",
    ...(rssDetail ? [rssDetail] : []),
    `Warm cache: a second dockscope process whose upstream is a counting TCP pass-through (in the benchmark process) in front of the same HAProxy; once its \`/events\` watch is up, one warm-up request, then ${K} sequential ones.`,
    ...notes,
    ...(ONLY.length > 0 ? [`Sections run: ${ONLY.join(', ')} (BENCH_ONLY); the others were left out.`] : []),
    `Run time: ${total.toFixed(0)} s before teardown (${phases.map(([name, t]) => `${name} ${(t / 1000).toFixed(0)} s`).join('; ')}).`,
  ];
  const environment = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    dockerd,
    haproxy,
    command: `node ${[...flags, 'dist/main.js'].join(' ')}`,
    loadGenerator: `${generator}, ${LOAD_GENERATOR}`,
    sizes,
    note:
      'Everything (dockerd, HAProxy, dockscope and the load generator) shares these CPUs, so whichever ' +
      'side uses more CPU also slows the others. One run; ratios within a few percent of a target can ' +
      'land on either side of it from one run to the next.',
  };
  console.log(`\nN values: ${sizes.join(', ')}${n < MAX_N ? ` (largest N reduced from ${MAX_N})` : ''}`);
  console.log(`\n${printable(cases, checks)}\n`);
  for (const d of details) console.log(`- ${d}`);
  for (const text of scale) console.log(`\n${text}`);
  for (const text of profiles) console.log(`\n${text}`);
  // The faults section comes from `npm run bench:faults`: kept as it is.
  const previous = await readFile(DOC, 'utf8').catch(() => '');
  const faults = /<!-- faults:start -->[\s\S]*<!-- faults:end -->/.exec(previous)?.[0];
  const report = markdownReport(environment, cases, checks, details, profiles, scale);
  // A run of some sections only is for development: the document keeps the last full run.
  const out = ONLY.length > 0 ? join(work, '..', 'dockscope-bench-partial.md') : DOC;
  await writeFile(out, faults ? withFaultsSection(report, faults) : report);
  console.log(`\nwrote ${out instanceof URL ? out.pathname : out}`);
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
