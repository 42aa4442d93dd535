import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerCli, dockerOk } from '../harness/docker-cli.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { createContainer, removeContainers, uniquePrefix } from './support/fixtures.ts';
import type { RawResponse } from './support/http.ts';
import { json, rawRequest } from './support/http.ts';
import type { HiddenFacts } from './support/leaks.ts';
import { createHiddenWithSecrets, expectNoLeak } from './support/leaks.ts';

const dockerHost = inject('dockerHost');
const dockerSocket = inject('dockerSocket');
const image = inject('image');

type Networks = Record<string, { Links: string[] | null }>;

/**
 * Endpoint links name a container the daemon resolves when the linking one starts, so it accepts a
 * link to one that does not exist yet (issue #20: dockscope answered 400). Through dockscope a link to
 * a missing or a hidden container is accepted alike, sent with a sentinel that can never resolve (the
 * hidden container is never linked), and every inspect shows the name the client typed.
 */
describe('endpoint links to a container that does not exist (yet) are accepted as the daemon accepts them', () => {
  const p = uniquePrefix('ml');
  const names: string[] = [];
  const net = `${p}-net`;
  const missing = `${p}-later`;
  let hidden: HiddenFacts;
  let proxy: RunningDockscope;
  const daemon = { socketPath: dockerSocket };
  const through = () => ({ url: proxy.url });
  let n = 0;

  beforeAll(async () => {
    hidden = await createHiddenWithSecrets(dockerHost, image, p);
    names.push(hidden.name);
    await dockerOk(dockerHost, ['network', 'create', '--internal', net]);
    proxy = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-vis` });
  });
  afterAll(async () => {
    await proxy?.close();
    await removeContainers(dockerHost, names);
    await dockerCli(dockerHost, ['network', 'rm', net]);
  });

  const networksOf = async (target: { url?: string; socketPath?: string }, name: string) =>
    (
      json(await rawRequest(target, 'GET', `/containers/${name}/json`)) as {
        NetworkSettings: { Networks: Networks };
      }
    ).NetworkSettings.Networks;

  /** What a create answer says, but for the new container's id. */
  const shape = (res: RawResponse) => ({
    status: res.status,
    body: res.status === 201 ? { ...(json(res) as object), Id: '<id>' } : json(res),
  });

  async function createLinked(target: { url?: string; socketPath?: string }, ref: string) {
    const name = `${p}-vis-${n++}`;
    names.push(name);
    const body = JSON.stringify({
      Image: image,
      Cmd: ['sleep', '60'],
      HostConfig: { NetworkMode: net },
      NetworkingConfig: { EndpointsConfig: { [net]: { Links: [`${ref}:db`, ref] } } },
    });
    return { name, res: await rawRequest(target, 'POST', `/v1.41/containers/create?name=${name}`, body) };
  }

  it('a create: the daemon takes a link to a missing container; through dockscope missing and hidden answer alike', async () => {
    const direct = await createLinked(daemon, missing);
    expect(direct.res.status, direct.res.body).toBe(201);
    expect((await networksOf(daemon, direct.name))[net]?.Links).toEqual([`${missing}:db`, missing]);

    // The threat: on the daemon the link names the hidden container, resolved when it starts.
    const threat = await createLinked(daemon, hidden.name);
    expect((await networksOf(daemon, threat.name))[net]?.Links).toEqual([`${hidden.name}:db`, hidden.name]);

    const viaMissing = await createLinked(through(), missing);
    const viaHidden = await createLinked(through(), hidden.name);
    expect(shape(viaMissing.res)).toEqual(shape(direct.res));
    expect(shape(viaHidden.res)).toEqual(shape(direct.res));
    expectNoLeak(viaHidden.res.body, hidden, hidden.name);
    // Inspect through dockscope shows what was typed, as the daemon shows it for its own create.
    expect((await networksOf(through(), viaMissing.name))[net]?.Links).toEqual([`${missing}:db`, missing]);
    expect((await networksOf(through(), viaHidden.name))[net]?.Links).toEqual([
      `${hidden.name}:db`,
      hidden.name,
    ]);
    // A link made on the daemon directly names its target: through dockscope one to a hidden container
    // is left out, and so is one to a missing container (the two read alike), as for an endpoint
    // without links.
    expect((await networksOf(through(), threat.name))[net]?.Links).toBeNull();
    expect((await networksOf(through(), direct.name))[net]?.Links).toBeNull();
    expectNoLeak(JSON.stringify(await networksOf(through(), threat.name)), hidden, hidden.name);
    // What the daemon stored can never name the hidden container.
    const stored = JSON.stringify(await networksOf(daemon, viaHidden.name));
    expect(stored).not.toContain(hidden.name);
    expect(stored).toMatch(/dockscope~link~[g-v]+:db/);
    // And it starts, as the daemon's own container with a link to a missing one does.
    await dockerOk(dockerHost, ['start', direct.name]);
    await dockerOk(dockerHost, ['start', viaHidden.name]);
  });

  it('a network connect: the daemon takes a link to a missing container; through dockscope missing and hidden alike', async () => {
    const connect = async (target: { url?: string; socketPath?: string }, ref: string) => {
      const name = `${p}-vis-c${n++}`;
      names.push(name);
      // Made on the network and taken off it, to be connected again (one network per test file: the
      // daemon's address pools are shared by all of them).
      await dockerOk(dockerHost, ['create', '--network', net, '--name', name, image, 'true']);
      await dockerOk(dockerHost, ['network', 'disconnect', net, name]);
      const body = JSON.stringify({ Container: name, EndpointConfig: { Links: [`${ref}:db`] } });
      return { name, res: await rawRequest(target, 'POST', `/v1.41/networks/${net}/connect`, body) };
    };
    const direct = await connect(daemon, missing);
    expect(direct.res.status, direct.res.body).toBe(200);
    expect((await networksOf(daemon, direct.name))[net]?.Links).toEqual([`${missing}:db`]);
    const viaMissing = await connect(through(), missing);
    const viaHidden = await connect(through(), hidden.name);
    for (const via of [viaMissing, viaHidden]) {
      expect({ status: via.res.status, body: via.res.body }).toEqual({ status: 200, body: direct.res.body });
    }
    expect((await networksOf(through(), viaMissing.name))[net]?.Links).toEqual([`${missing}:db`]);
    expect((await networksOf(through(), viaHidden.name))[net]?.Links).toEqual([`${hidden.name}:db`]);
    expect(JSON.stringify(await networksOf(daemon, viaHidden.name))).not.toContain(hidden.name);
  });

  it('a visible link target goes on as typed and is linked', async () => {
    const target = await createContainer(dockerHost, image, { name: `${p}-vis-db`, createOnly: true });
    names.push(target.name);
    const linked = await createLinked(through(), target.name);
    expect(linked.res.status).toBe(201);
    expect((await networksOf(daemon, linked.name))[net]?.Links).toEqual([`${target.name}:db`, target.name]);
  });
});
