import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { startDockscope } from '../../src/server/server.ts';
import type { Daemon } from '../harness/daemon.ts';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { json, observed, rawRequest } from './support/http.ts';
import { startSwarm } from './support/swarm.ts';

interface Task {
  ID: string;
  ServiceID: string;
  Status: { State: string; ContainerStatus?: { ContainerID?: string } };
}

/**
 * A single-node swarm on a private daemon of its own (the shared test daemon is not made a swarm
 * manager: other files run against it). Team a's services and secrets are visible to a client scoped
 * to `team=a`; team b's answer exactly as missing ones, through the real CLI and on the wire.
 */
describe('swarm services scoped like containers (issue #24)', () => {
  let daemon: Daemon;
  let proxy: RunningDockscope;
  let scrubbing: RunningDockscope;
  /** Team a's client with create rules that allow swarm services (and nothing else). */
  let creator = { host: '', close: async () => {} };
  // Same length as the hidden service's name, so that even Content-Length must agree.
  const [svcA, svcB, svcX, missing] = ['svc-a', 'svc-b', 'svc-x', 'svc-c'];
  const ids: Record<string, string> = {};
  let tasks: Task[] = [];
  const taskOf = (service: string) => tasks.find((t) => t.ServiceID === ids[service]) as Task;

  beforeAll(async () => {
    let image: string;
    ({ daemon, image } = await startSwarm());
    // No network is given: the tasks' containers get none, which the test daemon (--bridge=none) runs.
    const service = async (name: string, args: string[], text: string) => {
      ids[name] = (
        await dockerOk(daemon.host, [
          'service',
          'create',
          '--detach',
          '--quiet',
          '--name',
          name,
          '--replicas',
          '1',
          ...args,
          image,
          'sh',
          '-c',
          `echo ${text}; exec sleep 600`,
        ])
      ).trim();
    };
    await service(svcA, ['--label', 'team=a', '--container-label', 'team=a', '--env', 'TOKEN=sa'], 'hello-a');
    await service(svcB, ['--label', 'team=b', '--container-label', 'team=b'], 'hello-b');
    // Team a's service whose containers carry no team label: the containers stay hidden.
    await service(svcX, ['--label', 'team=a'], 'hello-x');
    for (const [name, team] of [
      ['sec-a', 'a'],
      ['sec-b', 'b'],
    ] as const) {
      await dockerOk(daemon.host, ['secret', 'create', '--label', `team=${team}`, name, '-'], {
        input: 's3cr3t',
      });
    }
    // Until every task runs and has written its line (the logs tests read it).
    for (let i = 0; ; i++) {
      tasks = json(await rawRequest({ socketPath: daemon.socketPath }, 'GET', '/tasks')) as Task[];
      if (tasks.length === 3 && tasks.every((t) => t.Status.State === 'running')) break;
      if (i > 150) throw new Error(`tasks did not start: ${JSON.stringify(tasks.map((t) => t.Status))}`);
      await sleep(100);
    }
    proxy = await startTestDockscope({ PROXY_URL: daemon.host, CONTAINER_LABELS: 'team=a' });
    scrubbing = await startTestDockscope({
      PROXY_URL: daemon.host,
      CONTAINER_LABELS: 'team=a',
      SCRUB_ENVS: 'true',
      // Directly on the socket SCRUB_ENVS allows reads of the read-only group only; this test reads services.
      ALLOW: 'all',
    });
    const config = loadConfig(
      {},
      {
        path: 'swarm.yml',
        text: `upstream: ${daemon.host}
listeners:
  - { name: lan, address: "127.0.0.1:0" }
clients:
  - name: team-a
    containers: { labels: [team=a] }
    create: { swarm: true }
`,
      },
    );
    const ds = await startDockscope(config, pino({ level: 'silent' }));
    creator = { host: `tcp://${ds.address}`, close: () => ds.close() };
  }, 90_000);

  afterAll(async () => {
    await proxy?.close();
    await scrubbing?.close();
    await creator?.close();
    // Leaving the swarm first stops its orchestrator from starting tasks while the daemon stops.
    if (daemon) await dockerCli(daemon.host, ['swarm', 'leave', '--force']);
    await daemon?.stop();
  }, 60_000);

  const cli = (args: string[]) => dockerCli(proxy.host, args);
  const direct = (args: string[]) => dockerCli(daemon.host, args);
  /** A CLI result with a name replaced, for comparing a hidden name's answer with a missing one's. */
  const named = (r: { code: number; stdout: string; stderr: string }, name: string) => ({
    code: r.code,
    stdout: r.stdout.split(name).join('<ref>'),
    stderr: r.stderr.split(name).join('<ref>'),
  });

  it('docker service ls lists only the services of team a', async () => {
    expect((await direct(['service', 'ls', '--format', '{{.Name}}'])).stdout.split('\n').sort()).toEqual(
      ['', svcA, svcB, svcX].sort(),
    );
    const through = await cli(['service', 'ls', '--format', '{{.Name}} {{.Replicas}}']);
    expect(through).toMatchObject({ code: 0, stderr: '' });
    expect(through.stdout.split('\n').sort()).toEqual(['', `${svcA} 1/1`, `${svcX} 1/1`]);
  });

  it("docker service inspect of team b's service answers as a missing service does", async () => {
    const daemonMissing = named(await direct(['service', 'inspect', missing]), missing);
    expect(daemonMissing.code).toBe(1);
    expect(named(await cli(['service', 'inspect', svcB]), svcB)).toEqual(daemonMissing);
    expect(named(await cli(['service', 'inspect', missing]), missing)).toEqual(daemonMissing);
    const a = JSON.parse((await cli(['service', 'inspect', svcA])).stdout) as { ID: string }[];
    expect(a.map((s) => s.ID)).toEqual([ids[svcA]]);
  });

  it('a hidden service answers byte for byte as a missing one, by name, full id and id prefix', async () => {
    const idB = ids[svcB] ?? '';
    // A made-up id of the same length and alphabet, and a prefix no service has.
    const fakeId = 'z'.repeat(idB.length);
    for (const [hiddenRef, missingRef] of [
      [svcB, missing],
      [idB, fakeId],
      [idB.slice(0, 6), fakeId.slice(0, 6)],
    ] as const) {
      for (const path of [
        (r: string) => `/v1.41/services/${r}`,
        (r: string) => `/v1.41/services/${r}?insertDefaults=true`,
        (r: string) => `/v1.41/services/${r}/logs?stdout=1&stderr=1`,
        (r: string) =>
          `/v1.41/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { [r]: true } }))}`,
      ]) {
        const daemonMissing = await rawRequest({ socketPath: daemon.socketPath }, 'GET', path(missingRef));
        expect(daemonMissing.status).toBe(404);
        const through = await rawRequest({ url: proxy.url }, 'GET', path(hiddenRef));
        expect(observed(through, hiddenRef), path(hiddenRef)).toEqual(observed(daemonMissing, missingRef));
      }
    }
    // Removal and update of a hidden service: the daemon's own 404 too, and the service stays.
    const removal = await rawRequest({ url: proxy.url }, 'DELETE', `/v1.41/services/${svcB}`);
    const removalMissing = await rawRequest(
      { socketPath: daemon.socketPath },
      'DELETE',
      `/v1.41/services/${missing}`,
    );
    expect(observed(removal, svcB)).toEqual(observed(removalMissing, missing));
    expect((await rawRequest({ socketPath: daemon.socketPath }, 'GET', `/services/${svcB}`)).status).toBe(
      200,
    );
  });

  it('docker service ps and docker service logs work for team a and answer as missing for team b', async () => {
    const ps = await cli(['service', 'ps', '--format', '{{.Name}} {{.CurrentState}}', svcA]);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(new RegExp(`^${svcA}\\.1 Running `));
    const logs = await cli(['service', 'logs', '--raw', svcA]);
    expect(logs).toEqual({ code: 0, stdout: 'hello-a\n', stderr: '' });
    for (const args of [
      ['service', 'ps'],
      ['service', 'logs'],
    ]) {
      const daemonMissing = named(await direct([...args, missing]), missing);
      expect(daemonMissing.code, args.join(' ')).toBe(1);
      expect(named(await cli([...args, svcB]), svcB), args.join(' ')).toEqual(daemonMissing);
    }
  });

  it('tasks: the list keeps those of visible services; a task of a hidden service is missing', async () => {
    const list = json(await rawRequest({ url: proxy.url }, 'GET', '/v1.41/tasks')) as Task[];
    expect(list.map((t) => t.ServiceID).sort()).toEqual([ids[svcA], ids[svcX]].sort());
    // svc-x's container carries no team label: a hidden container, its id not shown.
    expect(list.find((t) => t.ServiceID === ids[svcX])?.Status.ContainerStatus?.ContainerID).toBe('<hidden>');
    const visibleContainer = taskOf(svcA).Status.ContainerStatus?.ContainerID;
    expect(list.find((t) => t.ServiceID === ids[svcA])?.Status.ContainerStatus?.ContainerID).toBe(
      visibleContainer,
    );

    const hiddenTask = taskOf(svcB).ID;
    const fakeTask = 'z'.repeat(hiddenTask.length);
    for (const path of [
      (r: string) => `/v1.41/tasks/${r}`,
      (r: string) => `/v1.41/tasks/${r}/logs?stdout=1`,
    ]) {
      const daemonMissing = await rawRequest({ socketPath: daemon.socketPath }, 'GET', path(fakeTask));
      expect(daemonMissing.status).toBe(404);
      const through = await rawRequest({ url: proxy.url }, 'GET', path(hiddenTask));
      expect(observed(through, hiddenTask)).toEqual(observed(daemonMissing, fakeTask));
    }
    const visibleTask = await rawRequest({ url: proxy.url }, 'GET', `/v1.41/tasks/${taskOf(svcA).ID}`);
    expect((json(visibleTask) as Task).ServiceID).toBe(ids[svcA]);
    const taskLogs = await rawRequest(
      { url: proxy.url },
      'GET',
      `/v1.41/tasks/${taskOf(svcA).ID}/logs?stdout=1`,
    );
    expect(taskLogs.status).toBe(200);
    // The multiplexed stream: an 8-byte frame header, then the line.
    expect(taskLogs.body.slice(8)).toBe('hello-a\n');
  });

  it("the containers of team b's tasks are hidden as containers too", async () => {
    const ps = await cli(['ps', '--format', '{{.Label "com.docker.swarm.service.name"}}']);
    expect(ps).toEqual({ code: 0, stdout: `${svcA}\n`, stderr: '' });
    const container = taskOf(svcB).Status.ContainerStatus?.ContainerID ?? '';
    const fake = 'f'.repeat(container.length);
    const daemonMissing = named(await direct(['inspect', '--type', 'container', fake]), fake);
    expect(daemonMissing.code).toBe(1);
    expect(named(await cli(['inspect', '--type', 'container', container]), container)).toEqual(daemonMissing);
  });

  it('service events: only those of visible services', async () => {
    const path = `/v1.41/events?since=0&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(
      JSON.stringify({ type: ['service'] }),
    )}`;
    const actors = async (target: { url?: string; socketPath?: string }) =>
      new Set(
        (await rawRequest(target, 'GET', path)).body
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => (JSON.parse(line) as { Actor: { ID: string } }).Actor.ID),
      );
    expect(await actors({ socketPath: daemon.socketPath })).toEqual(
      new Set([ids[svcA], ids[svcB], ids[svcX]]),
    );
    expect(await actors({ url: proxy.url })).toEqual(new Set([ids[svcA], ids[svcX]]));
  });

  it('SCRUB_ENVS blanks the environment of services and tasks', async () => {
    const inspect = json(await rawRequest({ url: scrubbing.url }, 'GET', `/v1.41/services/${svcA}`)) as {
      Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } };
    };
    expect(inspect.Spec.TaskTemplate.ContainerSpec.Env).toEqual([]);
    const plain = json(
      await rawRequest({ url: proxy.url }, 'GET', `/v1.41/services/${svcA}`),
    ) as typeof inspect;
    expect(plain.Spec.TaskTemplate.ContainerSpec.Env).toEqual(['TOKEN=sa']);
    const listed = (await rawRequest({ url: scrubbing.url }, 'GET', '/v1.41/tasks')).body;
    expect(listed).not.toContain('TOKEN=sa');
    expect((await rawRequest({ url: proxy.url }, 'GET', '/v1.41/tasks')).body).toContain('TOKEN=sa');
  });

  it("secrets: only team a's are listed; team b's answers as a missing one", async () => {
    expect(await cli(['secret', 'ls', '--format', '{{.Name}}'])).toEqual({
      code: 0,
      stdout: 'sec-a\n',
      stderr: '',
    });
    const daemonMissing = named(await direct(['secret', 'inspect', 'sec-c']), 'sec-c');
    expect(daemonMissing.code).toBe(1);
    expect(named(await cli(['secret', 'inspect', 'sec-b']), 'sec-b')).toEqual(daemonMissing);
  });

  describe('service create and update under the create rules', () => {
    const create = (host: string, name: string, flags: string[]) =>
      dockerCli(host, [
        'service',
        'create',
        '--detach',
        '--quiet',
        '--name',
        name,
        ...flags,
        'dockscope-test:latest',
        'true',
      ]);

    it('without the swarm rule a service create and update are refused', async () => {
      const made = await create(proxy.host, 'svc-new', ['--label', 'team=a']);
      expect(made.code).toBe(1);
      expect(made.stderr).toContain(
        'dockscope: create rule "swarm" refuses POST /services/create: swarm services run containers that no create rule judges',
      );
      const updated = await cli(['service', 'update', '--detach', '--label-add', 'x=1', svcA]);
      expect(updated.stderr).toContain('create rule "swarm" refuses POST');
    });

    it.each([
      [
        ['--mount', 'type=bind,source=/etc,target=/host-etc'],
        'create rule "hostPaths" refuses TaskTemplate.ContainerSpec.Mounts[0].Source',
      ],
      [
        ['--cap-add', 'SYS_ADMIN'],
        'create rule "capAdd" refuses TaskTemplate.ContainerSpec.CapabilityAdd: the capability CAP_SYS_ADMIN',
      ],
      [['--sysctl', 'kernel.shmmax=1'], 'create rule "sysctls" refuses TaskTemplate.ContainerSpec.Sysctls'],
      [
        ['--mount', 'type=volume,source=team-b-data,target=/data'],
        'create rule "volumes" refuses TaskTemplate.ContainerSpec.Mounts[0].Source',
      ],
      [['--network', 'host'], 'create rule "hostNamespaces" refuses TaskTemplate.Networks[0].Target'],
      [['--log-driver', 'syslog'], 'create rule "logDrivers" refuses TaskTemplate.LogDriver.Name'],
    ])('with swarm allowed, %j is refused', async (flags, message) => {
      const made = await create(creator.host, 'svc-new', ['--label', 'team=a', ...flags]);
      expect(made.code, made.stderr).toBe(1);
      expect(made.stderr).toContain(message);
      expect((await direct(['service', 'ls', '--filter', 'name=svc-new', '-q'])).stdout).toBe('');
    });

    it("team b's secret cannot be given to a service; a plain service of team a is made and updated", async () => {
      const secretB = (await direct(['secret', 'inspect', '--format', '{{.ID}}', 'sec-b'])).stdout.trim();
      // The CLI resolves secret names through the (filtered) list; a raw body names the id.
      const byName = await create(creator.host, 'svc-new', ['--label', 'team=a', '--secret', 'sec-b']);
      expect(byName.code).toBe(1);
      expect(byName.stderr).toContain('secret not found: sec-b');
      const raw = await rawRequest(
        { url: creator.host.replace('tcp:', 'http:') },
        'POST',
        '/v1.41/services/create',
        JSON.stringify({
          Name: 'svc-new',
          Labels: { team: 'a' },
          TaskTemplate: {
            ContainerSpec: {
              Image: 'dockscope-test:latest',
              Secrets: [
                {
                  File: { Name: 'x', UID: '0', GID: '0', Mode: 292 },
                  SecretID: secretB,
                  SecretName: 'sec-b',
                },
              ],
            },
          },
        }),
      );
      expect([raw.status, (json(raw) as { message: string }).message]).toEqual([
        403,
        'dockscope: TaskTemplate.ContainerSpec.Secrets[0].SecretID names a secret this client may not see',
      ]);
      const hidden = await create(creator.host, 'svc-new', ['--label', 'team=b']);
      expect(hidden.stderr).toContain('the service would not be visible to this client');
      const made = await create(creator.host, 'svc-new', ['--label', 'team=a', '--replicas', '0']);
      expect(made.code, made.stderr).toBe(0);
      const updated = await dockerCli(creator.host, [
        'service',
        'update',
        '--detach',
        '--label-add',
        'x=1',
        'svc-new',
      ]);
      expect(updated.code, updated.stderr).toBe(0);
      const b = await dockerCli(creator.host, ['service', 'update', '--detach', '--label-add', 'x=1', svcB]);
      expect(named(b, svcB)).toEqual(
        named(await direct(['service', 'update', '--detach', '--label-add', 'x=1', missing]), missing),
      );
      await direct(['service', 'rm', 'svc-new']);
    });
  });
});
