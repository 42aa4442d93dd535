import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configPath, readConfiguration } from '../../../src/config/read.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockscope-read-'));
  await writeFile(
    join(dir, 'ok.yaml'),
    'listeners:\n  - name: lan\n    address: 127.0.0.1:2399\nclients:\n  - name: all\n    containers: all\n',
  );
  await writeFile(join(dir, 'bad.yaml'), 'listen: [\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('which configuration file, and reading it whole', () => {
  it.each([
    ['/a.yaml', {}, '/a.yaml'],
    ['/a.yaml', { DOCKSCOPE_CONFIG: '/b.yaml' }, '/a.yaml'],
    [undefined, { DOCKSCOPE_CONFIG: '/b.yaml' }, '/b.yaml'],
    [undefined, { DOCKSCOPE_CONFIG: '  /b.yaml ' }, '/b.yaml'],
    [undefined, { DOCKSCOPE_CONFIG: '  ' }, undefined],
    [undefined, {}, undefined],
  ])('--config %j with env %j reads %j', (flag, env, expected) => {
    expect(configPath(flag, env)).toBe(expected);
  });

  it('without a file the environment alone is read (and must say which containers)', () => {
    expect(() => readConfiguration(undefined, {})).toThrow(
      expect.objectContaining({ name: 'ConfigError', variable: 'CONTAINERS' }),
    );
    expect(
      readConfiguration(undefined, { LISTEN: '127.0.0.1:2398', CONTAINERS: 'all' }).listeners[0],
    ).toMatchObject({
      address: { host: '127.0.0.1', port: 2398 },
    });
  });

  it('a file is read and validated', () => {
    expect(readConfiguration(join(dir, 'ok.yaml'), {}).listeners[0]).toMatchObject({
      address: { host: '127.0.0.1', port: 2399 },
    });
  });

  it.each([
    ['missing.yaml', 'ENOENT'],
    ['.', 'EISDIR'],
  ])('a file that cannot be read (%s) names it and the errno', (name, code) => {
    const path = join(dir, name);
    expect(() => readConfiguration(path, {})).toThrow(
      expect.objectContaining({ message: expect.stringContaining(path) }),
    );
    expect(() => readConfiguration(path, {})).toThrow(
      expect.objectContaining({ message: expect.stringContaining(`cannot be read (${code})`) }),
    );
  });

  it('a file that is not YAML fails, naming the file', () => {
    const path = join(dir, 'bad.yaml');
    expect(() => readConfiguration(path, {})).toThrow(
      expect.objectContaining({ message: expect.stringContaining(path) }),
    );
  });
});
