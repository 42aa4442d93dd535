// Issue #26: the filtered list with label rules. Two more dockscope processes configured as ds (three
// clients, SCRUB_ENVS) whose clients see the visible containers by their label instead of their name:
// `dsl` with one exact label rule (pushed down to the daemon as a `label` filter), `dss` with one
// substring rule (not pushed down: the daemon serialises every container, dockscope drops 9 in 10).
// They join the list cases at N <= 1000 beside up, bare and ds, in the same slices.
import type { Setup, Target } from './cases.ts';
import { SCOPES, startConfigured } from './dockscope-process.ts';
import type { Check } from './report.ts';
import { checkList } from './scenarios.ts';

/** The label-rule sides by name, and how each is scoped (for the report). */
export const LABEL_SIDES = {
  dsl: SCOPES.exactLabel,
  dss: SCOPES.substringLabel,
} as const;

/** Starts `dsl` and `dss` (stopped by the cleanup or by `stop`). */
export async function startLabelSides(
  s: Setup,
): Promise<{ sides: Record<string, Target>; stop: () => Promise<void> }> {
  const sides: Record<string, Target> = {};
  const stops: (() => Promise<void>)[] = [];
  for (const [name, scope] of Object.entries(LABEL_SIDES)) {
    const ds = await startConfigured({ proxyUrl: s.proxy.url, dir: s.work, name, nodeArgs: s.flags }, scope);
    s.cleanup.add(`dockscope (${name})`, () => ds.stop());
    stops.push(() => ds.stop());
    sides[name] = { url: ds.url, pid: ds.pid };
  }
  return { sides, stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}

/** Each dockscope side's list once: valid JSON, exactly the visible containers (logged and returned). */
export async function listChecks(
  s: Pick<Setup, 'proxy' | 'sides'>,
  sideNames: readonly string[],
  n: number,
  visible: number,
): Promise<Check[]> {
  const checks: Check[] = [];
  for (const side of sideNames) {
    const url = s.sides[side]?.url;
    if (url === undefined) throw new Error(`no side named ${side}`);
    const check = await checkList(s.proxy.url, url, n, visible);
    const who = side === 'ds' ? 'filtered list' : `filtered list on ${side}`;
    console.log(`  ${who} at N=${n}: ${check.ok ? 'ok' : 'MISMATCH'}: ${check.detail}`);
    checks.push({
      target: `N=${n}: ${who} is valid JSON, exactly the visible containers`,
      measured: check.detail,
      pass: check.ok,
    });
  }
  return checks;
}
