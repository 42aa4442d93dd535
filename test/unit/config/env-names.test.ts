import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';
import { editDistance, nearMiss } from '../../../src/config/env-names.ts';

describe('environment variables that look like dockscope’s stop the start (issue #22)', () => {
  it.each<[string, string]>([
    ['CONTAINER_NAME', 'CONTAINER_NAMES'],
    ['CONTAINERS_NAMES', 'CONTAINER_NAMES'],
    ['CONTAINERNAMES', 'CONTAINER_NAMES'],
    ['CONTIANER_NAMES', 'CONTAINER_NAMES'],
    ['container_names', 'CONTAINER_NAMES'],
    ['CONTAINER_LABEL', 'CONTAINER_LABELS'],
    ['containers', 'CONTAINERS'],
    ['CONTAINRES', 'CONTAINERS'],
    ['SCRUB_ENV', 'SCRUB_ENVS'],
    ['scrub_envs', 'SCRUB_ENVS'],
    ['PROXY_URI', 'PROXY_URL'],
    ['LOGLEVEL', 'LOG_LEVEL'],
    ['UPSTREAM_TIMEOUTS', 'UPSTREAM_TIMEOUT'],
    ['ADMIN_LISTENER', 'ADMIN_LISTEN'],
    ['DOCKSCOPE_CONFG', 'DOCKSCOPE_CONFIG'],
    ['DOCKSCOPE_CONFIG_FILE', 'DOCKSCOPE_CONFIG'],
  ])('%s is taken for %s', (name, meant) => {
    expect(nearMiss(name)).toBe(meant);
  });

  it.each([
    // docker-proxy-filter's own variables, and what a node container's environment holds.
    'PROXY_URL',
    'CONTAINER_NAMES',
    'CONTAINER_LABELS',
    'SCRUB_ENVS',
    'PORT',
    'RUST_LOG',
    'PATH',
    'HOME',
    'HOSTNAME',
    'HOST',
    'NODE_VERSION',
    'YARN_VERSION',
    'NODE_ENV',
    'NODE_OPTIONS',
    'LISTEN_FDS',
    'LISTEN_PID',
    'HTTP_PROXY',
    'NO_PROXY',
    // podman, systemd-nspawn and LXC set container=podman (or the like) in every container they run.
    'container',
    'CONTAINER',
    'CONTAINER_ID',
    'DOCKER_HOST',
    'LOGNAME',
    'LINES',
    'TERM',
    'npm_lifecycle_event',
  ])('%s is not a near miss', (name) => {
    expect(nearMiss(name)).toBeUndefined();
  });

  it('the message names the variable, the one meant, what it would leave open, and a good example', () => {
    expect(() => loadConfig({ CONTAINER_NAME: 'web' })).toThrow(
      new ConfigError(
        'CONTAINER_NAME',
        'is not a variable dockscope reads; did you mean CONTAINER_NAMES? Unread, the list would scope nothing',
        'web,db',
        'CONTAINER_NAMES',
      ),
    );
    expect(() => loadConfig({ CONTAINER_NAME: 'web' })).toThrow(
      'CONTAINER_NAME: is not a variable dockscope reads; did you mean CONTAINER_NAMES? Unread, the list would scope nothing. Example: CONTAINER_NAMES=web,db',
    );
  });

  it('beside a configuration file too', () => {
    const text =
      'listeners:\n  - { name: a, address: "127.0.0.1:2375" }\nclients:\n  - { name: c, containers: all }\n';
    expect(() => loadConfig({ DOCKSCOPE_CONFG: '/x.yml' }, { path: '/c.yml', text })).toThrow(
      /^DOCKSCOPE_CONFG: is not a variable dockscope reads; did you mean DOCKSCOPE_CONFIG\?/,
    );
  });

  it('a misspelt list beside a list that is read, or CONTAINERS=all, can only narrow: it is left alone', () => {
    // Hosts set CONTAINER_NAME for their own reasons (this workplace's machines do).
    expect(loadConfig({ CONTAINER_NAME: 'uid-x', CONTAINERS: 'all' }).source).toBe('environment');
    expect(loadConfig({ CONTAINER_NAME: 'uid-x', CONTAINER_NAMES: 'web' }).source).toBe('environment');
    expect(loadConfig({ CONTAINER_LABEL: 'x', CONTAINER_NAMES: 'web' }).source).toBe('environment');
    // A misspelt SCRUB_ENVS is refused whatever the lists: it would show secrets.
    expect(() => loadConfig({ SCRUB_ENV: 'true', CONTAINERS: 'all' })).toThrow(/^SCRUB_ENV: /);
  });

  it('an empty near miss changes nothing and is left alone', () => {
    expect(loadConfig({ CONTAINER_NAME: '', SCRUB_ENV: ' ', CONTAINERS: 'all' }).source).toBe('environment');
  });

  it('editDistance counts a swap of neighbours as one edit', () => {
    expect([editDistance('AB', 'BA'), editDistance('PATH', 'PORT'), editDistance('', 'ABC')]).toEqual([
      1, 3, 3,
    ]);
  });
});

describe("docker-proxy-filter's PORT", () => {
  it('listens on 0.0.0.0:PORT, as docker-proxy-filter does', () => {
    expect(loadConfig({ PORT: '2380', CONTAINERS: 'all' }).listeners).toEqual([
      { name: 'default', address: { host: '0.0.0.0', port: 2380 } },
    ]);
  });
  it.each<[Record<string, string>, string]>([
    [{ PORT: 'http', LISTEN: '' }, 'PORT: "http" is not a port number (0-65535). Example: PORT=2375'],
    [{ PORT: '70000' }, 'PORT: "70000" is not a port number (0-65535). Example: PORT=2375'],
    [
      { PORT: '2380', LISTEN: '127.0.0.1:2375' },
      'PORT: is set beside LISTEN: set one of them. Example: PORT=(unset), or LISTEN=0.0.0.0:2375',
    ],
  ])('%j is refused', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
