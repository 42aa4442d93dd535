import { isObject } from './container-facts.ts';
import type { ContainerResolver } from './resolver.ts';

const MAX_REMEMBERED = 10_000;

/**
 * Decides which daemon events a client may see. Container events (including exec_* and health
 * events) follow the container's visibility; events of other types that name a container in
 * `Actor.Attributes.container` (network connect/disconnect, volume mount/unmount) follow that
 * container. Events that name no container (images, volumes, networks themselves) pass.
 *
 * A container that is already gone cannot be inspected, so decisions are remembered per id for the
 * life of the stream; a gone container never seen before is hidden (default deny).
 */
export class EventVisibility {
  readonly #seen = new Map<string, boolean>();

  private readonly resolver: ContainerResolver;

  constructor(resolver: ContainerResolver) {
    this.resolver = resolver;
  }

  async keep(event: unknown): Promise<boolean> {
    if (!isObject(event)) return false;
    const type = event.Type ?? event.type;
    const actor = isObject(event.Actor) ? event.Actor : {};
    const attributes = isObject(actor.Attributes) ? actor.Attributes : {};
    if (type === 'container') {
      const id = typeof actor.ID === 'string' ? actor.ID : typeof event.id === 'string' ? event.id : '';
      const action = String(event.Action ?? event.status ?? '');
      // A rename changes what the rules see: decide on the new name.
      if (action === 'rename') this.#forget(id);
      return this.#visible(id);
    }
    if (typeof attributes.container === 'string') return this.#visible(attributes.container);
    return true;
  }

  #forget(id: string): void {
    this.#seen.delete(id);
    this.resolver.invalidate(id);
  }

  async #visible(id: string): Promise<boolean> {
    if (!id) return false;
    const known = this.#seen.get(id);
    const facts =
      this.resolver.cached(id) ?? (known === undefined ? await this.resolver.resolveOrNull(id) : null);
    const visible = facts ? facts.visible : (known ?? false);
    if (this.#seen.size >= MAX_REMEMBERED && !this.#seen.has(id)) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(id, visible);
    return visible;
  }
}
