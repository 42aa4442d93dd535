import type { Logger } from 'pino';
import { pino } from 'pino';
import type { LogLevel } from '../config/config.ts';

/**
 * The one pino root. Secrets never reach a log line: request headers are not logged at all, and the
 * redact paths below are a second line of defence should a payload ever be nested under these keys.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'dockscope' },
    redact: {
      paths: [
        'headers.authorization',
        'headers["x-registry-auth"]',
        'headers["x-registry-config"]',
        '*.Env',
        '*.Config.Env',
      ],
      censor: '[redacted]',
    },
  });
}
