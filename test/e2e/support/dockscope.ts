import { pino } from 'pino';
import type { Env } from '../../../src/config/config.ts';
import { loadConfig } from '../../../src/config/config.ts';
import type { Dockscope } from '../../../src/server/server.ts';
import { startDockscope } from '../../../src/server/server.ts';

export interface RunningDockscope {
  readonly ds: Dockscope;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `tcp://127.0.0.1:PORT`, for DOCKER_HOST */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts dockscope in this process on a free loopback port, configured like the real one from env;
 * without CONTAINER_NAMES, CONTAINER_LABELS or CONTAINERS, with CONTAINERS=all.
 */
export async function startTestDockscope(
  env: Env,
  options: { watchEvents?: boolean; headersTimeoutMs?: number; logLines?: Record<string, unknown>[] } = {},
): Promise<RunningDockscope> {
  const lines = options.logLines;
  // Seeing every container needs saying so (issue #22): a test that gives no lists means every one.
  const lists = [env.CONTAINER_NAMES, env.CONTAINER_LABELS, env.CONTAINERS].some((v) => v?.trim());
  const config = loadConfig({
    LISTEN: '127.0.0.1:0',
    LOG_LEVEL: lines ? 'info' : 'silent',
    ...(lists ? {} : { CONTAINERS: 'all' }),
    ...env,
  });
  // With `logLines`, every log record is collected there (parsed), for tests of what is logged.
  const log = lines
    ? pino(
        { level: config.logLevel },
        { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      )
    : pino({ level: config.logLevel });
  return running(await startDockscope(config, log, options));
}

/** A started dockscope, with the addresses of its first listener (on loopback). */
function running(ds: Dockscope): RunningDockscope {
  const port = Number(ds.address.split(':').pop());
  return {
    ds,
    port,
    url: `http://127.0.0.1:${port}`,
    host: `tcp://127.0.0.1:${port}`,
    close: () => ds.close(),
  };
}

/**
 * Starts dockscope in this process from a configuration file's text, as `--config` would read it; its
 * first listener should be `127.0.0.1:0` (the address is the one bound).
 */
export async function startTestDockscopeFile(yaml: string): Promise<RunningDockscope> {
  const config = loadConfig({ LOG_LEVEL: 'silent' }, { path: 'dockscope.yml', text: yaml });
  return running(await startDockscope(config, pino({ level: 'silent' })));
}
