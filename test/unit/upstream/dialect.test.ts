import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.ts';
import type { DialectName } from '../../../src/upstream/dialect.ts';
import { DIALECTS, detectDialect, UpstreamDialect } from '../../../src/upstream/dialect.ts';
import { goQuote } from '../../../src/upstream/dialects/podman.ts';

describe('detectDialect: which kind an upstream is, from its own answers', () => {
  // Measured on Debian's Podman 4.3.1 and the test dockerd (test/e2e/podman.test.ts).
  it.each<[string, unknown, Record<string, string> | undefined, DialectName]>([
    ['Podman’s /version', { Components: [{ Name: 'Podman Engine' }, { Name: 'Conmon' }] }, {}, 'podman'],
    ['Podman’s /_ping header', null, { 'libpod-api-version': '4.3.1' }, 'podman'],
    ['dockerd’s /version', { Components: [{ Name: 'Engine' }, { Name: 'containerd' }] }, {}, 'docker'],
    ['dockerd’s /_ping', null, { 'api-version': '1.45' }, 'docker'],
  ])('%s', (_label, version, headers, expected) => {
    expect(detectDialect(version, headers)).toBe(expected);
  });
});

describe('the dialects: each upstream’s own words', () => {
  it('dockerd: {"message":...} and a newline, the 400 of a create', () => {
    expect(DIALECTS.docker.render({ kind: 'missingJoin', mode: 'network', ref: 'db' })).toEqual({
      status: 400,
      message: 'No such container: db',
      body: '{"message":"No such container: db"}\n',
    });
  });

  it('Podman: cause, message and status, HTML escaped, names quoted as Go’s %q quotes them', () => {
    expect(DIALECTS.podman.render({ kind: 'missingJoin', mode: 'network', ref: 'zzz' }).body).toBe(
      '{"cause":"no such container","message":"container create: looking up container to share net namespace with: no container with name or ID \\"zzz\\" found: no such container","response":500}\n',
    );
    expect(DIALECTS.podman.render({ kind: 'missingNetwork', ref: 'a<b' }).body).toBe(
      '{"cause":"network not found","message":"container create: unable to find network with name or ID a\\u003cb: network not found","response":500}\n',
    );
    expect(goQuote('a"b\\c\n\u2028')).toBe('"a\\"b\\\\c\\n\\u2028"');
  });

  it('each cuts the id of the container holding a name, in its own words only', () => {
    const id = 'dfe31f07c8842d298b5c318471483dd3f61c97119fda52f58bb3c2ac357f60fa';
    const podman = `the container name "c2" is already in use by ${id}. You have to remove that container`;
    expect(podman.replace(DIALECTS.podman.inUseBy, '')).toBe(
      'the container name "c2" is already in use. You have to remove that container',
    );
    const docker = `The container name "/c2" is already in use by container "${id}". You have to remove`;
    expect(docker.replace(DIALECTS.docker.inUseBy, '')).toBe(
      'The container name "/c2" is already in use. You have to remove',
    );
  });
});

describe('UpstreamDialect: the configured kind, or the one the upstream shows; else fail closed', () => {
  const source = (kind: DialectName | null) => ({ kind, get: async () => null });

  it('auto takes the kind the upstream shows', async () => {
    expect((await new UpstreamDialect('auto', source('podman'), 'unix:///p').get()).name).toBe('podman');
    expect(new UpstreamDialect('auto', source('docker'), 'x').known()?.name).toBe('docker');
  });

  it('auto without an answer, or a configured kind the upstream contradicts, is refused naming the variable', async () => {
    await expect(new UpstreamDialect('auto', source(null), 'unix:///p').get()).rejects.toThrow(
      /cannot tell which kind of upstream unix:\/\/\/p is .*set UPSTREAM_KIND/,
    );
    const wrong = new UpstreamDialect('docker', source('podman'), 'unix:///p');
    await expect(wrong.get()).rejects.toThrow(
      'UPSTREAM_KIND (upstreamKind) is docker, but the upstream unix:///p answers as Podman: set it to podman or auto',
    );
    expect(wrong.known()).toBeNull();
  });

  it('a configured kind is used while the upstream has not answered', async () => {
    expect((await new UpstreamDialect('podman', source(null), 'x').get()).name).toBe('podman');
  });
});

describe('UPSTREAM_KIND: auto by default; anything else but a kind stops the start, naming it', () => {
  it('reads auto, docker and podman, and refuses the rest', () => {
    const env = { CONTAINERS: 'all' };
    expect(loadConfig(env).upstreamKind).toBe('auto');
    expect(loadConfig({ ...env, UPSTREAM_KIND: 'podman' }).upstreamKind).toBe('podman');
    expect(() => loadConfig({ ...env, UPSTREAM_KIND: 'Podman' })).toThrow(
      'UPSTREAM_KIND: "Podman" is not one of auto, docker, podman. Example: UPSTREAM_KIND=auto',
    );
    expect(() => loadConfig({ ...env, UPSTREAM_KINDS: 'podman' })).toThrow(/UPSTREAM_KIND/);
  });
});
