import { describe, expect, it } from 'vitest';
import type { UpstreamTarget } from '../../../src/upstream/target.ts';
import { parseUpstreamUrl } from '../../../src/upstream/target.ts';

describe('parseUpstreamUrl', () => {
  it.each<[string, UpstreamTarget]>([
    [
      'unix:///var/run/docker.sock',
      { kind: 'unix', socketPath: '/var/run/docker.sock', display: 'unix:///var/run/docker.sock' },
    ],
    ['unix:///tmp/a b.sock', { kind: 'unix', socketPath: '/tmp/a b.sock', display: 'unix:///tmp/a b.sock' }],
    [
      'http://socket-proxy:2375',
      { kind: 'tcp', host: 'socket-proxy', port: 2375, display: 'http://socket-proxy:2375' },
    ],
    [
      'http://socket-proxy:2375/',
      { kind: 'tcp', host: 'socket-proxy', port: 2375, display: 'http://socket-proxy:2375' },
    ],
    ['http://socket-proxy', { kind: 'tcp', host: 'socket-proxy', port: 80, display: 'http://socket-proxy' }],
    ['http://10.0.0.1:1', { kind: 'tcp', host: '10.0.0.1', port: 1, display: 'http://10.0.0.1:1' }],
    ['HTTP://Proxy:5', { kind: 'tcp', host: 'proxy', port: 5, display: 'http://proxy:5' }],
    ['http://[::1]:2375', { kind: 'tcp', host: '::1', port: 2375, display: 'http://[::1]:2375' }],
    ['tcp://docker:2376', { kind: 'tcp', host: 'docker', port: 2376, display: 'http://docker:2376' }],
    ['tcp://docker', { kind: 'tcp', host: 'docker', port: 2375, display: 'http://docker' }],
    ['tcp://docker:80', { kind: 'tcp', host: 'docker', port: 80, display: 'http://docker:80' }],
    ['tcp://[::1]:2375', { kind: 'tcp', host: '::1', port: 2375, display: 'http://[::1]:2375' }],
  ])('%s', (value, expected) => {
    expect(parseUpstreamUrl(value)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['unix://relative.sock', '"unix://relative.sock" needs an absolute socket path (unix:///...)'],
    ['unix://', '"unix://" needs an absolute socket path (unix:///...)'],
    ['socket-proxy:2375', 'scheme "socket-proxy:" is not supported (use http://, tcp:// or unix://)'],
    ['/var/run/docker.sock', '"/var/run/docker.sock" is not a URL'],
    ['', '"" is not a URL'],
    ['ftp://x', 'scheme "ftp:" is not supported (use http://, tcp:// or unix://)'],
    ['https://x:2376', 'scheme "https:" is not supported (use http://, tcp:// or unix://)'],
    ['unix:/var/run/docker.sock', 'scheme "unix:" is not supported (use http://, tcp:// or unix://)'],
    ['http://host:99999', '"http://host:99999" is not a URL'],
    ['tcp://host:99999', '"tcp://host:99999" is not a URL'],
    ['http://user:pw@h:1', 'credentials in the URL are not supported'],
    ['http://user@h:1', 'credentials in the URL are not supported'],
    ['http://h:1/v1.41', '"http://h:1/v1.41" must not have a path'],
    ['tcp://h:1/x', '"tcp://h:1/x" must not have a path'],
    ['http://h:1?a=1', '"http://h:1?a=1" must not have a query or fragment'],
    ['http://h:1#x', '"http://h:1#x" must not have a query or fragment'],
    ['tcp://:2375', '"tcp://:2375" is not a URL'],
  ])('%j is refused: %s', (value, message) => {
    expect(() => parseUpstreamUrl(value)).toThrow(new Error(message));
  });
});
