import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTokenSecret } from '../../../src/policy/token-secret.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dockscope-token-'));
  await writeFile(join(dir, 'token'), '  s3cret-token\n');
  await writeFile(join(dir, 'empty'), ' \n\t\n');
  await writeFile(join(dir, 'locked'), 'x');
  await chmod(join(dir, 'locked'), 0o000);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const WHERE = 'clients.ci';

async function outcome(token: { file?: string; env?: string }, env: Record<string, string | undefined>) {
  try {
    return { secret: await readTokenSecret(token, env, WHERE) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('a token client’s secret, and why it cannot be read (issue #22)', () => {
  it('a file’s secret is trimmed', async () => {
    expect(await outcome({ file: join(dir, 'token') }, {})).toEqual({ secret: 's3cret-token' });
  });

  it('the file wins over the variable when both are given', async () => {
    expect(await outcome({ file: join(dir, 'token'), env: 'TOK' }, { TOK: 'from-env' })).toEqual({
      secret: 's3cret-token',
    });
  });

  it.each([
    [{ TOK: 'abc' }, { secret: 'abc' }],
    [{ TOK: '  abc \n' }, { secret: 'abc' }],
    [{}, { error: 'clients.ci.match.token.env: the environment variable TOK is unset: set it to the token' }],
    [
      { TOK: '' },
      { error: 'clients.ci.match.token.env: the environment variable TOK is empty: set it to the token' },
    ],
    [
      { TOK: ' \n' },
      { error: 'clients.ci.match.token.env: the environment variable TOK is empty: set it to the token' },
    ],
  ])('the variable TOK in %j gives %j', async (env, expected) => {
    expect(await outcome({ env: 'TOK' }, env)).toEqual(expected);
  });

  it('a file of white space only is empty, named', async () => {
    const file = join(dir, 'empty');
    expect(await outcome({ file }, {})).toEqual({
      error: `clients.ci.match.token.file: the token file ${file} is empty`,
    });
  });

  it('a missing file names the file and the errno', async () => {
    const file = join(dir, 'nope');
    expect(await outcome({ file }, {})).toEqual({
      error: `clients.ci.match.token.file: cannot read ${file}: ENOENT (no such file or directory)`,
    });
  });

  it('a directory names EISDIR', async () => {
    expect(await outcome({ file: dir }, {})).toEqual({
      error: `clients.ci.match.token.file: cannot read ${dir}: EISDIR (is a directory)`,
    });
  });

  it.skipIf(process.getuid?.() === 0)(
    'an unreadable file names EACCES and who dockscope runs as',
    async () => {
      const file = join(dir, 'locked');
      expect(await outcome({ file }, {})).toEqual({
        error: `clients.ci.match.token.file: cannot read ${file}: EACCES (permission denied; dockscope runs as uid ${process.getuid?.()} gid ${process.getgid?.()})`,
      });
    },
  );
});
