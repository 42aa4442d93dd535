import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import { descendantsOf } from '../test/harness/process.ts';

/** USER_HZ: 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS = 100;

/** Jiffies the whole machine spent busy (everything but idle and iowait), from /proc/stat. */
async function machineBusy(): Promise<number> {
  const cpu = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = cpu.trim().split(/\s+/).slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

/** utime + stime of one process, in jiffies (0 once it is gone). */
export async function processJiffies(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU of this process and everything it started (dockerd, containerd, HAProxy, dockscope). */
async function ownBusy(): Promise<Map<number, number>> {
  const pids = [process.pid, ...(await descendantsOf([process.pid]))];
  return new Map(await Promise.all(pids.map(async (pid) => [pid, await processJiffies(pid)] as const)));
}

/**
 * Runs `work` and measures how much of the machine's CPU went to processes the benchmark did not
 * start (other users' jobs, kernel threads): a share of all CPUs, 0 to 1. On a shared host this says
 * whether a run was disturbed.
 */
export async function otherLoadDuring<T>(work: () => Promise<T>): Promise<{ result: T; other: number }> {
  const busy0 = await machineBusy();
  const own0 = await ownBusy();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const busy1 = await machineBusy();
  const own1 = await ownBusy();
  let own = 0;
  // Only processes alive at both ends; the benchmark's short-lived helpers are not among them.
  for (const [pid, after] of own1) own += after - (own0.get(pid) ?? after);
  const capacity = seconds * CLOCK_TICKS * os.cpus().length;
  return { result, other: Math.max(0, Math.min(1, (busy1 - busy0 - own) / capacity)) };
}
