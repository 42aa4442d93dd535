import { mkdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import type { SocketProxy } from '../test/harness/socket-proxy.ts';
import type { Cleanup } from './cleanup.ts';
import { startCounter } from './counter.ts';
import { type DockscopeProcess, startConfigured, startDockscopeProcess } from './dockscope-process.ts';
import { otherLoadDuring } from './host.ts';
import { compareSides, cpuMs, type LoadOptions, type LoadResult, load, type Side } from './load.ts';
import { summarizeProfile } from './profile.ts';
import type { Case } from './report.ts';
import { upstreamPerRequest, waitForWatch } from './scenarios.ts';
import type { Counted } from './targets.ts';

export type Shape = Pick<LoadOptions, 'connections' | 'seconds' | 'warmupSeconds'>;

/** Something load can be sent to: HAProxy alone, the bare Node proxy, a dockscope. */
export interface Target {
  readonly url: string;
  /** For its CPU time per request; none for HAProxy (the reference, not measured). */
  readonly pid?: number;
  /** Headers every request to it carries (a client's token). */
  readonly headers?: readonly string[];
}

/** What every case needs: the work dir, the HAProxy, the dockscope under test, the undo list. */
export interface Setup {
  readonly work: string;
  readonly proxy: SocketProxy;
  /** The dockscope under test (three configured clients, SCRUB_ENVS on). */
  readonly ds: DockscopeProcess;
  /** Every side by name: `up` (HAProxy alone), `bare` (bare Node proxy), `ds`, `env` (environment-only dockscope). */
  readonly sides: Readonly<Record<string, Target>>;
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

/** Slices per side of a comparison (see compareSides). */
const SLICES = 6;

/**
 * One route on several sides with the same load, interleaved in `slices` rounds; CPU per request for
 * those with a pid.
 */
export async function measure(
  s: Setup,
  name: string,
  path: string,
  shape: Shape,
  sideNames: readonly string[],
  n?: number,
  slices = SLICES,
): Promise<Case> {
  return phase(`${name}: ${sideNames.join(', ')}`, async () => {
    const cpu = new Map<string, number>();
    const sides: Side[] = sideNames.map((side) => {
      const target = s.sides[side];
      if (!target) throw new Error(`no side named ${side}`);
      const pid = target.pid;
      const during =
        pid === undefined
          ? undefined
          : async <T>(work: () => Promise<T>): Promise<T> => {
              const before = await cpuMs(pid);
              try {
                return await work();
              } finally {
                cpu.set(side, (cpu.get(side) ?? 0) + (await cpuMs(pid)) - before);
              }
            };
      const headers = target.headers ? { headers: target.headers } : {};
      return { load: { base: target.url, path, ...shape, ...headers }, ...(during ? { during } : {}) };
    });
    const { result, other } = await otherLoadDuring(() => compareSides(sides, slices));
    return {
      name,
      n,
      connections: shape.connections,
      seconds: shape.seconds,
      sides: sideNames.map((side, i) => {
        const r = result[i] as LoadResult;
        const served = r.ok + r.warmupOk;
        const used = cpu.get(side);
        return { side, result: r, cpuMs: used !== undefined && served > 0 ? used / served : Number.NaN };
      }),
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
  const ds = await startConfigured({ proxyUrl: s.proxy.url, dir: s.work, name: 'ds-profiled', nodeArgs });
  s.cleanup.add('dockscope (profiled)', () => ds.stop());
  // Warmed up first (the JIT): only the measured window is summarized.
  await load({ base: ds.url, path, ...shape, warmupSeconds: 0, seconds: 1 });
  const from = process.hrtime.bigint();
  const result = await load({ base: ds.url, path, ...shape, warmupSeconds: 0 });
  const to = process.hrtime.bigint();
  await ds.stop();
  const summary = await summarizeProfile(dir, { from, to });
  const served = `${result.ok} responses, ${result.rps.toFixed(0)}/s, ${shape.connections} connections`;
  return `CPU profile of dockscope, ${label} (${served}; ${summary.path}):\n${summary.text}`;
}
