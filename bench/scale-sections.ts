// Issue #26: the scale figures as report sections (cases for the main table, checks, a markdown table).
import type { Setup, Shape } from './cases.ts';
import { phase } from './cases.ts';
import { type Case, type Check, section } from './report.ts';
import {
  CLIENT_HEAD,
  clientCases,
  clientTable,
  STARTUP_HEAD,
  STREAM_HEAD,
  startupFigures,
  startupTable,
  streamChecks,
  streamFigures,
  streamTable,
} from './scale.ts';
import { clientChecks } from './targets.ts';

export async function clientSection(
  s: Setup,
  shape: Shape,
  bareUrl: string,
  barePid: number,
): Promise<{ cases: Case[]; checks: Check[]; text: string }> {
  const cases = await clientCases(s, shape, bareUrl, barePid);
  const text = section(
    'Configured clients (issue #26)',
    'GET /_ping through dockscope with k clients in its file, the load identified as the last of them (by its token, or by its source address after k-1 addresses that do not match): each k its own process, measured in the same alternating slices as HAProxy alone (up) and the bare proxy. "vs 1 client" is req/s and CPU ms per request against k=1.',
    CLIENT_HEAD,
    clientTable(cases),
    2,
  );
  return { cases, checks: clientChecks(cases), text };
}

export async function startupSection(s: Setup, bareScript: string): Promise<string> {
  const figures = await phase('start-up to the first answer (3 runs each)', () =>
    startupFigures(s, bareScript),
  );
  return section(
    'Start-up to the first answer (issue #26)',
    'Milliseconds from spawning the process to its first 200 answer to `/_ping` (tried every 2 ms; a token client sends its token), three runs each: the bare proxy, dockscope with one client and with 1000 clients in its configuration file.',
    STARTUP_HEAD,
    startupTable(figures),
    1,
  );
}

export async function streamSection(
  s: Setup,
  bareScript: string,
  createVisible: (name: string) => Promise<() => Promise<void>>,
): Promise<{ checks: Check[]; text: string }> {
  const figures = await streamFigures(s, bareScript, createVisible);
  const text = section(
    'Open event streams (issue #26)',
    'k `GET /events` streams held open on the proxy at once (dockscope configured by environment, `MAX_STREAMS_PER_CLIENT` raised to 1000 from its default of 256), behind a counting pass-through in front of HAProxy: VmRSS with all k open and idle for 1 s, the `GET /events` requests the upstream saw for them, and the time from creating a visible container until all k streams had its event.',
    STREAM_HEAD,
    streamTable(figures),
    1,
  );
  return { checks: streamChecks(figures), text };
}
