// Issue #26: µs per container inspect answer, the full JSON path (parse, filterInspect, stringify)
// against the text path (inspect-text.ts), in this process, no I/O. `node bench/micro/inspect.ts`
// (BENCH_MICRO_ITERATIONS, default 20000; BENCH_MICRO_ANSWER=<file> for an answer of your own,
// e.g. `curl --unix-socket /var/run/docker.sock localhost/containers/<id>/json`).
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { ContainerDirectory } from '../../src/policy/directory.ts';
import { buildVisibility } from '../../src/policy/matcher.ts';
import { ContainerResolver } from '../../src/policy/resolver.ts';
import { filterInspect } from '../../src/transforms/inspect.ts';
import { filterInspectText } from '../../src/transforms/inspect-text.ts';
import type { Upstream } from '../../src/upstream/client.ts';
import { INSPECT_ANSWER } from './inspect-answer.ts';

const ITERATIONS = Number(process.env.BENCH_MICRO_ITERATIONS ?? 20_000);
const answer = process.env.BENCH_MICRO_ANSWER
  ? readFileSync(process.env.BENCH_MICRO_ANSWER, 'utf8')
  : INSPECT_ANSWER;

// No look-up is made for this answer (no container: mode, no VolumesFrom or links): no upstream.
const upstream = { display: 'none', getJson: () => Promise.reject(new Error('no upstream')) };
const resolver = new ContainerResolver(
  new ContainerDirectory(upstream as unknown as Upstream, 60_000, pino({ level: 'silent' })),
  buildVisibility({ names: ['bench-vis'], labels: [] }),
);

const paths = {
  json: async () => {
    const outcome = await filterInspect(JSON.parse(answer), resolver, true);
    return outcome.visible ? JSON.stringify(outcome.body) : '';
  },
  text: async () => {
    const outcome = await filterInspectText(answer, resolver, true);
    if (outcome === null) throw new Error('the text path did not take the answer on');
    return outcome.visible ? outcome.text : '';
  },
  'JSON.parse alone': async () => {
    JSON.parse(answer);
    return '';
  },
} as const;

async function time(run: () => Promise<string>): Promise<number> {
  for (let i = 0; i < 2000; i++) await run();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await run();
  return Number(process.hrtime.bigint() - started) / 1000 / ITERATIONS;
}

if ((await paths.text()).length === 0) throw new Error('the answer is not a visible container');
console.log(`container inspect answer: ${Buffer.byteLength(answer)} bytes, ${ITERATIONS} iterations each`);
const results: Record<string, number[]> = {};
// Alternating rounds, so that drift on a shared machine moves both alike; the median is reported.
for (let round = 0; round < 5; round++) {
  for (const [name, run] of Object.entries(paths)) {
    const times = results[name] ?? [];
    times.push(await time(run));
    results[name] = times;
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
for (const [name, xs] of Object.entries(results)) {
  console.log(`${name.padEnd(18)} ${median(xs).toFixed(2).padStart(7)} µs per answer (median of 5 rounds)`);
}
const ratio = median(results.text ?? []) / median(results.json ?? []);
console.log(`text / json: ${ratio.toFixed(2)}`);
