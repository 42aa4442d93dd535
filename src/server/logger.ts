import { fstatSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { AuditTarget, LogLevel } from '../config/config.ts';

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

/** The audit log: its own pino root writing to its own destination, one JSON line per record. */
export function auditLogger(target: AuditTarget | null): Logger | null {
  if (target === null) return null;
  const dest = target === 'stdout' ? 1 : target === 'stderr' ? 2 : 'fd' in target ? target.fd : target.file;
  // A descriptor that is not open fails the start, not the first audited request.
  if (typeof dest === 'number') fstatSync(dest);
  // Synchronous: an audit line is written before the next request is served, and none is lost on exit.
  return pino(
    { base: { service: 'dockscope', audit: true }, messageKey: 'msg' },
    pino.destination({ dest, sync: true, mkdir: typeof dest === 'string' }),
  );
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
