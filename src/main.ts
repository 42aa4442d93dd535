import { readFileSync } from 'node:fs';
import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config/config.ts';
import { ConfigFileError } from './config/file.ts';
import { createLogger } from './server/logger.ts';
import { startDockscope } from './server/server.ts';

// Wiring only: configuration, logger, server, signals.
dotenv.config({ quiet: true });

/** `--config PATH` (or `--config=PATH`), else DOCKSCOPE_CONFIG. */
function configPath(): string | undefined {
  const args = process.argv.slice(2);
  for (const [i, arg] of args.entries()) {
    if (arg === '--config') return args[i + 1];
    if (arg.startsWith('--config=')) return arg.slice('--config='.length);
  }
  return process.env.DOCKSCOPE_CONFIG?.trim() || undefined;
}

let config: ReturnType<typeof loadConfig>;
try {
  const path = configPath();
  let file: { path: string; text: string } | undefined;
  if (path !== undefined) {
    try {
      file = { path, text: readFileSync(path, 'utf8') };
    } catch (error) {
      throw new ConfigFileError(
        path,
        null,
        '',
        `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  config = loadConfig(process.env, file);
} catch (error) {
  if (error instanceof ConfigError || error instanceof ConfigFileError) {
    process.stderr.write(`dockscope: configuration error: ${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const log = createLogger(config.logLevel);
for (const client of config.clients) {
  if (client.containers === 'all' && config.source === 'environment') {
    log.warn('neither CONTAINER_NAMES nor CONTAINER_LABELS is set: every container is visible');
  }
}
const dockscope = await startDockscope(config, log).catch((error: unknown) => {
  // A listener or client that cannot be set up (a socket in use, an unreadable token) is a
  // configuration error too: named, and exit code 2.
  process.stderr.write(`dockscope: cannot start: ${(error as Error).message}\n`);
  process.exit(2);
});
log.info(
  {
    listeners: dockscope.addresses,
    upstream: config.upstream.display,
    config: config.source,
    clients: config.clients.map((c) => ({
      name: c.name,
      containers: c.containers,
      scrubEnvs: c.scrubEnvs,
      ...(c.allow ? { allow: c.allow } : {}),
      ...(c.deny ? { deny: c.deny } : {}),
    })),
  },
  'dockscope is listening',
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    void dockscope.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref();
  });
}
