import { describe, expect, it } from 'vitest';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import {
  checkRegistry,
  hostOnly,
  isHostLocalAddress,
  registryOfReference,
  registryOfServerAddress,
} from '../../../src/policy/registry-host.ts';

describe('the registry a request makes the daemon contact', () => {
  it.each<[string, string]>([
    ['busybox', 'docker.io'],
    ['library/busybox:1', 'docker.io'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000'],
    ['localhost/x', 'localhost'],
    ['registry.example/team/app', 'registry.example'],
    ['[::1]:5000/x', '[::1]:5000'],
    // Newer daemons read an upper-case first component as a domain.
    ['Reg/x', 'Reg'],
  ])('registryOfReference(%s) is %s', (reference, expected) => {
    expect(registryOfReference(reference)).toBe(expected);
  });

  it.each<[string, string]>([
    ['', 'docker.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['http://localhost:5000/v2/', 'localhost:5000'],
    ['https://[::1]:5000', '[::1]:5000'],
  ])('registryOfServerAddress(%j) is %s', (address, expected) => {
    expect(registryOfServerAddress(address)).toBe(expected);
  });

  it.each<[string, string]>([
    ['127.0.0.1:5000', '127.0.0.1'],
    ['[::1]:5000', '::1'],
    ['Registry.Example:443', 'registry.example'],
    ['fe80::1', 'fe80::1'],
  ])('hostOnly(%s) is %s', (registry, expected) => {
    expect(hostOnly(registry)).toBe(expected);
  });

  it.each<[string, boolean]>([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['0.0.0.0', true],
    ['169.254.169.254', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['10.0.0.1', false],
    ['192.0.2.1', false],
    ['2001:db8::1', false],
    ['fec0::1', false],
  ])('isHostLocalAddress(%s) is %s', (address, expected) => {
    expect(isHostLocalAddress(address)).toBe(expected);
  });
});

describe('checkRegistry', () => {
  const resolvesTo =
    (...addresses: string[]) =>
    async () =>
      addresses;
  const fails = async (): Promise<string[]> => {
    throw new Error('ENOTFOUND');
  };

  it('refuses a loopback address, a name that resolves to one, and a name that does not resolve', async () => {
    await expect(checkRegistry(NO_WAY_OUT, '127.0.0.1:5000', 'f', fails)).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      checkRegistry(NO_WAY_OUT, 'evil.example', 'f', resolvesTo('203.0.113.5', '127.0.0.1')),
    ).rejects.toThrow('resolves to 127.0.0.1');
    await expect(checkRegistry(NO_WAY_OUT, 'nowhere.example', 'f', fails)).rejects.toThrow(
      'could not be resolved',
    );
  });

  it('lets Docker Hub, public registries and every registry with fetch allowed or without rules pass', async () => {
    await expect(checkRegistry(NO_WAY_OUT, 'docker.io', 'f', fails)).resolves.toBeUndefined();
    await expect(
      checkRegistry(NO_WAY_OUT, 'reg.example', 'f', resolvesTo('203.0.113.5')),
    ).resolves.toBeUndefined();
    await expect(
      checkRegistry({ ...NO_WAY_OUT, fetch: true }, '127.0.0.1:5000', 'f', fails),
    ).resolves.toBeUndefined();
    await expect(checkRegistry(null, '127.0.0.1:5000', 'f', fails)).resolves.toBeUndefined();
  });
});

describe('registry look-ups in flight', () => {
  it('past two at once a registry is refused (503) at once, and the slots come back when they end', async () => {
    const pending: ((addresses: string[]) => void)[] = [];
    const slow = () =>
      new Promise<string[]>((resolve) => {
        pending.push(resolve);
      });
    const first = checkRegistry(NO_WAY_OUT, 'a.example', 'f', slow);
    const second = checkRegistry(NO_WAY_OUT, 'b.example', 'f', slow);
    await expect(checkRegistry(NO_WAY_OUT, 'c.example', 'f', slow)).rejects.toMatchObject({ status: 503 });
    for (const resolve of pending) resolve(['203.0.113.7']);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(
      checkRegistry(NO_WAY_OUT, 'c.example', 'f', async () => ['203.0.113.7']),
    ).resolves.toBeUndefined();
  });
});
