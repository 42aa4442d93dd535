import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { type RunningDockscope, startTestDockscopeFile } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';
import { goQuery, missingAnswer, recipe, recipeFile, ToolClient } from './support/recipes.ts';

// The recipes of docs/recipes.md for the tools that write: Watchtower and Portainer (the read-only
// ones are in recipes.test.ts).

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

type Listed = { Id: string; Names: string[] }[];
const ours = (list: unknown, p: string) =>
  (list as Listed)
    .map((c) => c.Names[0]?.slice(1) ?? '')
    .filter((n) => n.startsWith(p))
    .sort();
const daemon = (method: string, path: string) => rawRequest({ socketPath: dockerSocket }, method, path);

interface Inspect {
  Id: string;
  Name: string;
  Image: string;
  Config: Record<string, unknown> & { Image: string; Labels: Record<string, string> };
  HostConfig: Record<string, unknown> & { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, Record<string, unknown> & { Aliases: string[] | null }> };
  State: { Running: boolean };
}

const ENABLE = 'com.centurylinklabs.watchtower.enable';

/** docs/recipes.md "Watchtower": one update run (internal/actions/update.go), replayed through the recipe. */
describe('recipe: Watchtower recreates its labelled containers, and only those', () => {
  const p = uniquePrefix('rwt');
  const [app, bound, hidden, base] = [`${p}-app`, `${p}-bound`, `${p}-hidden`, `${p}-base`];
  const repo = `${p}-image`;
  // Stops on SIGTERM, as a service does (a shell as PID 1 has no default action for it).
  const cmd = ['sh', '-c', `trap 'exit 0' TERM; echo started; while :; do sleep 1; done`];
  let ds: RunningDockscope;
  let wt: ToolClient;
  let dir: string;

  beforeAll(async () => {
    const { config } = await recipe('Watchtower');
    // The recipe's own line for a cgroup v1 host, where inspect shows the host's cgroup namespace.
    const { CgroupVersion } = json(await daemon('GET', '/info')) as { CgroupVersion: string };
    const v1 = CgroupVersion === '1' ? /create: \{ hostNamespaces: \[cgroupns\] \}/ : undefined;
    ds = await startTestDockscopeFile(recipeFile(config ?? '', dockerSocket, v1));
    // docker/docker v24 without negotiation: DOCKER_API_VERSION, 1.25 by default; Go's own User-Agent.
    wt = new ToolClient(ds.url, 'Go-http-client/1.1');
    wt.prefix = '/v1.25';
    // The app's image of its own (a clean-up removes it by id), version 1.
    await createContainer(dockerHost, image, { name: base, createOnly: true });
    await dockerOk(dockerHost, ['commit', '--change', 'LABEL build=1', base, `${repo}:latest`]);
    await createContainer(dockerHost, `${repo}:latest`, { name: app, labels: { [ENABLE]: 'true' }, cmd });
    await createContainer(dockerHost, image, { name: hidden, cmd });
    dir = await mkdtemp(join(tmpdir(), 'ds-wt-'));
    await dockerOk(dockerHost, [
      'run',
      '-d',
      '-v',
      `${dir}:/data`,
      '--network',
      'none',
      '--name',
      bound,
      '--label',
      `${ENABLE}=true`,
      image,
      ...cmd,
    ]);
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [app, bound, hidden, base]);
    await rm(dir, { recursive: true, force: true });
    await dockerCli(dockerHost, ['rmi', '-f', `${repo}:latest`]);
  });

  /** Watchtower's stop, StopContainer: kill, wait until it stopped, remove, wait until it is gone. */
  async function stopAndRemove(id: string): Promise<void> {
    const kill = await wt.send('POST', `/containers/${id}/kill?${goQuery({ signal: 'SIGTERM' })}`);
    expect(kill.status).toBe(204);
    await waitFor(
      'stopped',
      async () => !(json(await wt.send('GET', `/containers/${id}/json`)) as Inspect).State.Running,
    );
    expect((await wt.send('DELETE', `/containers/${id}?${goQuery({ force: '1' })}`)).status).toBe(204);
    await waitFor('removed', async () => (await wt.send('GET', `/containers/${id}/json`)).status === 404);
  }

  /** Watchtower's create body (GetCreateConfig, GetCreateHostConfig, one network of GetNetworkConfig). */
  const createBody = (c: Inspect) => {
    const [net, endpoint] = Object.entries(c.NetworkSettings.Networks)[0] ?? [];
    const aliases = (endpoint?.Aliases ?? []).filter((a) => a !== c.Id.slice(0, 12));
    return {
      ...c.Config,
      HostConfig: c.HostConfig,
      NetworkingConfig: { EndpointsConfig: net ? { [net]: { ...endpoint, Aliases: aliases } } : {} },
    };
  };

  it('lists the running labelled containers, and recreates the stale one on its new image', async () => {
    const list = await wt.send(
      'GET',
      `/containers/json?${goQuery({ filters: '{"status":{"running":true}}' })}`,
    );
    expect([list.status, ours(json(list), p)]).toEqual([200, [app, bound]]);
    const id = (json(list) as Listed).find((c) => c.Names[0] === `/${app}`)?.Id ?? '';
    const old = json(await wt.send('GET', `/containers/${id}/json`)) as Inspect;
    const oldImage = await wt.send('GET', `/images/${old.Image}/json`);
    expect(oldImage.status).toBe(200);

    // The pull is forwarded: the daemon answers it (this one cannot reach a registry), not dockscope.
    const pull = await wt.send(
      'POST',
      `/images/create?${goQuery({ fromImage: repo, tag: 'latest' })}`,
      undefined,
      {
        'x-registry-auth': '',
      },
    );
    expect(pull.body).not.toContain('dockscope');
    // What a pull of a new version does to the name, done on the daemon.
    await dockerOk(dockerHost, ['commit', '--change', 'LABEL build=2', base, `${repo}:latest`]);
    const fresh = json(await wt.send('GET', `/images/${repo}:latest/json`)) as { Id: string };
    expect(fresh.Id).not.toBe(old.Image);

    await stopAndRemove(id);
    const created = await wt.send(
      'POST',
      `/containers/create?${goQuery({ name: old.Name })}`,
      createBody(old),
    );
    expect([created.status, created.body]).toEqual([201, expect.stringContaining('"Id"')]);
    const newId = (json(created) as { Id: string }).Id;
    for (const [net, endpoint] of Object.entries(old.NetworkSettings.Networks)) {
      const off = await wt.send('POST', `/networks/${net}/disconnect`, { Container: newId, Force: true });
      expect([off.status, off.body]).toEqual([200, '']);
      const on = await wt.send('POST', `/networks/${net}/connect`, {
        Container: newId,
        EndpointConfig: endpoint,
      });
      expect([on.status, on.body]).toEqual([200, '']);
    }
    expect((await wt.send('POST', `/containers/${newId}/start`)).status).toBe(204);
    // WATCHTOWER_CLEANUP: the old image, by id.
    const rmi = await wt.send('DELETE', `/images/${old.Image}?${goQuery({ force: '1' })}`);
    expect(rmi.status).toBe(200);

    const now = json(await daemon('GET', `/containers/${app}/json`)) as Inspect;
    expect([now.Id, now.Image, now.State.Running, now.Config.Labels[ENABLE]]).toEqual([
      newId,
      fresh.Id,
      true,
      'true',
    ]);
    expect((await daemon('GET', `/images/${old.Image}/json`)).status).toBe(404);
    // Its copied MaskedPaths were kept, with what newer daemons mask by default added (system-paths.ts).
    expect(now.HostConfig.MaskedPaths).toEqual([
      ...(old.HostConfig.MaskedPaths as string[]).filter((m) => m !== '/sys/devices/virtual/powercap'),
      '/sys/devices/virtual/powercap',
    ]);
  });

  it('the recreate of a container that binds a host path is refused by the create rule, after Watchtower removed it', async () => {
    const old = json(await wt.send('GET', `/containers/${bound}/json`)) as Inspect;
    await stopAndRemove(old.Id);
    const created = await wt.send(
      'POST',
      `/containers/create?${goQuery({ name: old.Name })}`,
      createBody(old),
    );
    expect([created.status, json(created)]).toEqual([
      403,
      {
        message: `dockscope: create rule "hostPaths" refuses HostConfig.Binds[0]: the host path ${dir} is not under a path this client may bind (it may bind none)`,
      },
    ]);
    expect((await daemon('GET', `/containers/${bound}/json`)).status).toBe(404);
  });

  it('an unlabelled container answers as a missing one, and a route not listed is refused', async () => {
    const id = (json(await daemon('GET', `/containers/${hidden}/json`)) as Inspect).Id;
    for (const [method, path] of [
      ['GET', `/containers/${id}/json`],
      ['POST', `/containers/${id}/kill?signal=SIGTERM`],
      ['DELETE', `/containers/${id}?force=1`],
    ] as const) {
      const res = await wt.send(method, path);
      expect({ status: res.status, body: res.body }, `${method} ${path}`).toEqual(
        await missingAnswer(dockerSocket, method, `/v1.25${path}`, id),
      );
    }
    expect((json(await daemon('GET', `/containers/${hidden}/json`)) as Inspect).State.Running).toBe(true);
    const exec = await wt.send('POST', `/containers/${app}/exec`, { Cmd: ['true'] });
    expect([exec.status, json(exec)]).toEqual([
      403,
      {
        message: `dockscope: POST /containers/${app}/exec is not allowed for client "watchtower" (allow: no entry matches)`,
      },
    ]);
  });
});

/** Docker's default capabilities, which Portainer's create form sends as CapAdd (CapabilitiesTab/types.ts). */
const DEFAULT_CAPS = [
  'SETPCAP',
  'MKNOD',
  'AUDIT_WRITE',
  'CHOWN',
  'NET_RAW',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'SETFCAP',
];
const OTHER_CAPS = [
  'SYS_MODULE',
  'SYS_RAWIO',
  'SYS_PACCT',
  'SYS_ADMIN',
  'SYS_NICE',
  'SYS_RESOURCE',
  'SYS_TIME',
  'SYS_TTY_CONFIG',
  'AUDIT_CONTROL',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'NET_ADMIN',
  'SYSLOG',
  'DAC_READ_SEARCH',
  'LINUX_IMMUTABLE',
  'NET_BROADCAST',
  'IPC_LOCK',
  'IPC_OWNER',
  'SYS_PTRACE',
  'SYS_BOOT',
  'LEASE',
  'WAKE_ALARM',
  'BLOCK_SUSPEND',
];

/** The body of Portainer's create form with its defaults (CreateView/toRequest.ts and each tab's toRequest). */
function portainerForm(img: string, cmd: string[], caps = DEFAULT_CAPS, privileged = false) {
  return {
    HostConfig: {
      Binds: [],
      NetworkMode: 'none',
      Dns: [],
      ExtraHosts: [],
      RestartPolicy: { Name: 'no' },
      Privileged: privileged,
      Init: false,
      Runtime: '',
      Devices: [],
      Sysctls: {},
      ShmSize: 64 * 1024 * 1024,
      DeviceRequests: [],
      Memory: 0,
      MemoryReservation: 0,
      NanoCpus: 0,
      CapAdd: caps,
      CapDrop: [...DEFAULT_CAPS, ...OTHER_CAPS].filter((c) => !caps.includes(c)),
      PublishAllPorts: false,
      PortBindings: {},
      AutoRemove: false,
    },
    NetworkingConfig: { EndpointsConfig: { none: { IPAMConfig: { IPv4Address: '', IPv6Address: '' } } } },
    User: '',
    WorkingDir: '',
    OpenStdin: false,
    Tty: false,
    Cmd: cmd,
    Volumes: {},
    Hostname: '',
    Domainname: '',
    MacAddress: '',
    Labels: {},
    ExposedPorts: {},
    Env: [],
    Image: img,
  };
}

/** docs/recipes.md "Portainer": its snapshot and its UI's requests, replayed through the recipe. */
describe('recipe: Portainer manages its own and the labelled containers, and nothing else', () => {
  const p = uniquePrefix('rpt');
  const [managed, other, ui, vol] = [`${p}-managed`, `${p}-other`, `${p}-ui`, `${p}-vol`];
  let ds: RunningDockscope;
  let snapshot: ToolClient;
  let browser: ToolClient;

  beforeAll(async () => {
    const { config } = await recipe('Portainer');
    ds = await startTestDockscopeFile(recipeFile(config ?? '', dockerSocket));
    // docker/docker v26 with negotiation and no User-Agent of its own; the UI's requests are the
    // browser's, sent on by Portainer's proxy without a version prefix.
    snapshot = new ToolClient(ds.url, 'Go-http-client/1.1');
    browser = new ToolClient(
      ds.url,
      'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    );
    await createContainer(dockerHost, image, { name: managed, labels: { 'portainer.managed': 'true' } });
    await createContainer(dockerHost, image, { name: other });
    await dockerOk(dockerHost, ['volume', 'create', vol]);
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [managed, other, ui]);
    await dockerCli(dockerHost, ['volume', 'rm', '-f', vol, `${p}-uivol`]);
  });

  it("its snapshot sees the scope's containers, volumes and networks only", async () => {
    await snapshot.negotiate('1.45');
    expect(snapshot.prefix).toBe('/v1.41');
    expect((await snapshot.send('GET', '/info')).status).toBe(200);
    const list = await snapshot.send('GET', `/containers/json?${goQuery({ all: '1' })}`);
    expect([list.status, ours(json(list), p)]).toEqual([200, [managed]]);
    for (const c of json(list) as Listed)
      expect((await snapshot.send('GET', `/containers/${c.Id}/json`)).status).toBe(200);
    const images = await snapshot.send('GET', '/images/json');
    expect((json(images) as { RepoTags: string[] | null }[]).some((i) => i.RepoTags?.includes(image))).toBe(
      true,
    );
    const volumes = json(await snapshot.send('GET', '/volumes')) as { Volumes: { Name: string }[] | null };
    expect((volumes.Volumes ?? []).map((v) => v.Name)).not.toContain(vol);
    const networks = json(await snapshot.send('GET', '/networks')) as { Name: string }[];
    expect(networks.map((n) => n.Name)).not.toContain('bridge');
    expect((await snapshot.send('GET', '/version')).status).toBe(200);
  });

  it('a container made with the form is its own: it starts, logs, is listed and removed', async () => {
    const cmd = ['sh', '-c', `echo log-of-${ui}; exec sleep 3600`];
    const created = await browser.send('POST', `/containers/create?name=${ui}`, portainerForm(image, cmd));
    expect([created.status, created.body]).toEqual([201, expect.stringContaining('"Id"')]);
    const { Id } = json(created) as { Id: string };
    expect((await browser.send('POST', `/containers/${Id}/start`)).status).toBe(204);
    const onDaemon = json(await daemon('GET', `/containers/${ui}/json`)) as Inspect;
    expect([onDaemon.Config.Labels['dockscope.owner'], onDaemon.State.Running]).toEqual(['portainer', true]);
    const logs = await browser.send(
      'GET',
      `/containers/${Id}/logs?since=0&stderr=1&stdout=1&tail=100&timestamps=0`,
    );
    expect([logs.status, logs.body.includes(`log-of-${ui}`)]).toEqual([200, true]);
    const list = await browser.send('GET', '/containers/json?all=1');
    expect(ours(json(list), p)).toEqual([managed, ui]);
    const volume = await browser.send('POST', '/volumes/create', {
      Name: `${p}-uivol`,
      Driver: 'local',
      DriverOpts: {},
      Labels: {},
    });
    expect([volume.status, (json(volume) as { Labels: Record<string, string> }).Labels]).toEqual([
      201,
      { 'dockscope.owner': 'portainer' },
    ]);
    expect((await browser.send('DELETE', `/containers/${Id}?force=true&v=1`)).status).toBe(204);
    expect((await daemon('GET', `/containers/${ui}/json`)).status).toBe(404);
  });

  it("without the recipe's capAdd list, the form's defaults are refused", async () => {
    const { config } = await recipe('Portainer');
    const without = (config ?? '').replace(/ {4}create:\n(?: {6,}.*\n)+/, '');
    expect(without).not.toContain('capAdd');
    const bare = await startTestDockscopeFile(recipeFile(without, dockerSocket));
    try {
      const form = portainerForm(image, ['sleep', '1']);
      const res = await new ToolClient(bare.url, browser.userAgent).send(
        'POST',
        `/containers/create?name=${ui}`,
        form,
      );
      expect([res.status, json(res)]).toEqual([
        403,
        {
          message:
            'dockscope: create rule "capAdd" refuses HostConfig.CapAdd: the capability CAP_SETPCAP is not one this client may add',
        },
      ]);
    } finally {
      await bare.close();
    }
  });

  it('the form with a capability or privileged is refused, naming the rule', async () => {
    const cmd = ['sleep', '1'];
    const cap = await browser.send(
      'POST',
      `/containers/create?name=${ui}`,
      portainerForm(image, cmd, [...DEFAULT_CAPS, 'SYS_ADMIN']),
    );
    expect([cap.status, json(cap)]).toEqual([
      403,
      {
        message:
          'dockscope: create rule "capAdd" refuses HostConfig.CapAdd: the capability CAP_SYS_ADMIN is not one this client may add',
      },
    ]);
    const priv = await browser.send(
      'POST',
      `/containers/create?name=${ui}`,
      portainerForm(image, cmd, DEFAULT_CAPS, true),
    );
    expect([priv.status, (json(priv) as { message: string }).message]).toEqual([
      403,
      expect.stringMatching(/^dockscope: create rule "privileged" refuses HostConfig\.Privileged/),
    ]);
  });

  it('a container outside its scope answers as a missing one, and swarm is refused', async () => {
    for (const [method, path] of [
      ['GET', `/containers/${other}/json`],
      ['POST', `/containers/${other}/start`],
      ['DELETE', `/containers/${other}?force=true&v=1`],
    ] as const) {
      const res = await browser.send(method, path);
      expect({ status: res.status, body: res.body }, `${method} ${path}`).toEqual(
        await missingAnswer(dockerSocket, method, path, other),
      );
    }
    const swarm = await browser.send('GET', '/swarm');
    expect([swarm.status, json(swarm)]).toEqual([
      403,
      {
        message:
          'dockscope: GET /swarm is not allowed for client "portainer" (deny: GET /swarm (group swarm))',
      },
    ]);
  });
});
