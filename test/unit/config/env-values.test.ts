import { describe, expect, it } from 'vitest';
import { envAllow, listenAddress, SCRUB_DIRECT_ALLOW } from '../../../src/config/env-values.ts';

function outcome<T>(parse: () => T): { value: T } | { error: string } {
  try {
    return { value: parse() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('ALLOW and LISTEN/PORT from the environment', () => {
  it('with SCRUB_ENVS on the daemon’s socket the default is reads that show no file (issue #22)', () => {
    expect(SCRUB_DIRECT_ALLOW).toEqual(['read-only', 'logs', 'events']);
  });

  it.each([
    [undefined, false, { value: undefined }],
    [undefined, true, { value: ['read-only', 'logs', 'events'] }],
    ['  ', true, { value: ['read-only', 'logs', 'events'] }],
    ['all', true, { value: undefined }],
    ['ALL', false, { value: undefined }],
    ['read-only', false, { value: ['read-only'] }],
    ['read-only, logs ,exec', true, { value: ['read-only', 'logs', 'exec'] }],
    [
      'read-only,,logs',
      false,
      { error: 'ALLOW: "read-only,,logs" has an empty entry. Example: ALLOW=read-only,logs,exec' },
    ],
    [
      'read-only,',
      false,
      { error: 'ALLOW: "read-only," has an empty entry. Example: ALLOW=read-only,logs,exec' },
    ],
  ])('ALLOW=%j (scrubbing on the socket: %s) gives %j', (value, scrubbing, expected) => {
    expect(outcome(() => envAllow(value, scrubbing))).toEqual(expected);
  });

  it('an ALLOW entry that is no template or group fails the start, naming ALLOW', () => {
    const out = outcome(() => envAllow('read-only,fly-to-the-moon', false));
    expect('error' in out && out.error.startsWith('ALLOW: ')).toBe(true);
    expect('error' in out && out.error.includes('fly-to-the-moon')).toBe(true);
    expect('error' in out && out.error.endsWith('. Example: ALLOW=read-only,logs,exec')).toBe(true);
  });

  it.each([
    [{}, '0.0.0.0:2375', { value: { host: '0.0.0.0', port: 2375 } }],
    [{ LISTEN: '127.0.0.1:9000' }, '0.0.0.0:2375', { value: { host: '127.0.0.1', port: 9000 } }],
    [{ LISTEN: ' ' }, '0.0.0.0:2375', { value: { host: '0.0.0.0', port: 2375 } }],
    [{ LISTEN: 'unix:///run/d.sock' }, '0.0.0.0:2375', { value: { socketPath: '/run/d.sock' } }],
    [{ PORT: '2376' }, '127.0.0.1:1', { value: { host: '0.0.0.0', port: 2376 } }],
    [{ PORT: '0' }, '127.0.0.1:1', { value: { host: '0.0.0.0', port: 0 } }],
    [{ PORT: '65535' }, '127.0.0.1:1', { value: { host: '0.0.0.0', port: 65535 } }],
    [
      { PORT: '65536' },
      '0.0.0.0:2375',
      { error: 'PORT: "65536" is not a port number (0-65535). Example: PORT=2375' },
    ],
    [
      { PORT: '23a' },
      '0.0.0.0:2375',
      { error: 'PORT: "23a" is not a port number (0-65535). Example: PORT=2375' },
    ],
    [
      { PORT: '-1' },
      '0.0.0.0:2375',
      { error: 'PORT: "-1" is not a port number (0-65535). Example: PORT=2375' },
    ],
    [
      { PORT: '2375', LISTEN: '0.0.0.0:2375' },
      '0.0.0.0:2375',
      { error: 'PORT: is set beside LISTEN: set one of them. Example: PORT=(unset), or LISTEN=0.0.0.0:2375' },
    ],
    [
      { LISTEN: '2375' },
      '0.0.0.0:2375',
      { error: 'LISTEN: "2375" is not host:port. Example: LISTEN=0.0.0.0:2375' },
    ],
  ])('env %j (fallback %s) listens on %j', (env, fallback, expected) => {
    expect(outcome(() => listenAddress(env, fallback))).toEqual(expected);
  });
});
