import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  nonEmpty,
  parseAuditTarget,
  parseBoolean,
  parseCount,
  parseDuration,
  parseListen,
  parseLogLevel,
  parseSwitch,
  parseUpstreamKind,
  positive,
  wrap,
} from '../../../src/config/values.ts';

/** The error message a parser throws, or its value. */
function outcome<T>(parse: () => T): { value: T } | { error: string; variable?: string } {
  try {
    return { value: parse() };
  } catch (error) {
    return error instanceof ConfigError
      ? { error: error.message, variable: error.variable }
      : { error: (error as Error).message };
  }
}

describe('configuration values: each error names the variable, the value and a good example', () => {
  it('a ConfigError reads "<variable>: <problem>. Example: <variable>=<example>"', () => {
    const e = new ConfigError('LISTEN', 'is wrong', '0.0.0.0:2375');
    expect([e.message, e.variable, e.name]).toEqual([
      'LISTEN: is wrong. Example: LISTEN=0.0.0.0:2375',
      'LISTEN',
      'ConfigError',
    ]);
    expect(new ConfigError('LISTN', 'is not a variable', '0.0.0.0:2375', 'LISTEN').message).toBe(
      'LISTN: is not a variable. Example: LISTEN=0.0.0.0:2375',
    );
  });

  it.each([
    ['stdout', 'stdout'],
    ['stderr', 'stderr'],
    ['fd:3', { fd: 3 }],
    ['fd:9999', { fd: 9999 }],
    ['/var/log/audit.log', { file: '/var/log/audit.log' }],
  ])('parseAuditTarget(%j) is %j', (value, expected) => {
    expect(parseAuditTarget(value)).toEqual(expected);
  });

  it.each(['fd:', 'fd:10000', 'fd:-1', 'audit.log', 'STDOUT', ''])(
    'parseAuditTarget(%j) is refused',
    (value) => {
      expect(outcome(() => parseAuditTarget(value))).toEqual({
        error: `"${value}" is not stdout, stderr, fd:N or an absolute file path`,
      });
    },
  );

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['  \t', undefined],
    [' x ', 'x'],
  ])('nonEmpty(%j) is %j', (value, expected) => {
    expect(nonEmpty(value)).toBe(expected);
  });

  it('wrap names the variable in a plain error, and passes a ConfigError as it is', () => {
    expect(
      outcome(() =>
        wrap('ALLOW', 'read-only', () => {
          throw new Error('"x" is bad');
        }),
      ),
    ).toEqual({ error: 'ALLOW: "x" is bad. Example: ALLOW=read-only', variable: 'ALLOW' });
    expect(
      outcome(() =>
        wrap('ALLOW', 'read-only', () => {
          throw new ConfigError('PORT', 'inner', '1');
        }),
      ),
    ).toEqual({ error: 'PORT: inner. Example: PORT=1', variable: 'PORT' });
    expect(wrap('X', 'y', () => 42)).toBe(42);
  });

  it.each([
    ['0.0.0.0:2375', { host: '0.0.0.0', port: 2375 }],
    [':2375', { host: '0.0.0.0', port: 2375 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:2375', { host: '::1', port: 2375 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['unix:///run/dockscope.sock', { socketPath: '/run/dockscope.sock' }],
  ])('parseListen(%j) is %j', (value, expected) => {
    expect(parseListen(value)).toEqual(expected);
  });

  it.each([
    ['2375', '"2375" is not host:port'],
    ['::1:2375', '"::1:2375" is not host:port'],
    ['host:123456', '"host:123456" is not host:port'],
    ['host:65536', 'port 65536 is out of range 0-65535'],
    ['a b:1', '"a b:1" is not host:port'],
    ['unix://run/x.sock', '"unix://run/x.sock" needs an absolute socket path'],
    ['tcp://0.0.0.0:2375', '"tcp://0.0.0.0:2375" is not host:port'],
  ])('parseListen(%j) is refused: %s', (value, error) => {
    expect(outcome(() => parseListen(value))).toEqual({ error });
  });

  it.each([
    [undefined, true, true],
    ['', false, false],
    ['true', false, true],
    ['YES', false, true],
    [' on ', false, true],
    ['1', false, true],
    ['false', true, false],
    ['No', true, false],
    ['off', true, false],
    ['0', true, false],
  ])('parseBoolean(%j, fallback %s) is %s', (value, fallback, expected) => {
    expect(parseBoolean('SCRUB_ENVS', value, fallback)).toBe(expected);
    expect(parseSwitch('SCRUB_ENVS', value, fallback)).toBe(expected);
  });

  it.each(['2', 'enabled', 'y', 'tru'])('parseBoolean and parseSwitch refuse %j', (value) => {
    expect(outcome(() => parseBoolean('SCRUB_ENVS', value, false))).toEqual({
      error: `SCRUB_ENVS: "${value}" is not a boolean (true or false). Example: SCRUB_ENVS=true`,
      variable: 'SCRUB_ENVS',
    });
    expect(outcome(() => parseSwitch('EVENTS', value, false))).toEqual({
      error: `EVENTS: "${value}" is neither on nor off. Example: EVENTS=off`,
      variable: 'EVENTS',
    });
  });

  it.each([
    [undefined, 'info'],
    ['', 'info'],
    ['DEBUG', 'debug'],
    ['silent', 'silent'],
    [' trace ', 'trace'],
  ])('parseLogLevel(%j) is %s', (value, expected) => {
    expect(parseLogLevel(value)).toBe(expected);
  });

  it('parseLogLevel refuses a level pino does not have', () => {
    expect(outcome(() => parseLogLevel('verbose'))).toEqual({
      error:
        'LOG_LEVEL: "verbose" is not one of fatal, error, warn, info, debug, trace, silent. Example: LOG_LEVEL=info',
      variable: 'LOG_LEVEL',
    });
  });

  it.each([
    [undefined, 'auto'],
    ['', 'auto'],
    ['docker', 'docker'],
    ['podman', 'podman'],
  ])('parseUpstreamKind(%j) is %s', (value, expected) => {
    expect(parseUpstreamKind('UPSTREAM_KIND', value)).toBe(expected);
  });

  it('parseUpstreamKind refuses another kind (letter case counts)', () => {
    expect(outcome(() => parseUpstreamKind('UPSTREAM_KIND', 'Docker'))).toEqual({
      error: 'UPSTREAM_KIND: "Docker" is not one of auto, docker, podman. Example: UPSTREAM_KIND=auto',
      variable: 'UPSTREAM_KIND',
    });
  });

  it.each([
    [undefined, 7],
    ['0', 0],
    ['500ms', 500],
    ['2s', 2000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    [' 30s ', 30_000],
    ['999999999ms', 999_999_999],
  ])('parseDuration(%j) is %i ms', (value, expected) => {
    expect(parseDuration('UPSTREAM_TIMEOUT', value, 7)).toBe(expected);
  });

  it.each([
    [
      '60',
      'UPSTREAM_TIMEOUT: "60" has no unit: write 60s for seconds or 60ms for milliseconds (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s',
    ],
    ['1.5s', 'UPSTREAM_TIMEOUT: "1.5s" is not a duration (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s'],
    ['2S', 'UPSTREAM_TIMEOUT: "2S" is not a duration (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s'],
    ['1d', 'UPSTREAM_TIMEOUT: "1d" is not a duration (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s'],
    ['-1s', 'UPSTREAM_TIMEOUT: "-1s" is not a duration (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s'],
    [
      '1000000000ms',
      'UPSTREAM_TIMEOUT: "1000000000ms" is not a duration (units: ms, s, m, h). Example: UPSTREAM_TIMEOUT=2s',
    ],
  ])('parseDuration(%j) is refused', (value, error) => {
    expect(outcome(() => parseDuration('UPSTREAM_TIMEOUT', value, 7))).toEqual({
      error,
      variable: 'UPSTREAM_TIMEOUT',
    });
  });

  it('positive refuses 0 and passes more', () => {
    expect(positive('CACHE_TTL', 5, '10s')).toBe(5);
    expect(outcome(() => positive('CACHE_TTL', 0, '10s'))).toEqual({
      error: 'CACHE_TTL: must be more than 0. Example: CACHE_TTL=10s',
      variable: 'CACHE_TTL',
    });
  });

  it.each([
    [undefined, 64],
    ['1', 1],
    ['9999999', 9_999_999],
  ])('parseCount(%j) is %i', (value, expected) => {
    expect(parseCount('MAX_STREAMS', value, 64)).toBe(expected);
  });

  it.each(['0', '-1', '1.5', '10000000', 'ten'])('parseCount(%j) is refused', (value) => {
    expect(outcome(() => parseCount('MAX_STREAMS', value, 64))).toEqual({
      error: `MAX_STREAMS: "${value}" is not a whole number of at least 1. Example: MAX_STREAMS=64`,
      variable: 'MAX_STREAMS',
    });
  });
});
