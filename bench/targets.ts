import type { Check, Pair } from './report.ts';
import { ratio } from './report.ts';

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
  readonly served: readonly number[];
  /** Non-2xx responses and connection errors during the rounds. */
  readonly failed: number;
  readonly limitMiB: number;
}

const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** The targets of issue #5, each judged PASS or FAIL (or shown for information). */
export function evaluate(pairs: readonly Pair[], counted: readonly Counted[], rss: Rss): Check[] {
  const checks: Check[] = [];
  for (const [label, name] of [
    ['/_ping', 'GET /_ping'],
    ['inspect', 'GET /containers/{id}/json'],
  ] as const) {
    const p = pairs.find((x) => x.name === name);
    if (p) {
      const r = p.dockscope.rps / p.upstream.rps;
      const delta = p.dockscope.p50 - p.upstream.p50;
      const vs = `${p.connections} connections`;
      checks.push({
        target: `${label} req/s >= 0.5x upstream (${vs})`,
        measured: `${p.dockscope.rps.toFixed(0)} vs ${p.upstream.rps.toFixed(0)}: ${ratio(r)}`,
        pass: r >= 0.5,
      });
      checks.push({
        target: `${label} p50 <= upstream + 1 ms (${vs})`,
        measured: `${p.dockscope.p50.toFixed(2)} vs ${p.upstream.p50.toFixed(2)} ms: ${signed(delta)} ms`,
        pass: delta <= 1,
      });
    }
    const light = pairs.find((x) => x.name === `${name} (1 connection)`);
    if (light) {
      const delta = light.dockscope.p50 - light.upstream.p50;
      checks.push({
        target: `${label} p50 with 1 connection (no queueing)`,
        measured: `${light.dockscope.p50.toFixed(2)} vs ${light.upstream.p50.toFixed(2)} ms: ${signed(delta)} ms`,
        pass: null,
      });
    }
  }
  for (const p of pairs.filter((x) => x.n !== undefined)) {
    const r = p.dockscope.p50 / p.upstream.p50;
    const targeted = p.n === 300 || p.n === 1000;
    checks.push({
      target: `filtered list p50 ${targeted ? '<= 1.10x upstream' : 'vs upstream'}, N=${p.n}`,
      measured: `${p.dockscope.p50.toFixed(1)} vs ${p.upstream.p50.toFixed(1)} ms: ${ratio(r)}`,
      pass: targeted ? r <= 1.1 : null,
    });
  }
  for (const c of counted) {
    checks.push({
      target: `warm cache: ${c.label}, upstream requests per request = 1.00`,
      measured: `${c.seen} for ${c.k}: ${(c.seen / c.k).toFixed(2)} (the warm-up request made ${c.warmup})`,
      pass: c.seen === c.k,
    });
  }
  const peak = Math.max(...rss.peaks);
  const first = rss.peaks[0] ?? 0;
  const rounds = rss.peaks.map((p) => p.toFixed(1)).join(' / ');
  checks.push({
    target: `dockscope peak RSS <= ${rss.limitMiB} MiB, N=${rss.n}`,
    measured: `${peak.toFixed(1)} MiB`,
    pass: peak <= rss.limitMiB,
  });
  checks.push({
    target: 'peak RSS flat across rounds (each <= round 1 + 10%)',
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
