import dotenv from 'dotenv';
import { ConfigError, loadConfig } from './config/config.ts';
import { createLogger } from './server/logger.ts';
import { startDockscope } from './server/server.ts';

// Wiring only: configuration, logger, server, signals.
dotenv.config({ quiet: true });

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
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
  log.fatal({ err: error }, 'could not start');
  process.exit(1);
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
