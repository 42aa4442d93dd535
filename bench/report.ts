import { EXACT_LABEL_RULE, SUBSTRING_LABEL_RULE } from './fixtures.ts';
import type { LoadResult } from './load.ts';

/** One side of a case: its load result and CPU per request. */
export interface SideResult {
  /** `up` (HAProxy alone), `bare` (bare Node proxy), `ds` (dockscope, three clients), `env`. */
  readonly side: string;
  readonly result: LoadResult;
  /** The side's user + system CPU time per request served, warm-up included (NaN: not measured). */
  readonly cpuMs: number;
}

/** One route measured on several sides with the same load. */
export interface Case {
  readonly name: string;
  /** Containers in the daemon, for the list cases. */
  readonly n?: number;
  readonly connections: number;
  readonly seconds: number;
  readonly sides: readonly SideResult[];
  /** Share of all CPUs used meanwhile by processes the benchmark did not start. */
  readonly other: number;
}

export function sideOf(c: Case, side: string): SideResult | undefined {
  return c.sides.find((x) => x.side === side);
}

export interface Check {
  readonly target: string;
  readonly measured: string;
  /** null: informational, no target. */
  readonly pass: boolean | null;
}

export interface Environment {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly dockerd: string;
  readonly haproxy: string;
  /** How dockscope was started (the node flags of `npm start`). */
  readonly command: string;
  readonly loadGenerator: string;
  readonly sizes: readonly number[];
  readonly note: string;
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const rps = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
export const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : 'n/a');

function performanceRows(cases: readonly Case[]): string[][] {
  return cases.flatMap((c) => {
    const up = sideOf(c, 'up')?.result;
    const bare = sideOf(c, 'bare')?.result;
    return c.sides.map((x, i) => {
      const r = x.result;
      const vs = (base: LoadResult | undefined) =>
        base && base !== r ? `${ratio(r.rps / base.rps)} / ${ratio(r.p50 / base.p50)}` : '';
      return [
        i === 0 ? c.name : '',
        i === 0 ? `${c.connections} / ${c.seconds} s` : '',
        `${x.side}${r.failed > 0 ? ` (failed: ${r.failed})` : ''}`,
        rps(r.rps),
        // No answer in the slices (a list slower than them): no latency to show.
        ms(r.ok > 0 ? r.p50 : Number.NaN),
        ms(r.ok > 0 ? r.p99 : Number.NaN),
        Number.isFinite(x.cpuMs) ? x.cpuMs.toFixed(3) : '',
        vs(up),
        vs(bare),
        i === 0 ? `${(100 * c.other).toFixed(0)}%` : '',
      ];
    });
  });
}

const PERF_HEAD = [
  'case',
  'conns / time',
  'side',
  'req/s',
  'p50 ms',
  'p99 ms',
  'CPU ms/req',
  'vs up: req/s / p50',
  'vs bare: req/s / p50',
  'other load',
];

function checkRows(checks: readonly Check[]): string[][] {
  return checks.map((c) => [c.target, c.measured, c.pass === null ? 'info' : c.pass ? 'PASS' : 'FAIL']);
}

const CHECK_HEAD = ['target', 'measured', 'result'];

/** Columns up to `left` (exclusive) are text, aligned left; the rest are numbers, aligned right. */
function text(head: string[], rows: string[][], left: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdown(head: string[], rows: string[][], left: number): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const align = head.map((_, i) => (i < left ? ':---' : '---:'));
  return [line(head), line(align), ...rows.map(line)].join('\n');
}

/** A titled markdown section with one table (columns up to `left` are text), for the scale figures. */
export function section(
  title: string,
  intro: string,
  head: string[],
  rows: string[][],
  left: number,
): string {
  return `## ${title}\n\n${intro}\n\n${markdown(head, rows, left)}\n`;
}

export const SIDES =
  "up = the HAProxy socket proxy alone; bare = a bare Node pass-through proxy (bench/bare-proxy.ts) in front of it; ds = dockscope with three configured clients and SCRUB_ENVS in front of it; env = dockscope configured by environment only (CONTAINER_NAMES, SCRUB_ENVS); in the list cases at N <= 1000, dsl and dss = dockscope configured as ds but each client scoped by the visible containers' label: dsl one exact rule (pushed down to the daemon as a label filter), dss one substring rule (dockscope filters the whole list)";

export function printable(cases: readonly Case[], checks: readonly Check[]): string {
  return [SIDES, text(PERF_HEAD, performanceRows(cases), 3), '', text(CHECK_HEAD, checkRows(checks), 2)].join(
    '\n',
  );
}

export function markdownReport(
  env: Environment,
  cases: readonly Case[],
  checks: readonly Check[],
  details: readonly string[],
  profiles: readonly string[] = [],
  scale: readonly string[] = [],
): string {
  const profileSection =
    profiles.length === 0
      ? ''
      : `\n## CPU profiles (BENCH_CPU_PROF=1)\n\n${profiles.map((p) => `\`\`\`text\n${p}\n\`\`\``).join('\n\n')}\n`;
  return `# Benchmarks

Generated by \`npm run bench\` (\`bench/run.ts\`, issues #5, #10, #13 and #26) on ${env.date}. Do not edit by hand: run the
benchmark again.

| | |
| :--- | :--- |
| CPUs (\`os.cpus().length\`) | ${env.cpus} |
| CPU model | ${env.cpuModel} |
| Node | ${env.node} |
| dockerd | ${env.dockerd} (private daemon, vfs storage driver) |
| socket proxy | ${env.haproxy} (\`test/harness\`, plain HTTP with keep-alive, like Tecnativa's) |
| dockscope | \`${env.command}\` (as \`npm start\`), \`LOG_LEVEL=warn\`; ds: three clients in a file, each \`names: [bench-vis]\`, \`scrubEnvs: true\`; dsl: the same with \`labels: [${EXACT_LABEL_RULE}], match: exact\`; dss: with \`labels: [${SUBSTRING_LABEL_RULE}]\` (substring); env: \`CONTAINER_NAMES=bench-vis SCRUB_ENVS=true\` |
| load generator | ${env.loadGenerator} |
| N (containers in the daemon) | ${env.sizes.join(', ')} |

${env.note}

## Latency and throughput

The sides: ${SIDES}. Each proxy is its own process with the same Node and flags, and each talks
to the same HAProxy over kept-alive connections. Latencies are per-request timings taken by the load
generator on the same machine; "vs up" and "vs bare" are this side's requests per second and p50
divided by theirs. "CPU ms/req" is the side's own user + system CPU time (from \`/proc/<pid>/stat\`)
per request it served. "other load" is the share of all CPUs that processes the benchmark did not
start (other jobs on the host, kernel threads, steal) used during the case: well above a few
percent, that case was disturbed.

${markdown(PERF_HEAD, performanceRows(cases), 3)}

## Targets

${markdown(CHECK_HEAD, checkRows(checks), 2)}
${scale.map((x) => `\n${x}`).join('')}
## Details

${details.map((d) => `- ${d}`).join('\n')}
${profileSection}`;
}
