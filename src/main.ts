import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import dotenv from 'dotenv';
import { runCommand, runSuggest } from './cli.ts';
import type { Invocation } from './cli-args.ts';
import { parseArgs, USAGE, UsageError, version } from './cli-args.ts';
import type { Config } from './config/config.ts';
import { ConfigError } from './config/config.ts';
import { ConfigFileError } from './config/file.ts';
import { configPath, readConfiguration as readConfigurationAt } from './config/read.ts';
import { logBanner, logNodeFlags } from './server/banner.ts';
import { openLineSink } from './server/line-sink.ts';
import { createLogger, LOG_BUFFER_BYTES } from './server/logger.ts';
import { startDockscope } from './server/server.ts';

// Wiring only: arguments, configuration, logger, server, signals.
/** The command line, or exit: usage errors (2), --help and --version (0) never start anything. */
function invocationOrExit(): Exclude<Invocation, { command: 'help' | 'version' }> {
  let parsed: Invocation;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`dockscope: ${error.message}\n${USAGE}`);
    return process.exit(2);
  }
  if (parsed.command === 'help') {
    process.stdout.write(USAGE);
    return process.exit(0);
  }
  if (parsed.command === 'version') {
    process.stdout.write(`dockscope ${version()}\n`);
    return process.exit(0);
  }
  return parsed;
}

const invocation = invocationOrExit();
dotenv.config({ quiet: true });
// `suggest` reads audit lines only: it needs no configuration.
if (invocation.command === 'suggest') process.exit(await runSuggest(invocation.client, invocation.file));
// A SIGHUP before dockscope listens must not end it (its default): the reload handler replaces this.
const startupHup = () => {};
process.on('SIGHUP', startupHup);

const path = configPath('config' in invocation ? invocation.config : undefined, process.env);
const readConfiguration = () => readConfigurationAt(path, process.env);

let config: Config;
try {
  config = readConfiguration();
} catch (error) {
  if (error instanceof ConfigError || error instanceof ConfigFileError) {
    process.stderr.write(`dockscope: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

if (invocation.command === 'check' || invocation.command === 'explain') {
  const code = await runCommand(invocation, config).catch((error: unknown) => {
    process.stderr.write(`dockscope: configuration error: ${(error as Error).message}\n`);
    return 2;
  });
  process.exit(code);
}

// The service log, like the audit log, never blocks serving on a stalled stdout (#27).
const logSink = openLineSink(1, { maxBytes: LOG_BUFFER_BYTES, name: 'log' });
const log = createLogger(config.logLevel, logSink);
const dockscope = await startDockscope(config, log).catch((error: unknown) => {
  // A listener or client that cannot be set up (a socket in use, an unreadable token) is a
  // configuration error too: named, and exit code 2.
  process.stderr.write(`dockscope: cannot start: ${(error as Error).message}\n`);
  process.exit(2);
});
dockscope.metrics.countDropsOf('log', logSink);
logBanner(log, config, dockscope.addresses, dockscope.adminAddress);
logNodeFlags(log, process.execArgv, process.env.NODE_OPTIONS);
log.info(
  {
    listeners: dockscope.addresses,
    ...(dockscope.adminAddress ? { admin: dockscope.adminAddress } : {}),
    upstream: config.upstream.display,
    config: config.source,
  },
  'dockscope is listening',
);

/**
 * Hot reload, on SIGHUP and when the configuration file changes: validated whole, then swapped; an
 * invalid one is refused with the error a start would print, and the configuration in force stays.
 */
let reloading = Promise.resolve();
const reload = (why: string) => {
  reloading = reloading.then(async () => {
    try {
      const next = readConfiguration();
      const { restartNeeded } = await dockscope.reload(next);
      dockscope.metrics.reloads.inc({ result: restartNeeded.length > 0 ? 'restart-needed' : 'ok' });
      log.info(
        { reload: why, result: 'applied', clients: next.clients.map((c) => c.name) },
        'configuration reloaded',
      );
      if (restartNeeded.length > 0) {
        log.warn(
          { reload: why, restartNeeded },
          'these settings changed and take effect only after a restart',
        );
      }
    } catch (error) {
      dockscope.metrics.reloads.inc({ result: 'invalid' });
      log.error(
        { reload: why, result: 'refused', error: (error as Error).message },
        `configuration error: ${(error as Error).message}; the configuration in force stays`,
      );
    }
  });
};
process.off('SIGHUP', startupHup);
process.on('SIGHUP', () => {
  // What logrotate's postrotate sends: lines go to a file of the audit log's name again.
  void dockscope.reopenAudit();
  reload('SIGHUP');
});
if (path !== undefined) {
  // Editors replace files as often as they write them: watch the directory, and let changes settle.
  let timer: NodeJS.Timeout | undefined;
  const file = basename(path);
  watch(dirname(path), (_event, changed) => {
    if (changed !== null && changed !== file) return;
    clearTimeout(timer);
    timer = setTimeout(() => reload('file changed'), 200);
  }).unref();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void dockscope
      .close()
      .then(() => logSink.flush(1000))
      .then(() => process.exit(0));
    // The drain is bounded (10 s, then 1 s per log); this is the last resort past both.
    setTimeout(() => process.exit(0), 15_000).unref();
  });
}
