// Issue #26: the list case past what the private dockerd holds in a run, on a fake upstream (see
// fake-upstream.ts), with the bare proxy and a dockscope configured as ds in front of it.
import { measure, type Setup, type Shape } from './cases.ts';
import { startConfigured, startDockscopeProcess } from './dockscope-process.ts';
import { grownList, startFakeUpstream } from './fake-upstream.ts';
import type { Engine } from './fixtures.ts';
import type { Case } from './report.ts';
import { LIST_PATH } from './scenarios.ts';

export async function fakeListCase(
  s: Setup,
  engine: Engine,
  n: number,
  real: number,
  shape: Shape,
  bareScript: string,
): Promise<{ result: Case; note: string }> {
  const recorded = JSON.parse(await engine.ok('GET', '/containers/json?all=1')) as Record<string, unknown>[];
  const fake = await startFakeUpstream(grownList(recorded, n), await engine.ok('GET', '/version'));
  s.cleanup.add('fake upstream', () => fake.close());
  const common = { proxyUrl: fake.url, dir: s.work, nodeArgs: s.flags };
  const bare = await startDockscopeProcess({ ...common, name: 'bare-fake', script: bareScript });
  s.cleanup.add('bare Node proxy (fake upstream)', () => bare.stop());
  const ds = await startConfigured({ ...common, name: 'ds-fake' });
  s.cleanup.add('dockscope (fake upstream)', () => ds.stop());
  try {
    const sides = {
      up: { url: fake.url },
      bare: { url: bare.url, pid: bare.pid },
      ds: { url: ds.url, pid: ds.pid },
    };
    const result = await measure(
      { ...s, sides },
      `GET ${LIST_PATH} N=${n} (fake upstream)`,
      LIST_PATH,
      shape,
      ['up', 'bare', 'ds'],
      n,
    );
    const note = `N=${n} (fake upstream): the real daemon's list at N=${real} (${recorded.length} entries) recorded and repeated to ${n} entries with new ids and names (every 10th visible), ${(fake.bytes / 1024 / 1024).toFixed(1)} MiB, served by a Node HTTP server in the benchmark process (bench/fake-upstream.ts) that ignores filters, so dockscope filters all ${n} entries itself (the daemon filters by name for the real N); "up" is that server, bare and ds run in front of it. Real containers stop at ${real}: vfs copies the image for each one, creation runs at about 100 per second on a quiet machine, and the daemon's list time grows with them.`;
    return { result, note };
  } finally {
    await ds.stop();
    await bare.stop();
    await fake.close();
  }
}
