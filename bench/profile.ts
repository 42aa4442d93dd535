import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds on the monotonic clock (the one `process.hrtime` reads). */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A span of `process.hrtime.bigint()` (nanoseconds). */
export interface Window {
  readonly from: bigint;
  readonly to: bigint;
}

/** Samples per node id, only those taken within `window` when one is given. */
function hitsIn(profile: CpuProfile, window: Window | undefined): Map<number, number> {
  const hits = new Map<number, number>();
  const from = window ? Number(window.from / 1000n) : Number.NEGATIVE_INFINITY;
  const to = window ? Number(window.to / 1000n) : Number.POSITIVE_INFINITY;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from || at > to) continue;
    const id = profile.samples[i] as number;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  }
  return hits;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function where(url: string): string {
  if (url === '') return '';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = path.startsWith(ROOT) ? relative(ROOT, path) : path;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(rel);
  return pkg ? `${pkg[1]}` : rel;
}

function table(title: string, rows: Map<string, number>, total: number, top: number): string {
  const lines = [...rows.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, hits]) => `  ${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`);
  return `${title}\n${lines.join('\n')}`;
}

/**
 * Self-time summary of the `.cpuprofile` in `dir` (only samples within `window` when given, to leave
 * out start-up): top functions and top files or packages.
 */
export async function summarizeProfile(
  dir: string,
  window?: Window,
  top = 15,
): Promise<{ path: string; text: string }> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const path = join(dir, file);
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const hitsById = hitsIn(profile, window);
  let busy = 0;
  let all = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? 0;
    all += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += hits;
    const at = where(url);
    const name = `${functionName || '(anonymous)'}${at ? ` ${at}:${lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const group = at || functionName;
    byFile.set(group, (byFile.get(group) ?? 0) + hits);
  }
  const seconds = window
    ? Number(window.to - window.from) / 1e9
    : (profile.endTime - profile.startTime) / 1e6;
  const text = [
    `${seconds.toFixed(1)} s profiled, busy ${((100 * busy) / Math.max(all, 1)).toFixed(0)}% of samples; shares below are of busy samples`,
    table('top self time by function:', byFunction, busy, top),
    table('self time by file or package:', byFile, busy, 10),
  ].join('\n');
  return { path, text };
}
