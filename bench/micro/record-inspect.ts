// Records the container inspect answer bench/micro/inspect.ts measures (bench/micro/inspect-answer.ts):
// a container shaped like the benchmark's visible ones (bench/fixtures.ts: four labels, `--network
// none`, running) plus an environment of ten variables, as a private dockerd answers for it.
// `node bench/micro/record-inspect.ts` (needs what the e2e tests need: dockerd, root).
import { writeFile } from 'node:fs/promises';
import { startDaemon } from '../../test/harness/daemon.ts';
import { importBusyboxImage } from '../../test/harness/image.ts';
import { Engine } from '../fixtures.ts';

const daemon = await startDaemon();
try {
  const image = await importBusyboxImage(daemon);
  const engine = new Engine(daemon.socketPath);
  const created = JSON.parse(
    await engine.ok('POST', '/containers/create?name=bench-vis-0', {
      Image: image,
      Cmd: ['sleep', '3600'],
      Env: Array.from({ length: 10 }, (_, i) => `SETTING_${i}=value-of-setting-number-${i}`),
      Labels: {
        'com.example.bench.project': 'dockscope-bench-00000',
        'com.example.bench.service': 'service-00000-worker',
        'com.example.bench.owner': 'team-platform-00000',
        'org.opencontainers.image.ref': 'bench:00000-rev',
      },
      HostConfig: { NetworkMode: 'none' },
    }),
  ) as { Id: string };
  await engine.ok('POST', `/containers/${created.Id}/start`);
  const answer = await engine.ok('GET', `/containers/${created.Id}/json`);
  engine.close();
  const out = new URL('./inspect-answer.ts', import.meta.url);
  await writeFile(
    out,
    `// Recorded by bench/micro/record-inspect.ts from a private dockerd: a real container inspect answer.\nexport const INSPECT_ANSWER = ${JSON.stringify(answer)};\n`,
  );
  console.log(`wrote ${out.pathname} (${answer.length} bytes)`);
} finally {
  await daemon.stop();
}
