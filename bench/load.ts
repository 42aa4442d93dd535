import { type ChildProcess, execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS, processJiffies } from './host.ts';

export interface LoadOptions {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  readonly path: string;
  readonly connections: number;
  /** Whole seconds (wrk's unit). */
  readonly seconds: number;
  /** Seconds of load (same connections) whose responses are thrown away. */
  readonly warmupSeconds: number;
  /** Request headers (`Name: value`), e.g. a client's token. */
  readonly headers?: readonly string[];
}

export interface LoadResult {
  /** 2xx responses per second of the measured run. */
  readonly rps: number;
  /** Milliseconds, from wrk's per-request timings (microsecond resolution). */
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  /** Responses of the warm-up run. */
  readonly warmupOk: number;
  /** Non-2xx/3xx responses, connection errors and timeouts. */
  readonly failed: number;
  /** Requests per second of each slice, in the order run (compareSides), for ratios per round. */
  readonly sliceRps: readonly number[];
}

/**
 * The load generator is wrk (Debian's `wrk`, C, one thread): it costs little CPU per request, so on a
 * machine shared by dockerd, HAProxy and the proxies under test it takes the least from them.
 */
export const LOAD_GENERATOR = 'one thread (C, low CPU per request)';
const REPORT = fileURLToPath(new URL('./wrk-report.lua', import.meta.url));

const running = new Set<ChildProcess>();

/** Ends every load run in progress (Ctrl-C). */
export function stopAllLoad(): void {
  for (const child of running) child.kill('SIGINT');
}

/** The raw outcome of one wrk run. */
interface Sample {
  readonly requests: number;
  readonly seconds: number;
  readonly failed: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

interface WrkResult {
  requests: number;
  duration_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p99: number;
  max: number;
}

/** Fails with a clear message when wrk is missing. */
export async function checkLoadGenerator(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['--version'], (error, stdout, stderr) => {
      const text = `${stdout}${stderr}`;
      if (/wrk \S+/.test(text)) resolve(/wrk \S+/.exec(text)?.[0] ?? 'wrk');
      else
        reject(
          new Error(`the benchmark needs wrk (\`apt-get install wrk\` on Debian): ${error?.message ?? text}`),
        );
    });
  });
}

async function run(opts: LoadOptions, seconds: number): Promise<Sample> {
  const args = ['-t1', `-c${opts.connections}`, `-d${Math.max(1, Math.round(seconds))}s`];
  for (const header of opts.headers ?? []) args.push('-H', header);
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(
      'wrk',
      [...args, '--timeout', '60s', '-s', REPORT, `${opts.base}${opts.path}`],
      { maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        running.delete(child);
        if (error) reject(new Error(`wrk ${args.join(' ')} failed: ${error.message} ${stderr}`));
        else resolve(stdout);
      },
    );
    running.add(child);
  });
  const line = /^WRK-RESULT (.*)$/m.exec(out)?.[1];
  if (!line) throw new Error(`wrk printed no result: ${out.slice(0, 500)}`);
  const r = JSON.parse(line) as WrkResult;
  const failed = r.connect + r.read + r.write + r.status + r.timeout;
  const sample = {
    requests: Math.max(0, r.requests - r.status),
    seconds: r.duration_us / 1e6,
    failed,
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    max: r.max / 1000,
  };
  // Let requests cut off at the end of the run finish upstream (dockerd keeps computing a list whose
  // client is gone), so that they do not slow down the next run.
  await sleep(Math.min(10_000, Math.max(200, sample.requests === 0 ? 10_000 : sample.p99)));
  return sample;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
};

/** Slices of one side: throughput over all of them, latencies the median slice's (robust to one disturbed slice). */
function summarize(samples: readonly Sample[], warmupOk: number): LoadResult {
  const requests = samples.reduce((sum, x) => sum + x.requests, 0);
  const seconds = samples.reduce((sum, x) => sum + x.seconds, 0);
  return {
    rps: requests / Math.max(seconds, 1e-3),
    p50: median(samples.map((x) => x.p50)),
    p99: median(samples.map((x) => x.p99)),
    ok: requests,
    warmupOk,
    failed: samples.reduce((sum, x) => sum + x.failed, 0),
    sliceRps: samples.map((x) => x.requests / Math.max(x.seconds, 1e-3)),
  };
}

/** A warm-up run (thrown away), then the measured run. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const warmup = opts.warmupSeconds > 0 ? (await run(opts, opts.warmupSeconds)).requests : 0;
  return summarize([await run(opts, opts.seconds)], warmup);
}

/** One side of a comparison: where the load goes, and what wraps its runs (CPU accounting). */
export interface Side {
  readonly load: LoadOptions;
  readonly during?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * The same load on several targets after a warm-up of each, in `slices` runs per side whose order
 * alternates (A B C, C B A, A B C, ...), so that a machine that gets busier or quieter during the
 * comparison (other work on a shared host, dockerd's own housekeeping) weighs on every side alike.
 * Each slice lasts `seconds / slices` (at least one second).
 */
export async function compareSides(sides: readonly Side[], slices: number): Promise<LoadResult[]> {
  const wrap = (side: Side) => side.during ?? (<T>(work: () => Promise<T>) => work());
  const warm: number[] = [];
  for (const side of sides) {
    const w = side.load.warmupSeconds;
    warm.push(w > 0 ? (await wrap(side)(() => run(side.load, w))).requests : 0);
  }
  const samples: Sample[][] = sides.map(() => []);
  for (let slice = 0; slice < slices; slice++) {
    const order = sides.map((_, i) => i);
    if (slice % 2 === 1) order.reverse();
    for (const i of order) {
      const side = sides[i] as Side;
      const seconds = Math.max(1, Math.round(side.load.seconds / slices));
      (samples[i] as Sample[]).push(await wrap(side)(() => run(side.load, seconds)));
    }
  }
  return sides.map((_, i) => summarize(samples[i] as Sample[], warm[i] as number));
}

/** User plus system CPU time a process has used so far, in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  return ((await processJiffies(pid)) * 1000) / CLOCK_TICKS;
}

/** `VmRSS` and `VmHWM` of a process, in MiB. */
export async function memoryOf(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/**
 * Runs `work` while watching the peak RSS of `pid`: the kernel's high-water mark, reset first
 * (`clear_refs` 5, Linux 4.0+), and VmRSS sampled every 20 ms as a cross-check. Returns MiB.
 */
export async function peakRssDuring(pid: number, work: () => Promise<unknown>): Promise<number> {
  const reset = await writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  );
  let sampled = (await memoryOf(pid)).rss;
  const timer = setInterval(() => {
    memoryOf(pid).then(
      (m) => {
        sampled = Math.max(sampled, m.rss);
      },
      () => {},
    );
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const { hwm } = await memoryOf(pid);
  return reset ? Math.max(hwm, sampled) : sampled;
}
