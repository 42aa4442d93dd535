import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// The test runs as root, whom chown never refuses: the EPERM an unprivileged dockscope gets is made here.
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>();
  return {
    ...fs,
    chown: async () => {
      throw Object.assign(new Error('EPERM: operation not permitted, chown'), { code: 'EPERM' });
    },
  };
});

const { listen } = await import('../../../src/server/listen.ts');

describe('a unix listener whose owner cannot be set', () => {
  it('fails the start naming the listener, the socket, the owner and the errno (issue #22)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ds-listen-'));
    const server = http.createServer();
    try {
      const path = join(dir, 'api.sock');
      await expect(
        listen(server, {
          name: 'ci',
          address: { socketPath: path },
          socket: { owner: 0, group: 998, mode: 0o660 },
        }),
      ).rejects.toThrow(
        new Error(
          `listener ci: cannot give unix://${path} owner 0 group 998: EPERM (operation not permitted; ` +
            `dockscope runs as uid ${process.getuid?.()} gid ${process.getgid?.()}) ` +
            '(only root may give a socket another owner, and a group only one dockscope is in)',
        ),
      );
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
