import { readFileSync } from 'node:fs';
import type { Logger, LoggerOptions } from 'pino';
import { pino } from 'pino';
import type { AuditTarget, LogLevel } from '../config/config.ts';
import type { LineSink } from './line-sink.ts';
import { openLineSink } from './line-sink.ts';

/** Bytes of log lines that may wait for a slow reader or disk, per log (then lines are dropped). */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The one pino root. Secrets never reach a log line: request headers are not logged at all, and the
 * redact paths below are a second line of defence should a payload ever be nested under these keys.
 */
export function createLogger(level: LogLevel, sink?: LineSink): Logger {
  const options = {
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
  } satisfies LoggerOptions;
  return sink ? pino(options, sink) : pino(options);
}

/** The audit log: its own pino root writing to its own destination, one JSON line per record. */
export function auditLogger(target: AuditTarget | null): { logger: Logger; sink: LineSink } | null {
  if (target === null) return null;
  const dest = target === 'stdout' ? 1 : target === 'stderr' ? 2 : 'fd' in target ? target.fd : target.file;
  // A descriptor that is not open, or a file that cannot be opened, fails the start, not the first
  // audited request. Lines are written asynchronously through a bounded buffer (#27): a stalled reader
  // or a full disk costs audit lines (counted), never serving.
  const sink = openLineSink(dest, { maxBytes: LOG_BUFFER_BYTES, name: 'audit' });
  return { logger: pino({ base: { service: 'dockscope', audit: true }, messageKey: 'msg' }, sink), sink };
}

/** What runs: dockscope's version (package.json) and Node's. */
export const BUILD: { readonly version: string; readonly node: string } = {
  version: readVersion(),
  node: process.versions.node,
};

function readVersion(): string {
  try {
    // src/server/ and dist/server/ are both two levels below package.json.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
