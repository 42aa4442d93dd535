import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dockscope } from '../../src/server/server.ts';
import type { Daemon } from '../harness/daemon.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { waitFor } from './support/fixtures.ts';
import { json, observed, rawRequest } from './support/http.ts';
import { startSwarm, startSwarmOwners } from './support/swarm.ts';

type Who = 'a' | 'b';

interface Task {
  ID: string;
  ServiceID: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
}

/**
 * Review of issue #24: a swarm owner's service with a running replica. Its tasks, its task logs and
 * its task container are the owner's; another owner's answer as missing ones on the wire and through
 * the CLI, and the task list names none of them (their ids, their containers).
 */
describe('swarm owners: running tasks and their logs (review of #24)', () => {
  let daemon: Daemon;
  let dir: string;
  let ds: Dockscope;
  let host = '';
  const cliDirs: Record<Who, string> = { a: '', b: '' };
  const tokens: Record<Who, string> = { a: '', b: '' };
  const svc = (who: Who) => `${who}-run-svc`;
  const tasks: Record<Who, Task> = {} as Record<Who, Task>;
  const serviceIds: Record<Who, string> = { a: '', b: '' };
  const as = (who: Who, args: string[]) => dockerCli(host, ['--config', cliDirs[who], ...args]);
  const through = (who: Who, path: string) =>
    rawRequest({ url: `http://${ds.addresses.ci}` }, 'GET', path, undefined, {
      authorization: `Bearer ${tokens[who]}`,
    });
  const fromDaemon = (path: string) => rawRequest({ socketPath: daemon.socketPath }, 'GET', path);
  const named = (r: { code: number; stdout: string; stderr: string }, ref: string) => ({
    code: r.code,
    stdout: r.stdout.split(ref).join('<ref>'),
    stderr: r.stderr.split(ref).join('<ref>'),
  });

  beforeAll(async () => {
    let image: string;
    ({ daemon, image } = await startSwarm());
    const owners = await startSwarmOwners(daemon, 'ds-swarm-tasks-');
    ({ dir, ds, host } = owners);
    Object.assign(tokens, owners.tokens);
    Object.assign(cliDirs, owners.cliDirs);
    for (const who of ['a', 'b'] as const) {
      const out = await as(who, [
        'service',
        'create',
        '--detach',
        '--quiet',
        '--name',
        svc(who),
        '--replicas',
        '1',
        image,
        'sh',
        '-c',
        `echo task-log-${who}; exec sleep 600`,
      ]);
      expect(out.code, out.stderr).toBe(0);
      serviceIds[who] = out.stdout.trim();
    }
    for (const who of ['a', 'b'] as const) {
      await waitFor(
        `a running task of ${svc(who)}`,
        async () => {
          const list = json(
            await fromDaemon(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [svc(who)] }))}`),
          ) as Task[];
          const running = list.find((t) => t.Status.State === 'running');
          if (running) tasks[who] = running;
          return running !== undefined;
        },
        60_000,
      );
    }
  }, 150_000);

  afterAll(async () => {
    await ds?.close();
    if (daemon) await dockerCli(daemon.host, ['swarm', 'leave', '--force']);
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('on the daemon each running task’s container carries its owner’s label', async () => {
    for (const who of ['a', 'b'] as const) {
      const id = tasks[who].Status.ContainerStatus?.ContainerID ?? '';
      const labels = JSON.parse(
        await dockerOk(daemon.host, ['inspect', '--format', '{{json .Config.Labels}}', id]),
      ) as Record<string, string>;
      expect(labels['dockscope.owner']).toBe(`ci-${who}`);
    }
  });

  it('GET /tasks lists only the client’s own tasks; a filter for another’s service answers as for a missing one', async () => {
    for (const who of ['a', 'b'] as const) {
      const other: Who = who === 'a' ? 'b' : 'a';
      const list = json(await through(who, '/v1.41/tasks')) as Task[];
      expect(list.map((t) => t.ServiceID)).toEqual([serviceIds[who]]);
      const body = JSON.stringify(list);
      for (const hidden of [
        serviceIds[other],
        tasks[other].ID,
        tasks[other].Status.ContainerStatus?.ContainerID,
      ]) {
        expect(body).not.toContain(hidden);
      }
      for (const key of ['service', 'id']) {
        const ref = key === 'service' ? svc(other) : tasks[other].ID;
        const absent = key === 'service' ? 'c-run-svc' : 'z'.repeat(ref.length);
        const q = (r: string) => `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ [key]: [r] }))}`;
        const theirs = observed(await through(who, q(ref)), ref);
        // Hidden as missing through dockscope; the daemon's own answer alike but for the list rewrite,
        // which drops the daemon's trailing newline from every task list it filters (own ones too).
        expect(theirs, `${key}=${ref}`).toEqual(observed(await through(who, q(absent)), absent));
        const daemonMissing = observed(await fromDaemon(q(absent)), absent);
        expect([theirs.status, JSON.parse(theirs.body)]).toEqual([
          daemonMissing.status,
          JSON.parse(daemonMissing.body),
        ]);
      }
    }
  });

  it('another owner’s task and its logs answer byte for byte as a missing task’s; the own task’s logs are read', async () => {
    const theirs = tasks.b.ID;
    const absent = 'z'.repeat(theirs.length);
    for (const tail of ['', '/logs?stdout=1&stderr=1']) {
      const missing = await fromDaemon(`/v1.41/tasks/${absent}${tail}`);
      expect(missing.status).toBe(404);
      expect(observed(await through('a', `/v1.41/tasks/${theirs}${tail}`), theirs)).toEqual(
        observed(missing, absent),
      );
      // A prefix of theirs alone is missing too.
      const prefix = theirs.slice(0, 6);
      const res = await through('a', `/v1.41/tasks/${prefix}${tail}`);
      expect(res.status, `${prefix}${tail}: ${res.body}`).toBe(404);
    }
    const own = await through('a', `/v1.41/tasks/${tasks.a.ID}/logs?stdout=1&stderr=1`);
    expect(own.status).toBe(200);
    expect(own.body).toContain('task-log-a');
    expect(own.body).not.toContain('task-log-b');
  });

  it('docker service ps and service logs: the own service’s task and output; another’s as a missing service', async () => {
    const ps = await as('a', ['service', 'ps', '--format', '{{.Name}} {{.CurrentState}}', svc('a')]);
    expect(ps.code, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/^a-run-svc\.1 Running/);
    await waitFor('the service logs', async () =>
      (await as('a', ['service', 'logs', '--raw', svc('a')])).stdout.includes('task-log-a'),
    );
    for (const args of [
      ['service', 'ps'],
      ['service', 'logs'],
    ]) {
      const missing = named(await as('a', [...args, 'c-run-svc']), 'c-run-svc');
      expect(missing.code).toBe(1);
      expect(named(await as('a', [...args, svc('b')]), svc('b')), args.join(' ')).toEqual(missing);
    }
    // The task by its id in the CLI: docker inspect of another's task as a missing object.
    const theirs = tasks.b.ID;
    const absent = 'z'.repeat(theirs.length);
    expect(named(await as('a', ['inspect', '--type', 'task', theirs]), theirs)).toEqual(
      named(await as('a', ['inspect', '--type', 'task', absent]), absent),
    );
  });

  it('docker ps shows the own task container, and another’s container answers logs and inspect as missing', async () => {
    const ps = await as('a', ['ps', '-q', '--no-trunc']);
    expect(ps.stdout.trim().split('\n')).toEqual([tasks.a.Status.ContainerStatus?.ContainerID]);
    const theirs = tasks.b.Status.ContainerStatus?.ContainerID ?? '';
    const absent = 'f'.repeat(theirs.length);
    for (const args of [['logs'], ['inspect']]) {
      expect(named(await as('a', [...args, theirs]), theirs), args.join(' ')).toEqual(
        named(await as('a', [...args, absent]), absent),
      );
    }
  });
});
