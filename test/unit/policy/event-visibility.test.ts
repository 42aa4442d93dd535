import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ContainerDirectory } from '../../../src/policy/directory.ts';
import { EventVisibility, identityFromEvent } from '../../../src/policy/event-visibility.ts';
import { buildVisibility } from '../../../src/policy/matcher.ts';
import { ContainerResolver } from '../../../src/policy/resolver.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

const ID = (c: string) => c.repeat(64);

/** A resolver over a fixed set of existing containers (id → name, labels); others answer 404. */
function resolver(
  existing: Record<string, { name: string; labels?: Record<string, string> }>,
  rules = { names: ['web'], labels: [{ key: 'expose' }] },
) {
  const upstream = {
    display: 'stub',
    getJson: async (path: string) => {
      const ref = decodeURIComponent(path.split('/')[2] ?? '');
      const c = existing[ref];
      return c
        ? { status: 200, body: { Id: ref, Name: `/${c.name}`, Config: { Labels: c.labels ?? {} } } }
        : { status: 404, body: { message: 'No such container' } };
    },
  } as unknown as Upstream;
  return new ContainerResolver(
    new ContainerDirectory(upstream, 2000, pino({ level: 'silent' })),
    buildVisibility(rules),
  );
}

const containerEvent = (id: string, action: string, attributes: Record<string, string>) => ({
  Type: 'container',
  Action: action,
  Actor: { ID: id, Attributes: attributes },
});

describe('EventVisibility', () => {
  it('an existing container is judged by the resolver', async () => {
    const events = new EventVisibility(resolver({ [ID('a')]: { name: 'web' }, [ID('b')]: { name: 'db' } }));
    expect(await events.decide(containerEvent(ID('a'), 'start', { name: 'web', image: 'x' }))).toBe(true);
    expect(await events.decide(containerEvent(ID('b'), 'start', { name: 'db', image: 'x' }))).toBe(false);
    expect(events.dropped).toBe(1);
  });

  it('a container that is gone is judged from the event: its name and labels', async () => {
    const events = new EventVisibility(resolver({}));
    expect(await events.decide(containerEvent(ID('c'), 'destroy', { name: 'web-1', image: 'x' }))).toBe(true);
    expect(
      await events.decide(containerEvent(ID('d'), 'destroy', { name: 'job', 'com.expose': 'yes' })),
    ).toBe(true);
    expect(await events.decide(containerEvent(ID('e'), 'destroy', { name: 'db', image: 'x' }))).toBe(false);
  });

  it("the daemon's own attributes are not labels: an attribute key cannot make a container visible", async () => {
    const events = new EventVisibility(
      resolver({}, { names: [], labels: [{ key: 'image' }, { key: 'exitCode' }] }),
    );
    expect(
      await events.decide(containerEvent(ID('f'), 'die', { name: 'db', image: 'x', exitCode: '0' })),
    ).toBe(false);
  });

  it('network and volume events follow the container, also once it is gone', async () => {
    const existing: Record<string, { name: string }> = {
      [ID('a')]: { name: 'web' },
      [ID('b')]: { name: 'db' },
    };
    const events = new EventVisibility(resolver(existing));
    await events.decide(containerEvent(ID('a'), 'start', { name: 'web' }));
    await events.decide(containerEvent(ID('b'), 'start', { name: 'db' }));
    delete existing[ID('a')];
    delete existing[ID('b')];
    const net = (id: string) => ({
      Type: 'network',
      Action: 'disconnect',
      Actor: { ID: 'n', Attributes: { container: id } },
    });
    expect(await events.decide(net(ID('a')))).toBe(true);
    expect(await events.decide(net(ID('b')))).toBe(false);
    // Never seen and gone: there is nothing to judge it by, so it is not shown.
    expect(await events.decide(net(ID('9')))).toBe(false);
  });

  it("image events keep only the image's name (the rest are labels, maybe a hidden container's)", async () => {
    const events = new EventVisibility(resolver({}));
    const event = {
      Type: 'image',
      Action: 'tag',
      Actor: { ID: 'sha256:x', Attributes: { name: 'img:1', 'secret.label': 'v' } },
      time: 1,
    };
    expect(await events.decide(event)).toEqual({
      replace: {
        Type: 'image',
        Action: 'tag',
        Actor: { ID: 'sha256:x', Attributes: { name: 'img:1' } },
        time: 1,
      },
    });
  });

  it('with no rules nothing is dropped, not even events of containers that are gone', async () => {
    const events = new EventVisibility(resolver({}, { names: [], labels: [] }));
    expect(await events.decide(containerEvent(ID('c'), 'destroy', { name: 'anything' }))).toBe(true);
    expect(await events.decide({ Type: 'network', Actor: { Attributes: { container: ID('z') } } })).toBe(
      true,
    );
    expect(await events.decide({ Type: 'image', Actor: { Attributes: { name: 'i', l: 'v' } } })).toBe(true);
  });

  it('a rename is judged on the new name', async () => {
    const existing: Record<string, { name: string }> = { [ID('a')]: { name: 'db' } };
    const r = resolver(existing);
    const events = new EventVisibility(r);
    expect(await events.decide(containerEvent(ID('a'), 'start', { name: 'db' }))).toBe(false);
    existing[ID('a')] = { name: 'web' };
    expect(await events.decide(containerEvent(ID('a'), 'rename', { name: 'web', oldName: '/db' }))).toBe(
      true,
    );
  });

  it.each<[Record<string, unknown>, unknown]>([
    [
      { name: 'web', image: 'i', exitCode: '1', 'a.b': 'c' },
      { name: 'web', labels: { 'a.b': 'c' } },
    ],
    [{ image: 'i' }, null],
  ])('identityFromEvent(%j)', (attributes, expected) => {
    expect(identityFromEvent(attributes)).toEqual(expected);
  });
});

describe('EventVisibility: image events of an owner (issue #23)', () => {
  const owner = { key: 'dockscope.owner', owner: 'ci-a' };
  /** Images that exist now (id → labels); others are gone. */
  function withImages(images: Record<string, Record<string, string>>) {
    const upstream = {
      display: 'stub',
      getJson: async (path: string) => {
        const ref = decodeURIComponent(path.split('/')[2] ?? '');
        const labels = path.startsWith('/images/') ? images[ref] : undefined;
        return labels
          ? { status: 200, body: { Id: ref, Config: { Labels: labels } } }
          : { status: 404, body: { message: 'No such image' } };
      },
    } as unknown as Upstream;
    return new ContainerResolver(
      new ContainerDirectory(upstream, 2000, pino({ level: 'silent' })),
      buildVisibility({ names: ['web'], labels: [] }),
    );
  }
  const imageEvent = (id: string, action: string, attributes: Record<string, string>) => ({
    Type: 'image',
    Action: action,
    Actor: { ID: id, Attributes: attributes },
  });
  it.each<[string, Record<string, string>, boolean]>([
    ['its own (the label in the event)', { name: 'a:1', 'dockscope.owner': 'ci-a' }, true],
    ["another owner's", { name: 'b:1', 'dockscope.owner': 'ci-b' }, false],
  ])('%s', async (_l, attributes, shown) => {
    const events = new EventVisibility(withImages({}), owner);
    expect(Boolean(await events.decide(imageEvent('sha256:1', 'tag', attributes)))).toBe(shown);
  });
  it("an event without the label: by the image if it exists, by the stream's decision once it is gone", async () => {
    const events = new EventVisibility(
      withImages({ 'sha256:base': {}, 'sha256:b': { 'dockscope.owner': 'ci-b' } }),
      owner,
    );
    expect(await events.decide(imageEvent('sha256:base', 'pull', { name: 'base:1' }))).toEqual({
      replace: imageEvent('sha256:base', 'pull', { name: 'base:1' }),
    });
    expect(await events.decide(imageEvent('sha256:b', 'untag', { name: 'sha256:b' }))).toBe(false);
    // Gone and never seen: hidden (its owner is not known).
    expect(await events.decide(imageEvent('sha256:gone', 'delete', { name: 'sha256:gone' }))).toBe(false);
    // Gone after the stream showed it: shown.
    await events.decide(imageEvent('sha256:mine', 'tag', { name: 'a:1', 'dockscope.owner': 'ci-a' }));
    expect(await events.decide(imageEvent('sha256:mine', 'delete', { name: 'sha256:mine' }))).not.toBe(false);
  });
});

describe('EventVisibility: swarm objects (issue #24)', () => {
  const swarm = () => {
    const services: Record<string, { name: string; labels: Record<string, string> }> = {
      sa: { name: 'svc-a', labels: { team: 'a' } },
      sb: { name: 'svc-b', labels: { team: 'b' } },
    };
    const upstream = {
      display: 'stub',
      getJson: async (path: string) => {
        const ref = decodeURIComponent(path.split('/')[2] ?? '');
        const s = services[ref];
        return s
          ? { status: 200, body: { ID: ref, Spec: { Name: s.name, Labels: s.labels } } }
          : { status: 404, body: { message: `service ${ref} not found` } };
      },
    } as unknown as Upstream;
    const resolver = new ContainerResolver(
      new ContainerDirectory(upstream, 2000, pino({ level: 'silent' })),
      buildVisibility({ names: ['named'], labels: [{ key: 'team', value: 'a' }] }),
    );
    return { events: new EventVisibility(resolver), services };
  };
  const event = (type: string, id: string, action: string, name: string) => ({
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: { name } },
  });

  it('follows the service as it is now: its name and labels', async () => {
    const { events } = swarm();
    expect(await events.decide(event('service', 'sa', 'update', 'svc-a'))).toBe(true);
    expect(await events.decide(event('service', 'sb', 'update', 'svc-b'))).toBe(false);
    expect(await events.decide(event('secret', 'sb', 'create', 'svc-b'))).toBe(false);
  });

  it('a removed service keeps what the stream decided while it existed', async () => {
    const { events, services } = swarm();
    expect(await events.decide(event('service', 'sa', 'create', 'svc-a'))).toBe(true);
    delete services.sa;
    expect(await events.decide(event('service', 'sa', 'remove', 'svc-a'))).toBe(true);
  });

  it('one never seen is judged by its name alone (its labels are not in the event)', async () => {
    const { events } = swarm();
    expect(await events.decide(event('service', 'gone1', 'remove', 'named-svc'))).toBe(true);
    expect(await events.decide(event('service', 'gone2', 'remove', 'svc-a'))).toBe(false);
    expect(await events.decide(event('config', '', 'remove', 'named-svc'))).toBe(false);
  });

  it('node events pass (nodes are not scoped)', async () => {
    const { events } = swarm();
    expect(await events.decide(event('node', 'n1', 'update', 'vm'))).toBe(true);
  });
});
