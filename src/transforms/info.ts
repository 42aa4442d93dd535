import { isObject } from '../policy/container-facts.ts';

export interface ContainerCounts {
  readonly total: number;
  readonly running: number;
  readonly paused: number;
  readonly stopped: number;
}

/** Tallies container list entries by state, as the daemon's /info does. */
export function tally(states: readonly unknown[]): ContainerCounts {
  let running = 0;
  let paused = 0;
  for (const s of states) {
    if (s === 'running') running++;
    else if (s === 'paused') paused++;
  }
  return { total: states.length, running, paused, stopped: states.length - running - paused };
}

/** `/info` counts every container of the daemon; a scoped client sees the counts of its own. */
export async function rewriteInfoCounts(
  info: unknown,
  count: () => Promise<ContainerCounts>,
): Promise<unknown> {
  if (!isObject(info)) return info;
  const c = await count();
  info.Containers = c.total;
  info.ContainersRunning = c.running;
  info.ContainersPaused = c.paused;
  info.ContainersStopped = c.stopped;
  return info;
}
