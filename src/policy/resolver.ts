import { DockerApiError } from '../errors.ts';
import type { DaemonClient, Identity } from '../upstream/daemon-client.ts';
import type { ContainerFacts } from './container-facts.ts';
import { FULL_ID, listedIdentity } from './container-facts.ts';
import type { ContainerDirectory } from './directory.ts';
import type { ContainerIdentity, Visibility } from './matcher.ts';
import { stripSlash } from './matcher.ts';

/**
 * One client's view of the containers: a reference (full id, id prefix or name) resolved through the
 * shared directory, and judged with this client's visibility. Cheap to make: the directory holds
 * everything cached.
 */
export class ContainerResolver {
  readonly directory: ContainerDirectory;
  private readonly visibility: Visibility;

  constructor(directory: ContainerDirectory, visibility: Visibility) {
    this.directory = directory;
    this.visibility = visibility;
  }

  /** The daemon's uncached answers (volumes, networks, images, swarm objects), shared by every client. */
  get daemon(): DaemonClient {
    return this.directory.daemon;
  }

  /** The directory's invalidation epoch: pass it to `remember` for facts read from an answer begun now. */
  get epoch(): number {
    return this.directory.epoch;
  }

  /** With no rules every container is visible: nothing needs judging. */
  get seesAll(): boolean {
    return this.visibility.seesAll === true;
  }

  /** Whether every container this client owns is visible to it (`containers: owned`). */
  get includesOwned(): boolean {
    return this.visibility.includesOwned === true;
  }

  /** Patterns for the daemon's `name` list filter that keep every visible container (see Visibility). */
  get daemonLabels(): readonly string[] | undefined {
    return this.visibility.daemonLabels;
  }

  get daemonNames(): readonly string[] | undefined {
    return this.visibility.daemonNames;
  }

  isVisible(identity: ContainerIdentity): boolean {
    return this.visibility(identity);
  }

  #facts(identity: Identity): ContainerFacts {
    return { ...identity, visible: this.visibility(identity) };
  }

  /**
   * Facts from an inspect body (cached for every client). `since` is the epoch when the answer was
   * asked for: if a container was invalidated meanwhile, the facts are returned but not cached.
   */
  remember(identity: Identity, since?: number): ContainerFacts {
    this.directory.store(identity, since);
    return this.#facts(identity);
  }

  invalidate(id: string): void {
    this.directory.invalidate(id);
  }

  /** The cached decision for a full id, if still trusted. */
  cached(id: string): ContainerFacts | undefined {
    const identity = this.directory.cached(id);
    return identity ? this.#facts(identity) : undefined;
  }

  /** Facts for a reference, or null when the daemon has no such container (for this client). */
  async resolve(ref: string): Promise<ContainerFacts | null> {
    if (FULL_ID.test(ref)) {
      const hit = this.cached(ref);
      if (hit) return hit;
    }
    const found = await this.directory.lookup(ref);
    if (found === null) return null;
    if ('ambiguous' in found) return this.#disambiguate(ref);
    // `parent/alias` is a legacy link name: the daemon finds the linked container through the parent,
    // so the name says the parent exists. Through a parent the client may not see, it is missing.
    const bare = stripSlash(ref);
    const slash = bare.lastIndexOf('/');
    if (slash > 0 && !(await this.resolve(bare.slice(0, slash)))?.visible) return null;
    return this.#facts(found);
  }

  /**
   * Facts for a reference, or null when it is missing or the look-up failed: for filtering answers
   * (events, network maps, error messages), where an unanswered look-up must hide, not break.
   */
  async resolveOrNull(ref: string): Promise<ContainerFacts | null> {
    try {
      return await this.resolve(ref);
    } catch {
      return null;
    }
  }

  /**
   * An id prefix that several containers share: the daemon refuses it, and that refusal would tell
   * the client a hidden container shares the prefix. Resolved among the containers the client may
   * see instead: one is that container, none is a missing one, several is the daemon's refusal.
   */
  async #disambiguate(prefix: string): Promise<ContainerFacts | null> {
    if (!/^[0-9a-f]+$/.test(prefix))
      throw new DockerApiError(500, 'dockscope: ambiguous reference', 'invalid');
    const visible: Identity[] = [];
    for (const summary of await this.directory.daemon.containers()) {
      const identity = listedIdentity(summary);
      if (identity?.id.startsWith(prefix) && this.visibility(identity)) visible.push(identity);
    }
    if (visible.length > 1) {
      throw new DockerApiError(500, `Multiple IDs found with provided prefix: ${prefix}`, 'invalid');
    }
    const only = visible[0];
    return only ? this.remember(only) : null;
  }

  /** The container an exec instance belongs to. */
  async execContainer(execId: string): Promise<ContainerFacts | null> {
    const owner = await this.directory.execOwner(execId);
    return owner ? this.resolve(owner) : null;
  }

  /**
   * The container an image was committed from: its facts, or null when the image names none, names one
   * that is gone, or cannot be read (the daemon then answers the request).
   */
  async imageSource(image: string): Promise<ContainerFacts | null> {
    const source = await this.directory.daemon.imageSourceId(image);
    return source === null || source === '' ? null : this.resolveOrNull(source);
  }
}
