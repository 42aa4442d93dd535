import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import { type RunningDockscope, startTestDockscopeFile } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import { json, rawRequest } from './support/http.ts';
import type { Inspect, Listed } from './support/recipes.ts';
import { goQuery, missingAnswer, ours, recipe, recipeFile, ToolClient } from './support/recipes.ts';

// docs/recipes.md "Portainer" (the other recipes: recipes.test.ts, recipes-watchtower.test.ts).

const dockerSocket = inject('dockerSocket');
const dockerHost = inject('dockerHost');
const image = inject('image');
const daemon = (method: string, path: string) => rawRequest({ socketPath: dockerSocket }, method, path);

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
