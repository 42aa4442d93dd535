import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

/**
 * Review of system-paths.ts: a MaskedPaths/ReadonlyPaths list passes when it keeps every default path
 * by its exact text. Odd spellings of a default path (`/proc/keys/`, `/proc//keys`, `/proc/./keys`,
 * a relative one, a duplicate) never count as keeping it; beside the exact one they must not undo the
 * mask either. The daemon (runc) is the oracle: what the container's mount table shows. /proc/keys
 * stands for the masked paths (this kernel has no /proc/kcore, and runc skips a path that is absent).
 */
describe('MaskedPaths/ReadonlyPaths spellings: what runc masks and what dockscope lets through', () => {
  const p = uniquePrefix('sp');
  const names: string[] = [];
  let n = 0;
  let scoped: RunningDockscope;
  let masked: string[] = [];
  let readonly: string[] = [];
  const daemon = { socketPath: dockerSocket };
  const odd = (path: string) => [
    `${path}/`,
    path.replace('/proc/', '/proc//'),
    path.replace('/proc/', '/proc/./'),
  ];

  /** What the container's /proc/self/mountinfo says of /proc/keys and /proc/sys, or the start error. */
  async function run(target: { url?: string; socketPath?: string }, host: Record<string, unknown>) {
    const name = `${p}-c${n++}`;
    names.push(name);
    const cmd = ['sh', '-c', "grep -E ' /proc/(keys|sys) ' /proc/self/mountinfo | cut -d' ' -f5,6"];
    const created = await rawRequest(
      target,
      'POST',
      `/containers/create?name=${name}`,
      JSON.stringify({ Image: image, Cmd: cmd, HostConfig: host }),
    );
    if (created.status !== 201)
      return { created: created.status, message: (json(created) as { message: string }).message };
    const started = await rawRequest(daemon, 'POST', `/containers/${name}/start`);
    if (started.status !== 204) return { created: 201, start: started.status };
    await rawRequest(daemon, 'POST', `/containers/${name}/wait`);
    const logs = await dockerOk(dockerHost, ['logs', name]);
    return { created: 201, mounts: logs.trim().split('\n').sort() };
  }

  beforeAll(async () => {
    scoped = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
    // The daemon's own lists, as a recreate from an inspect sends them.
    const name = `${p}-defaults`;
    names.push(name);
    await dockerOk(dockerHost, ['create', '--name', name, image, 'true']);
    const inspect = json(await rawRequest(daemon, 'GET', `/containers/${name}/json`)) as {
      HostConfig: { MaskedPaths: string[]; ReadonlyPaths: string[] };
    };
    ({ MaskedPaths: masked, ReadonlyPaths: readonly } = inspect.HostConfig);
    expect(masked).toContain('/proc/keys');
    expect(readonly).toContain('/proc/sys');
  });

  afterAll(async () => {
    await scoped?.close();
    await removeContainers(dockerHost, names);
  });

  it('the daemon’s own lists mask /proc/keys and make /proc/sys read-only; through dockscope alike', async () => {
    const expected = ['/proc/keys rw,nosuid', '/proc/sys ro,nosuid,nodev,noexec,relatime'];
    const own = await run(daemon, { MaskedPaths: masked, ReadonlyPaths: readonly });
    expect(own).toEqual({ created: 201, mounts: expected });
    expect(await run({ url: scoped.url }, { MaskedPaths: masked, ReadonlyPaths: readonly })).toEqual(own);
  });

  it('a default path given only in an odd spelling is left out in dockscope’s eyes: refused naming it', async () => {
    for (const spelling of [...odd('/proc/keys'), 'proc/keys']) {
      const list = masked.map((m) => (m === '/proc/keys' ? spelling : m));
      const through = await run({ url: scoped.url }, { MaskedPaths: list });
      expect(through, spelling).toEqual({
        created: 403,
        message:
          'dockscope: create rule "securityOpt" refuses HostConfig.MaskedPaths: it changes which host paths are masked (systempaths): it leaves out /proc/keys',
      });
    }
    for (const spelling of odd('/proc/sys')) {
      const list = readonly.map((m) => (m === '/proc/sys' ? spelling : m));
      expect((await run({ url: scoped.url }, { ReadonlyPaths: list })).created, spelling).toBe(403);
    }
  });

  it('odd spellings, relative paths, duplicates and paths under a default one beside the exact ones: runc still masks', async () => {
    /** A run in which every /proc/keys line is the mask and every /proc/sys line read-only. */
    const confined = (outcome: Awaited<ReturnType<typeof run>>) =>
      outcome.mounts?.some((m) => m === '/proc/keys rw,nosuid') === true &&
      outcome.mounts.every((m) => m === '/proc/keys rw,nosuid' || m.startsWith('/proc/sys ro,'));
    // Each extra alone: the container starts, confined (a duplicate stacks a second mount on the path).
    for (const extra of ['/proc//keys', '/proc/./keys', '/proc/keys', 'proc/keys', '/proc/sys/kernel']) {
      const host = { MaskedPaths: [...masked, extra] };
      const direct = await run(daemon, host);
      expect(confined(direct), `${extra}: ${JSON.stringify(direct)}`).toBe(true);
      expect(await run({ url: scoped.url }, host)).toEqual(direct);
    }
    const host = {
      ReadonlyPaths: [...readonly, ...odd('/proc/sys'), '/proc/sys', '/proc/sys/kernel/..', 'proc/sys'],
    };
    const direct = await run(daemon, host);
    expect(confined(direct), JSON.stringify(direct)).toBe(true);
    expect(await run({ url: scoped.url }, host)).toEqual(direct);
    // runc honours the odd spellings alone too (dockscope refuses them: stricter than needed, not less).
    for (const spelling of ['/proc//keys', '/proc/./keys', 'proc/keys']) {
      const alone = await run(daemon, {
        MaskedPaths: masked.map((m) => (m === '/proc/keys' ? spelling : m)),
      });
      expect(alone, spelling).toEqual({
        created: 201,
        mounts: ['/proc/keys rw,nosuid', '/proc/sys ro,nosuid,nodev,noexec,relatime'],
      });
    }
    // A trailing slash on a masked file, or a path under it, makes the start fail: nothing runs.
    for (const extras of [['/proc/keys/'], ['/proc/keys/x']]) {
      const failing = { MaskedPaths: [...masked, ...extras] };
      expect(await run(daemon, failing), extras.join(' ')).toEqual({ created: 201, start: 400 });
      expect(await run({ url: scoped.url }, failing), extras.join(' ')).toEqual({ created: 201, start: 400 });
    }
  });
});
