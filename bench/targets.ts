import type { LoadResult } from './load.ts';
import type { Case, Check } from './report.ts';
import { ratio, sideOf } from './report.ts';

export interface Counted {
  readonly label: string;
  readonly seen: number;
  readonly k: number;
  readonly warmup: number;
}

export interface Rss {
  readonly n: number;
  /** Lifetime VmHWM (MiB) of the dockscope that served every other case. */
  readonly mainHwm: number;
  readonly peaks: readonly number[];
  /** The first, unjudged round's peak (MiB): counted for the limit, not for flatness. */
  readonly warmupPeak: number;
  readonly served: readonly number[];
  /** Non-2xx responses and connection errors during the rounds. */
  readonly failed: number;
  readonly limitMiB: number;
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/**
 * This side's requests per second over another's: the median of the ratios of each round (slice i of
 * both sides runs back to back), so that a machine getting busier or quieter during the case, which
 * moves both sides of a round alike, moves the ratio least.
 */
export function pairedRatio(side: LoadResult, base: LoadResult): number {
  const ratios = side.sliceRps
    .map((r, i) => r / (base.sliceRps[i] ?? Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return side.rps / base.rps;
  const mid = ratios.length / 2;
  return ratios.length % 2 === 1
    ? (ratios[Math.floor(mid)] as number)
    : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
}

const ratioList = (side: LoadResult, base: LoadResult): string =>
  side.sliceRps.map((r, i) => (r / (base.sliceRps[i] ?? Number.NaN)).toFixed(2)).join(', ');

export const PING = 'GET /_ping';
export const INSPECT = 'GET /containers/{id}/json';
export const ONE = ' (1 connection)';
/** The case that compares env and ds alone, in twelve short rounds (#10). */
export const PAIRED = ' (env and ds paired)';

/** The targets of issues #13, #10 and #5, each judged PASS or FAIL (or shown for information). */
export function evaluate(cases: readonly Case[], counted: readonly Counted[], rss?: Rss): Check[] {
  const checks: Check[] = [];
  const get = (name: string) => {
    const c = cases.find((x) => x.name === name);
    return c
      ? {
          c,
          ds: sideOf(c, 'ds')?.result,
          bare: sideOf(c, 'bare')?.result,
          up: sideOf(c, 'up')?.result,
          env: sideOf(c, 'env')?.result,
        }
      : undefined;
  };
  for (const [label, name, least] of [
    ['/_ping', PING, 0.8],
    ['inspect of a visible container', INSPECT, 0.6],
  ] as const) {
    const m = get(name);
    if (m?.ds && m.bare) {
      const r = pairedRatio(m.ds, m.bare);
      checks.push({
        target: `${label}, ${m.c.connections} connections: req/s >= ${least}x the bare Node proxy (#13)`,
        measured: `${m.ds.rps.toFixed(0)} vs ${m.bare.rps.toFixed(0)}: ${ratio(r)} (median of the rounds: ${ratioList(m.ds, m.bare)})`,
        pass: r >= least,
      });
    }
    // Judged on the paired case when it ran, else on the case of all four sides.
    const pair = get(`${name}${PAIRED}`) ?? m;
    if (pair?.ds && pair.env) {
      const r = pairedRatio(pair.ds, pair.env);
      const cpu = (side: string) => sideOf(pair.c, side)?.cpuMs ?? Number.NaN;
      checks.push({
        target: `${label}, ${pair.c.connections} connections: three configured clients >= 0.95x the environment-only configuration (#10)`,
        measured: `${pair.ds.rps.toFixed(0)} vs ${pair.env.rps.toFixed(0)} req/s: ${ratio(r)} (median of ${pair.ds.sliceRps.length} rounds: ${ratioList(pair.ds, pair.env)}), p50 ${pair.ds.p50.toFixed(2)} vs ${pair.env.p50.toFixed(2)} ms, CPU ${cpu('ds').toFixed(3)} vs ${cpu('env').toFixed(3)} ms/req`,
        pass: r >= 0.95,
      });
    }
    if (m?.ds && m.up) {
      checks.push({
        target: `${label}, ${m.c.connections} connections: req/s vs HAProxy alone (the machine's limit)`,
        measured: `${m.ds.rps.toFixed(0)} vs ${m.up.rps.toFixed(0)}: ${ratio(m.ds.rps / m.up.rps)}`,
        pass: null,
      });
    }
    const light = get(`${name}${ONE}`);
    if (light?.ds && light.bare) {
      const delta = light.ds.p50 - light.bare.p50;
      const targeted = name === PING;
      checks.push({
        target: `${label}, 1 connection: p50 ${targeted ? '<= the bare Node proxy + 0.1 ms (#13)' : 'vs the bare Node proxy'}`,
        measured: `${light.ds.p50.toFixed(3)} vs ${light.bare.p50.toFixed(3)} ms: ${signed(delta)} ms`,
        pass: targeted ? delta <= 0.1 : null,
      });
    }
  }
  for (const c of cases.filter((x) => x.n !== undefined)) {
    const ds = sideOf(c, 'ds')?.result;
    const up = sideOf(c, 'up')?.result;
    if (!ds || !up) continue;
    const r = ds.p50 / up.p50;
    const fake = c.name.includes('fake upstream');
    const targeted = !fake && (c.n === 300 || c.n === 1000);
    if (up.ok > 0) checks.push(...labelListChecks(c, up, targeted));
    if (ds.ok === 0 || up.ok === 0) {
      // A side that answered nothing within its slices (a daemon too slow for them) has no p50.
      checks.push({
        target: `filtered list, N=${c.n}${fake ? ' (fake upstream)' : ''}: p50 vs the upstream alone`,
        measured: `no answer within the slices from ${up.ok === 0 ? 'the upstream' : 'dockscope'}: not measured`,
        pass: null,
      });
      continue;
    }
    checks.push({
      target: `filtered list, N=${c.n}${fake ? ' (fake upstream, recorded entries)' : ''}: p50 ${targeted ? '<= 1.05x the upstream alone (#13)' : 'vs the upstream alone'}`,
      measured: `${ds.p50.toFixed(1)} vs ${up.p50.toFixed(1)} ms: ${ratio(r)}`,
      pass: targeted ? r <= 1.05 : null,
    });
  }
  for (const c of counted) {
    checks.push({
      target: `warm cache: ${c.label}, upstream requests per request = 1.00`,
      measured: `${c.seen} for ${c.k}: ${(c.seen / c.k).toFixed(2)} (the warm-up request made ${c.warmup})`,
      pass: c.seen === c.k,
    });
  }
  if (rss) checks.push(...rssChecks(rss));
  return checks;
}

/** Configured clients (issue #26): k clients cost <= 1.05x one client per request (CPU per request). */
export function clientChecks(cases: readonly Case[]): Check[] {
  return cases.flatMap((c) => {
    const one = sideOf(c, 'ds1');
    const most = sideOf(c, 'ds1000');
    if (!one || !most) return [];
    const cpu = most.cpuMs / one.cpuMs;
    return [
      {
        target: `${c.name}: 1000 clients cost <= 1.05x one client per request (CPU ms/req; #26)`,
        measured: `${most.cpuMs.toFixed(3)} vs ${one.cpuMs.toFixed(3)} ms: ${ratio(cpu)}; req/s ${most.result.rps.toFixed(0)} vs ${one.result.rps.toFixed(0)}: ${ratio(pairedRatio(most.result, one.result))}`,
        pass: cpu <= 1.05,
      },
    ];
  });
}

function rssChecks(rss: Rss): Check[] {
  const checks: Check[] = [];
  const peak = Math.max(rss.warmupPeak, ...rss.peaks);
  const first = rss.peaks[0] ?? 0;
  const rounds = rss.peaks.map((p) => p.toFixed(1)).join(' / ');
  checks.push({
    target: `dockscope peak RSS <= ${rss.limitMiB} MiB, N=${rss.n}`,
    measured: `${peak.toFixed(1)} MiB`,
    pass: peak <= rss.limitMiB,
  });
  checks.push({
    target: 'peak RSS flat across rounds after the first (each <= the first of them + 10%)',
    measured: `${rounds} MiB (${rss.served.join(' / ')} lists served${rss.failed > 0 ? `, ${rss.failed} failed` : ''})`,
    pass: rss.peaks.every((p) => p <= first * 1.1),
  });
  checks.push({
    target: 'lifetime peak RSS of the dockscope that served all the cases above',
    measured: `${rss.mainHwm.toFixed(1)} MiB`,
    pass: null,
  });
  return checks;
}

/** The label-rule sides of a list case (issue #26): p50 against the upstream alone, and the bare proxy. */
function labelListChecks(c: Case, up: LoadResult, targeted: boolean): Check[] {
  const bare = sideOf(c, 'bare')?.result;
  return (
    [
      ['dsl', 'exact, pushed down to the daemon'],
      ['dss', 'substring, filtered by dockscope alone'],
    ] as const
  ).flatMap(([side, how]) => {
    const r = sideOf(c, side)?.result;
    if (!r) return [];
    const target = `filtered list with label rules (${side}: ${how}), N=${c.n}: p50 ${targeted ? '<= 1.05x the upstream alone (#26)' : 'vs the upstream alone'}`;
    if (r.ok === 0) return [{ target, measured: 'no answer within the slices: not measured', pass: null }];
    const vsUp = r.p50 / up.p50;
    const vsBare = bare && bare.ok > 0 ? ratio(r.p50 / bare.p50) : 'n/a (no answer from bare)';
    return [
      {
        target,
        measured: `${r.p50.toFixed(1)} vs ${up.p50.toFixed(1)} ms: ${ratio(vsUp)}; vs bare ${vsBare}; ${r.rps.toFixed(1)} req/s vs ${up.rps.toFixed(1)}`,
        pass: targeted ? vsUp <= 1.05 : null,
      },
    ];
  });
}
