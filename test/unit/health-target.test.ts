import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';

// The healthcheck reads a token client's file after the client rules have read it: a file removed or
// made unreadable in between is a failure of the healthcheck's own read. Running as root, EACCES cannot
// be made with chmod, so that one read is made to fail as the kernel would fail it.
const failing = new Map<string, { after: number; code: string }>();
const reads = new Map<string, number>();
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  const readFile = (async (path: string, ...rest: unknown[]) => {
    const count = (reads.get(path) ?? 0) + 1;
    reads.set(path, count);
    const fault = failing.get(path);
    if (fault && count > fault.after) {
      throw Object.assign(new Error(`${fault.code}: simulated, open '${path}'`), { code: fault.code });
    }
    return (fs.readFile as (...a: unknown[]) => Promise<string>)(path, ...rest);
  }) as typeof fs.readFile;
  return { ...fs, readFile, default: { ...fs, readFile } };
});

const { chooseProbe } = await import('../../src/health-target.ts');

async function tokenConfig() {
  const dir = await mkdtemp(join(tmpdir(), 'ds-health-token-'));
  const file = join(dir, 'token');
  await writeFile(file, 's3cret\n');
  const text = [
    'upstream: unix:///nonexistent/docker.sock',
    'listeners:',
    '  - { name: api, address: "127.0.0.1:2375" }',
    'clients:',
    '  - name: scripts',
    `    match: { listener: api, token: { file: ${file} } }`,
    '    containers: all',
    '    allow: ["GET /_ping"]',
  ].join('\n');
  return { file, dir, config: loadConfig({}, { path: join(dir, 'dockscope.yml'), text }) };
}

afterEach(() => {
  failing.clear();
  reads.clear();
});

describe('the healthcheck probe names why a token file cannot be read (issue #22)', () => {
  it('probes with the token client its file names', async () => {
    const { config } = await tokenConfig();
    const probe = await chooseProbe(config, {});
    expect(probe).toMatchObject({
      what: 'listener api 127.0.0.1:2375 as client scripts (its token)',
      path: '/_ping',
      headers: { authorization: 'Bearer s3cret' },
    });
  });

  it.each([
    ['ENOENT', 'ENOENT (no such file or directory)'],
    [
      'EACCES',
      `EACCES (permission denied; dockscope runs as uid ${process.getuid?.()} gid ${process.getgid?.()})`,
    ],
  ])('its own read failing with %s says %s, with the client and the file', async (code, text) => {
    const { config, file } = await tokenConfig();
    failing.set(file, { after: 1, code });
    await expect(chooseProbe(config, {})).rejects.toThrow(
      new Error(`clients[0] (scripts).match.token.file: cannot read ${file}: ${text}`),
    );
    expect(reads.get(file)).toBe(2);
  });

  it('a directory is EISDIR, as the server says it', async () => {
    const { dir } = await tokenConfig();
    const text = `listeners: [{ name: api, address: "127.0.0.1:2375" }]\nclients:\n  - { name: scripts, match: { token: { file: ${dir} } }, containers: all }\n`;
    const config = loadConfig({}, { path: join(dir, 'b.yml'), text });
    await expect(chooseProbe(config, {})).rejects.toThrow(
      new Error(`clients[0] (scripts).match.token.file: cannot read ${dir}: EISDIR (is a directory)`),
    );
  });
});
