import type { SwarmKind } from '../routes/route.ts';
import { ANY_EVENT_ATTRIBUTES } from '../upstream/dialect.ts';
import { lookupSwarmObject } from '../upstream/swarm-lookups.ts';
import { isObject } from './container-facts.ts';
import type { ContainerIdentity } from './matcher.ts';
import { configs } from './owned/configs.ts';
import { images } from './owned/images.ts';
import { networks } from './owned/networks.ts';
import type { OwnedScope } from './owned/scope.ts';
import { isShown } from './owned/scope.ts';
import { secrets } from './owned/secrets.ts';
import { services } from './owned/services.ts';
import { volumes } from './owned/volumes.ts';
import type { Ownership } from './ownership.ts';
import type { ContainerResolver } from './resolver.ts';

/** Event types of the swarm objects scoped by name and labels (issue #24); nodes are not scoped. */
const SWARM_KINDS = { service: 'services', secret: 'secrets', config: 'configs' } as const;

const MAX_REMEMBERED = 10_000;

/**
 * The kinds whose events an owner sees only of its own (images: and of nobody's), by event type;
 * container events follow the container rules (`containers: owned`).
 */
const OWNED_EVENTS: ReadonlyMap<unknown, OwnedScope> = new Map(
  [volumes, networks, images, services, secrets, configs].map((s) => [s.type, s]),
);

/** What an event stream does with one event: drop it, pass it as sent, or pass a rewritten one. */
type EventDecision = boolean | { readonly replace: unknown };

/**
 * Decides which daemon events a client may see. Container events (including exec_* and health
 * events) follow the container's visibility; events of other types that name a container in
 * `Actor.Attributes.container` (network connect/disconnect, volume mount/unmount) follow that
 * container. Image events keep only the image's name: their other attributes are the image's labels,
 * which for an image committed from a container are that container's labels.
 *
 * A container that still exists is judged by the resolver (cached by id). One that is gone (a replay
 * with `since`, a `docker run --rm` that ended) is judged from the event itself: container events carry
 * the container's name and labels. The decision is remembered per id for the life of the stream, so the
 * network and volume events of a removed container follow it too. With no rules, nothing is dropped.
 */
export class EventVisibility {
  readonly #seen = new Map<string, boolean>();
  /** Volumes, networks and images judged by their owner label, by `type:id`, for the life of the stream. */
  readonly #objects = new Map<string, boolean>();
  dropped = 0;

  private readonly resolver: ContainerResolver;
  private readonly owner: Ownership | null;

  constructor(resolver: ContainerResolver, owner: Ownership | null = null) {
    this.resolver = resolver;
    this.owner = owner;
  }

  async decide(event: unknown): Promise<EventDecision> {
    const decision = await this.#decide(event);
    if (decision === false) this.dropped++;
    return decision;
  }

  async #decide(event: unknown): Promise<EventDecision> {
    if (!isObject(event)) return false;
    const type = event.Type ?? event.type;
    const actor = isObject(event.Actor) ? event.Actor : {};
    const attributes = isObject(actor.Attributes) ? actor.Attributes : {};
    // With ownership, another client's volumes, networks and images do not exist for this one.
    const scope = this.owner ? OWNED_EVENTS.get(type) : undefined;
    if (this.owner && scope) {
      // Podman's volume events name the volume in Attributes.name, with an empty Actor.ID (measured).
      const named = type === 'volume' && actor.ID === '' ? attributes.name : actor.ID;
      const id = typeof named === 'string' ? named : '';
      const action = event.Action ?? event.status;
      if (!(await this.#ownedShown(scope, id, action, attributes, this.owner))) return false;
    }
    if (this.resolver.seesAll) return true;
    if (type === 'container') {
      const id = typeof actor.ID === 'string' ? actor.ID : typeof event.id === 'string' ? event.id : '';
      const action = String(event.Action ?? event.status ?? '');
      // A rename changes what the rules see: decide on the new name.
      if (action === 'rename') this.#forget(id);
      // The upstream's own attributes are not labels; while its kind is not known, no dialect's are.
      const own = this.resolver.daemon.dialect.known()?.eventAttributes ?? ANY_EVENT_ATTRIBUTES;
      return this.#visible(id, identityFromEvent(attributes, own));
    }
    if (type === 'service' || type === 'secret' || type === 'config') {
      return this.#swarmVisible(SWARM_KINDS[type], typeof actor.ID === 'string' ? actor.ID : '', attributes);
    }
    if (typeof attributes.container === 'string') return this.#visible(attributes.container, null);
    if (type === 'image') {
      const name = attributes.name;
      return {
        replace: { ...event, Actor: { ...actor, Attributes: typeof name === 'string' ? { name } : {} } },
      };
    }
    return true;
  }

  /**
   * Whether an event's volume (by name), network (by id) or image is the client's own (or, for
   * images, nobody's: issue #23). Judged by the labels the event carries (images, while they exist),
   * else by the object's labels looked up now; one that is gone (a destroy, a replay) keeps what this
   * stream decided while it existed, else is hidden. A create is judged afresh: a name can be made
   * again by someone else.
   */
  async #ownedShown(
    scope: OwnedScope,
    id: string,
    action: unknown,
    attributes: Readonly<Record<string, unknown>>,
    owner: Ownership,
  ): Promise<boolean> {
    if (!id) return false;
    const key = scope.eventKey(id);
    if (action === 'create' && scope.eventsKeep) this.#objects.delete(key);
    const carried = scope.eventLabels(attributes, owner);
    const known = this.#objects.get(key);
    if (carried === undefined && known !== undefined && scope.eventsKeep) return known;
    const labels = carried ?? (await scope.labels(id, this.resolver.directory).catch(() => null));
    const shown = labels !== null ? isShown(scope, labels, owner) : (known ?? false);
    this.#remember(key, shown);
    return shown;
  }

  #remember(key: string, decision: boolean): void {
    if (this.#objects.size >= MAX_REMEMBERED && !this.#objects.has(key)) {
      const oldest = this.#objects.keys().next().value;
      if (oldest !== undefined) this.#objects.delete(oldest);
    }
    this.#objects.set(key, decision);
  }

  /**
   * A service, secret or config event follows the object, looked up fresh (its labels can change with
   * any update). One that is gone keeps what this stream decided while it existed; never seen, it is
   * judged by its name alone (a name rule that matches shows it; labels are not in the event).
   */
  async #swarmVisible(
    of: SwarmKind,
    id: string,
    attributes: Readonly<Record<string, unknown>>,
  ): Promise<boolean> {
    if (!id) return false;
    const key = `${of}:${id}`;
    const found = await lookupSwarmObject(this.resolver.daemon, of, id).catch(() => null);
    const known = this.#objects.get(key);
    const visible =
      found !== null && !('ambiguous' in found)
        ? this.resolver.isVisible(found)
        : (known ??
          (typeof attributes.name === 'string' &&
            this.resolver.isVisible({ name: attributes.name, labels: {} })));
    this.#remember(key, visible);
    return visible;
  }

  #forget(id: string): void {
    this.#seen.delete(id);
    this.resolver.invalidate(id);
  }

  async #visible(id: string, fromEvent: ContainerIdentity | null): Promise<boolean> {
    if (!id) return false;
    const known = this.#seen.get(id);
    const facts =
      this.resolver.cached(id) ?? (known === undefined ? await this.resolver.resolveOrNull(id) : null);
    const visible = facts
      ? facts.visible
      : (known ?? (fromEvent ? this.resolver.isVisible(fromEvent) : false));
    if (this.#seen.size >= MAX_REMEMBERED && !this.#seen.has(id)) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(id, visible);
    return visible;
  }
}

/** The name and labels a container event carries. */
export function identityFromEvent(
  attributes: Readonly<Record<string, unknown>>,
  upstreamAttributes: ReadonlySet<string> = ANY_EVENT_ATTRIBUTES,
): ContainerIdentity | null {
  if (typeof attributes.name !== 'string') return null;
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!upstreamAttributes.has(key) && typeof value === 'string') labels[key] = value;
  }
  return { name: attributes.name, labels };
}
