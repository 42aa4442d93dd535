import type { UpstreamKind } from '../upstream/dialect.ts';
import { UPSTREAM_KINDS } from '../upstream/dialect.ts';
import type { ListenAddress } from './config.ts';

/** Parsers of single configuration values, each error naming the variable (or key) it came from. */

/** A configuration error names the variable, the bad value and a good example. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variable: string;
  /** `exampleVariable`: the variable the example sets, when it is not the one at fault (a typo). */
  constructor(variable: string, problem: string, example: string, exampleVariable = variable) {
    super(`${variable}: ${problem}. Example: ${exampleVariable}=${example}`);
    this.variable = variable;
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An audit destination: a standard stream, a file descriptor, or a file (appended to). */
export type AuditTarget = 'stdout' | 'stderr' | { readonly fd: number } | { readonly file: string };

/** `stdout`, `stderr`, `fd:3` or an absolute file path. */
export function parseAuditTarget(value: string): AuditTarget {
  if (value === 'stdout' || value === 'stderr') return value;
  const fd = /^fd:(\d{1,4})$/.exec(value);
  if (fd) return { fd: Number(fd[1]) };
  if (value.startsWith('/')) return { file: value };
  throw new Error(`"${value}" is not stdout, stderr, fd:N or an absolute file path`);
}

export function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Runs a parser whose errors are plain messages and names the variable in the error. */
export function wrap<T>(variable: string, example: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variable, (error as Error).message, example);
  }
}

export function parseListen(value: string): ListenAddress {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`"${value}" needs an absolute socket path`);
    return { socketPath };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s/[\]]*)):(\d{1,5})$/.exec(value);
  if (!match) throw new Error(`"${value}" is not host:port`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range 0-65535`);
  const host = match[1] ?? (match[2] || '0.0.0.0');
  return { host, port };
}

export function parseBoolean(variable: string, value: string | undefined, fallback: boolean): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(variable, `"${value}" is not a boolean (true or false)`, 'true');
}

/** `on` or `off` (and the boolean spellings). */
export function parseSwitch(variable: string, value: string | undefined, fallback: boolean): boolean {
  const v = nonEmpty(value)?.toLowerCase();
  if (v === undefined) return fallback;
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(variable, `"${value}" is neither on nor off`, 'off');
}

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = nonEmpty(value)?.toLowerCase() ?? 'info';
  if ((LOG_LEVELS as readonly string[]).includes(v)) return v as LogLevel;
  throw new ConfigError('LOG_LEVEL', `"${value}" is not one of ${LOG_LEVELS.join(', ')}`, 'info');
}

/**
 * UPSTREAM_KIND (`upstreamKind`): which kind the upstream is, for answers in its words
 * (upstream/dialect.ts). `auto`, the default, asks the upstream; a wrong kind stops the start.
 */
export function parseUpstreamKind(variable: string, value: string | undefined): UpstreamKind {
  const v = nonEmpty(value) ?? 'auto';
  if ((UPSTREAM_KINDS as readonly string[]).includes(v)) return v as UpstreamKind;
  throw new ConfigError(variable, `"${value}" is not one of ${UPSTREAM_KINDS.join(', ')}`, 'auto');
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A number with a unit: `500ms`, `2s`, `1m`, `1h`; `0` alone. A bare number is refused (issue #22):
 * `UPSTREAM_TIMEOUT=60` read as milliseconds cut every request after 60 ms, and docker-proxy-filter,
 * whose variables dockscope takes, has no durations that would give a bare number a meaning.
 */
export function parseDuration(
  variable: string,
  value: string | undefined,
  fallback: number,
  example = '2s',
): number {
  const v = nonEmpty(value);
  if (v === undefined) return fallback;
  if (v === '0') return 0;
  if (/^\d{1,9}$/.test(v)) {
    throw new ConfigError(
      variable,
      `"${value}" has no unit: write ${v}s for seconds or ${v}ms for milliseconds (units: ms, s, m, h)`,
      example,
    );
  }
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(v);
  if (!match) throw new ConfigError(variable, `"${value}" is not a duration (units: ms, s, m, h)`, example);
  return Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
}

export function positive(variable: string, ms: number, example: string): number {
  if (ms <= 0) throw new ConfigError(variable, 'must be more than 0', example);
  return ms;
}

/** A whole number of at least 1. */
export function parseCount(variable: string, value: string | undefined, fallback: number): number {
  const v = nonEmpty(value);
  if (v === undefined) return fallback;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1) {
    throw new ConfigError(variable, `"${value}" is not a whole number of at least 1`, String(fallback));
  }
  return Number(v);
}
