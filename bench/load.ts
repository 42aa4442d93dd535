import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, Instance } from 'autocannon';
import autocannon from 'autocannon';
import { CLOCK_TICKS, processJiffies } from './host.ts';

export interface LoadOptions {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  readonly path: string;
  readonly connections: number;
  readonly seconds: number;
  /** Seconds of load (same connections) whose responses are thrown away. */
  readonly warmupSeconds: number;
}

export interface LoadResult {
  /** 2xx responses per second of the measured run. */
  readonly rps: number;
  /** Milliseconds, from the load generator's own per-response timings (autocannon's histogram rounds to 1 ms). */
  readonly p50: number;
  readonly p99: number;
  readonly ok: number;
  /** 2xx responses of the warm-up run. */
  readonly warmupOk: number;
  /** Non-2xx responses, connection errors and timeouts. */
  readonly failed: number;
}

const running = new Set<Instance>();

/** Ends every load run in progress (Ctrl-C). */
export function stopAllLoad(): void {
  for (const instance of running) instance.stop();
}

/** The q-quantile (nearest rank) of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/**
 * autocannon sends the next request on a connection as soon as a response is complete, even when the
 * server said `Connection: close` (the test harness's HAProxy does, on every response). That request is
 * lost with the connection but stays in the client's queue, so every later latency on that client is
 * measured from a stale start time. This patch skips that one send; the client reconnects on the
 * server's FIN and sends from there, so each latency includes its TCP connect, as it should.
 */
function honourConnectionClose(client: Client): void {
  let closing = false;
  client.on('headers', (info) => {
    closing = info.shouldKeepAlive === false;
  });
  const send = client._doRequest;
  client._doRequest = function (this: Client, ...args: unknown[]) {
    if (closing) {
      closing = false;
      return undefined;
    }
    return send.apply(this, args);
  };
}

/** The raw outcome of one autocannon run. */
interface Sample {
  readonly latencies: number[];
  readonly seconds: number;
  readonly failed: number;
}

async function run(opts: LoadOptions, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  let non2xx = 0;
  const instance = autocannon({
    url: `${opts.base}${opts.path}`,
    connections: opts.connections,
    duration: seconds,
    timeout: 60,
    setupClient: honourConnectionClose,
  });
  running.add(instance);
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) latencies.push(ms);
    else non2xx++;
  });
  try {
    const result = await instance;
    const sample = { latencies, seconds: result.duration, failed: non2xx + result.errors };
    // Let requests cut off at the end of the run finish upstream (dockerd keeps computing a list whose
    // client is gone), so that they do not slow down the next run.
    // Without a single response, requests take longer than the run: wait the longest allowed.
    const longest = latencies.length === 0 ? 10_000 : Math.max(...latencies.slice(-4 * opts.connections));
    await sleep(Math.min(10_000, Math.max(200, longest)));
    return sample;
  } finally {
    running.delete(instance);
  }
}

function summarize(samples: readonly Sample[], warmupOk: number): LoadResult {
  const sorted = Float64Array.from(samples.flatMap((x) => x.latencies)).sort();
  const seconds = samples.reduce((sum, x) => sum + x.seconds, 0);
  return {
    rps: sorted.length / Math.max(seconds, 1e-3),
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    ok: sorted.length,
    warmupOk,
    failed: samples.reduce((sum, x) => sum + x.failed, 0),
  };
}

/** A warm-up run (thrown away), then the measured run. */
export async function load(opts: LoadOptions): Promise<LoadResult> {
  const warmup = opts.warmupSeconds > 0 ? (await run(opts, opts.warmupSeconds)).latencies.length : 0;
  return summarize([await run(opts, opts.seconds)], warmup);
}

/**
 * The same load on two targets, interleaved A B B A (each run half of `seconds`) after a warm-up of
 * each, so that a machine that gets busier or quieter during the comparison (other work on a shared
 * host, dockerd's own housekeeping) weighs on both sides alike. `during` wraps B's runs.
 */
export async function compare(
  a: LoadOptions,
  b: LoadOptions,
  during: <T>(work: () => Promise<T>) => Promise<T> = (work) => work(),
): Promise<[LoadResult, LoadResult]> {
  const half = (o: LoadOptions): number => o.seconds / 2;
  const warmA = a.warmupSeconds > 0 ? (await run(a, a.warmupSeconds)).latencies.length : 0;
  const warmB = b.warmupSeconds > 0 ? await during(() => run(b, b.warmupSeconds)) : undefined;
  const a1 = await run(a, half(a));
  const b1 = await during(() => run(b, half(b)));
  const b2 = await during(() => run(b, half(b)));
  const a2 = await run(a, half(a));
  return [summarize([a1, a2], warmA), summarize([b1, b2], warmB?.latencies.length ?? 0)];
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
