import { setTimeout as sleep } from 'node:timers/promises';
import type { Counter } from './counter.ts';
import { NAME_RULE } from './fixtures.ts';
import { load, peakRssDuring } from './load.ts';

export const LIST_PATH = '/containers/json?all=1';

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  return { status: res.status, text: await res.text() };
}

export interface ListCheck {
  readonly ok: boolean;
  readonly detail: string;
}

/** Fetches the list once from both sides: both valid JSON, upstream N entries, dockscope exactly the visible ones. */
export async function checkList(
  upstreamUrl: string,
  dockscopeUrl: string,
  total: number,
  visible: number,
): Promise<ListCheck> {
  const count = async (url: string): Promise<{ n: number; hidden: number; bytes: number } | string> => {
    const res = await get(`${url}${LIST_PATH}`);
    if (res.status !== 200) return `status ${res.status}`;
    let list: unknown;
    try {
      list = JSON.parse(res.text);
    } catch (error) {
      return `invalid JSON (${(error as Error).message})`;
    }
    if (!Array.isArray(list)) return 'not an array';
    const hidden = list.filter(
      (c: { Names?: string[] }) => !c.Names?.some((n) => n.startsWith(`/${NAME_RULE}-`)),
    ).length;
    return { n: list.length, hidden, bytes: Buffer.byteLength(res.text) };
  };
  const up = await count(upstreamUrl);
  const ds = await count(dockscopeUrl);
  if (typeof up === 'string') return { ok: false, detail: `upstream: ${up}` };
  if (typeof ds === 'string') return { ok: false, detail: `dockscope: ${ds}` };
  const ok = up.n === total && ds.n === visible && ds.hidden === 0;
  return {
    ok,
    detail:
      `upstream ${up.n} entries (${(up.bytes / 1024).toFixed(0)} KiB, ${(up.bytes / up.n).toFixed(0)} B each; expected ${total}), ` +
      `dockscope ${ds.n} (expected ${visible}, hidden among them: ${ds.hidden})`,
  };
}

/**
 * Upstream requests per client request on a warm cache: one warm-up request, then `k` sequential ones,
 * counting what the counter saw (the long-lived `/events` watch aside).
 */
export async function upstreamPerRequest(
  dockscopeUrl: string,
  counter: Counter,
  path: string,
  k: number,
): Promise<{ ratio: number; seen: number; warmup: number }> {
  counter.reset();
  const first = await get(`${dockscopeUrl}${path}`);
  if (first.status !== 200) throw new Error(`GET ${path} through dockscope: ${first.status} ${first.text}`);
  await sleep(100);
  const counted = (): string[] => counter.seen.filter((line) => !line.startsWith('GET /events'));
  const warmup = counted().length;
  counter.reset();
  for (let i = 0; i < k; i++) {
    const res = await get(`${dockscopeUrl}${path}`);
    if (res.status !== 200) throw new Error(`GET ${path} through dockscope: ${res.status}`);
  }
  await sleep(100);
  const seen = counted().length;
  return { ratio: seen / k, seen, warmup };
}

/** Waits until dockscope's event watch went through the counter (it clears the cache when it starts). */
export async function waitForWatch(counter: Counter): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!counter.seen.some((line) => line.startsWith('GET /events'))) {
    if (Date.now() > deadline) throw new Error('dockscope did not open its /events watch within 10 s');
    await sleep(20);
  }
  // The cache is cleared when the response head arrives, a moment after the request.
  await sleep(300);
}

/** Peak RSS (MiB) of dockscope per round while `connections` clients fetch the list for `seconds`. */
export async function rssRounds(
  dockscopeUrl: string,
  pid: number,
  rounds: number,
  connections: number,
  seconds: number,
): Promise<{ peaks: number[]; requests: number[]; failed: number }> {
  const peaks: number[] = [];
  const requests: number[] = [];
  let failed = 0;
  for (let round = 0; round < rounds; round++) {
    let ok = 0;
    const peak = await peakRssDuring(pid, async () => {
      const result = await load({
        base: dockscopeUrl,
        path: LIST_PATH,
        connections,
        seconds,
        warmupSeconds: 0,
      });
      ok = result.ok;
      failed += result.failed;
    });
    peaks.push(peak);
    requests.push(ok);
  }
  return { peaks, requests, failed };
}
