import { mkdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { SocketProxy } from '../test/harness/socket-proxy.ts';
import type { Cleanup } from './cleanup.ts';
import { startCounter } from './counter.ts';
import { type DockscopeProcess, startDockscopeProcess } from './dockscope-process.ts';
import { otherLoadDuring } from './host.ts';
import { compare, cpuMs, type LoadOptions, load } from './load.ts';
import { summarizeProfile } from './profile.ts';
import type { Pair } from './report.ts';
import { upstreamPerRequest, waitForWatch } from './scenarios.ts';
import type { Counted } from './targets.ts';

export type Shape = Pick<LoadOptions, 'connections' | 'seconds' | 'warmupSeconds'>;

/** What every case needs: the work dir, the HAProxy, the dockscope under test, the undo list. */
export interface Setup {
  readonly work: string;
  readonly proxy: SocketProxy;
  readonly ds: DockscopeProcess;
  readonly cleanup: Cleanup;
  /** Node flags of every dockscope process (those of `npm start`). */
  readonly flags: readonly string[];
}

/** Names and durations of the steps so far, for "where the time goes". */
export const phases: [string, number][] = [];

export async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  process.stdout.write(`${name} ... `);
  const started = performance.now();
  const result = await work().catch((error: unknown) => {
    process.stdout.write('failed\n');
    throw error;
  });
  const took = performance.now() - started;
  phases.push([name, took]);
  process.stdout.write(`${(took / 1000).toFixed(1)} s\n`);
  return result;
}

/** One route on the upstream alone and through dockscope, with the same load, interleaved. */
export async function pair(s: Setup, name: string, path: string, shape: Shape, n?: number): Promise<Pair> {
  return phase(`${name}: upstream and dockscope`, async () => {
    let cpu = 0;
    const onDockscope = async <T>(work: () => Promise<T>): Promise<T> => {
      const before = await cpuMs(s.ds.pid);
      try {
        return await work();
      } finally {
        cpu += (await cpuMs(s.ds.pid)) - before;
      }
    };
    const { result, other } = await otherLoadDuring(() =>
      compare({ base: s.proxy.url, path, ...shape }, { base: s.ds.url, path, ...shape }, onDockscope),
    );
    const [upstream, dockscope] = result;
    const served = dockscope.ok + dockscope.warmupOk;
    const dsCpuMs = served > 0 ? cpu / served : Number.NaN;
    return {
      name,
      n,
      connections: shape.connections,
      seconds: shape.seconds,
      upstream,
      dockscope,
      dsCpuMs,
      other,
    };
  });
}

/** Upstream requests per client request, through a second dockscope whose upstream is a counter. */
export async function countUpstream(s: Setup, id: string, k: number): Promise<Counted[]> {
  const counter = await startCounter(s.proxy.port);
  s.cleanup.add('counter', () => counter.close());
  const ds = await startDockscopeProcess({
    proxyUrl: counter.url,
    dir: s.work,
    name: 'dockscope-counted',
    nodeArgs: s.flags,
  });
  s.cleanup.add('dockscope (counted)', () => ds.stop());
  await waitForWatch(counter);
  const out: Counted[] = [];
  for (const [label, path] of [
    ['GET /containers/{full id}/top', `/containers/${id}/top`],
    ['GET /containers/{full id}/json', `/containers/${id}/json`],
    ['GET /containers/json', '/containers/json'],
  ] as const) {
    out.push({ label, k, ...(await upstreamPerRequest(ds.url, counter, path, k)) });
  }
  await ds.stop();
  await counter.close();
  return out;
}

/** A separate dockscope under `--cpu-prof` under load; only the load window is summarized. */
export async function profile(s: Setup, label: string, path: string, shape: Shape): Promise<string> {
  // Kept after the run for a closer look (e.g. in Chrome DevTools), replaced by the next run.
  const dir = join(os.tmpdir(), 'dockscope-bench-profiles', label.replace(/[^a-z0-9]+/gi, '-'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const nodeArgs = [...s.flags, '--cpu-prof', `--cpu-prof-dir=${dir}`];
  const ds = await startDockscopeProcess({
    proxyUrl: s.proxy.url,
    dir: s.work,
    name: 'ds-profiled',
    nodeArgs,
  });
  s.cleanup.add('dockscope (profiled)', () => ds.stop());
  const from = process.hrtime.bigint();
  const result = await load({ base: ds.url, path, ...shape, warmupSeconds: 0 });
  const to = process.hrtime.bigint();
  await ds.stop();
  const summary = await summarizeProfile(dir, { from, to });
  const served = `${result.ok} responses, ${result.rps.toFixed(0)}/s, ${shape.connections} connections`;
  return `CPU profile of dockscope, ${label} (${served}; ${summary.path}):\n${summary.text}`;
}
