import type { Logger } from 'pino';
import { DockerApiError, errors } from '../server/errors.ts';
import type { Upstream } from '../upstream/client.ts';
import type { ContainerFacts } from './container-facts.ts';
import { asLabels, FULL_ID, identityFromInspect, isObject } from './container-facts.ts';
import type { ContainerIdentity, Visibility } from './matcher.ts';
import { ownName, stripSlash } from './matcher.ts';

interface Entry {
  readonly facts: ContainerFacts;
  readonly expires: number;
}

const MAX_ENTRIES = 10_000;

/** The daemon's refusal of an id prefix that several containers share. */
const AMBIGUOUS = /multiple IDs found with provided prefix/i;

function messageOf(body: unknown): string {
  return isObject(body) && typeof body.message === 'string' ? body.message : '';
}

/**
 * Turns a container reference (full id, id prefix or name) into facts and a visibility decision.
 *
 * Decisions are cached by full id only. Names and id prefixes are always resolved fresh through the
 * daemon, because a name can point at another container at any moment (remove and re-create, rename);
 * the forwarded request then carries the full id that was judged, so the daemon acts on exactly the
 * container the decision was made for. A full id's decision can change only by a rename (labels are
 * immutable), so it is trusted for `ttlMs`, or longer while the event watch confirms no rename.
 */
export class ContainerResolver {
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<ContainerFacts | null>>();
  readonly #execs = new Map<string, string>();
  #ttlMs: number;
  /**
   * Bumped by every invalidation. A look-up that started before a rename or removal was reported may
   * carry the old name: its answer serves the request that asked, but is not cached.
   */
  #epoch = 0;
  /** Counts upstream look-ups, for the benchmark and tests. */
  lookups = 0;

  private readonly upstream: Upstream;
  private readonly visibility: Visibility;
  private readonly baseTtlMs: number;
  private readonly log: Logger;

  constructor(upstream: Upstream, visibility: Visibility, baseTtlMs: number, log: Logger) {
    this.upstream = upstream;
    this.visibility = visibility;
    this.baseTtlMs = baseTtlMs;
    this.log = log;
    this.#ttlMs = baseTtlMs;
  }

  /** While the daemon's events confirm renames and removals, full-id decisions may live longer. */
  setWatching(watching: boolean): void {
    this.#ttlMs = watching ? Math.max(this.baseTtlMs, 10 * 60_000) : this.baseTtlMs;
    this.clear();
  }

  /** The current invalidation epoch: pass it to `remember` for facts read from an answer begun now. */
  get epoch(): number {
    return this.#epoch;
  }

  /** With no rules every container is visible: nothing needs judging. */
  get seesAll(): boolean {
    return this.visibility.seesAll === true;
  }

  isVisible(identity: ContainerIdentity): boolean {
    return this.visibility(identity);
  }

  /**
   * Records facts from an inspect body (no extra look-up later). `since` is the epoch when the answer
   * was asked for: if a container was invalidated meanwhile, the facts are returned but not cached.
   */
  remember(identity: ContainerIdentity & { id: string }, since?: number): ContainerFacts {
    const facts: ContainerFacts = { ...identity, visible: this.visibility(identity) };
    if (since !== undefined && since !== this.#epoch) return facts;
    if (this.#cache.size >= MAX_ENTRIES) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(facts.id, { facts, expires: Date.now() + this.#ttlMs });
    return facts;
  }

  invalidate(id: string): void {
    this.#epoch++;
    this.#cache.delete(id);
  }

  clear(): void {
    this.#epoch++;
    this.#cache.clear();
  }

  /** The cached decision for a full id, if still trusted. */
  cached(id: string): ContainerFacts | undefined {
    const entry = this.#cache.get(id);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) {
      this.#cache.delete(id);
      return undefined;
    }
    return entry.facts;
  }

  /** Facts for a reference, or null when the daemon has no such container. */
  async resolve(ref: string): Promise<ContainerFacts | null> {
    if (FULL_ID.test(ref)) {
      const hit = this.cached(ref);
      if (hit) return hit;
    }
    const pending = this.#inflight.get(ref);
    if (pending) return pending;
    const lookup = this.#lookup(ref).finally(() => this.#inflight.delete(ref));
    this.#inflight.set(ref, lookup);
    return lookup;
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

  async #lookup(ref: string): Promise<ContainerFacts | null> {
    if (!ref.isWellFormed()) return null;
    this.lookups++;
    const started = this.#epoch;
    const res = await this.upstream
      .getJson(`/containers/${encodeURIComponent(ref)}/json`)
      .catch((error: unknown) => {
        throw errors.upstream(this.upstream.display, error);
      });
    if (res.status === 404) return null;
    if (res.status !== 200 && AMBIGUOUS.test(messageOf(res.body))) return this.#disambiguate(ref);
    const identity = res.status === 200 ? identityFromInspect(res.body) : null;
    if (!identity) {
      this.log.warn({ status: res.status }, 'container look-up failed upstream');
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking a container');
    }
    const facts = this.remember(identity, started);
    // `parent/alias` is a legacy link name: the daemon finds the linked container through the parent,
    // so the name says the parent exists. Through a parent the client may not see, it is missing.
    const bare = stripSlash(ref);
    const slash = bare.lastIndexOf('/');
    if (slash > 0 && !(await this.resolve(bare.slice(0, slash)))?.visible) return null;
    return facts;
  }

  /**
   * An id prefix that several containers share: the daemon refuses it, and that refusal would tell
   * the client a hidden container shares the prefix. Resolved among the containers the client may
   * see instead: one is that container, none is a missing one, several is the daemon's refusal.
   */
  async #disambiguate(prefix: string): Promise<ContainerFacts | null> {
    if (!/^[0-9a-f]+$/.test(prefix))
      throw errors.upstreamStatus(this.upstream.display, 500, 'checking a container');
    // The whole list: the daemon's `id` filter does not match by prefix. Rare (a shared prefix) and bounded.
    const res = await this.upstream.getJson('/containers/json?all=1').catch((error: unknown) => {
      throw errors.upstream(this.upstream.display, error);
    });
    if (res.status !== 200 || !Array.isArray(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'listing containers');
    }
    const visible: (ContainerIdentity & { id: string })[] = [];
    for (const summary of res.body) {
      if (!isObject(summary) || typeof summary.Id !== 'string' || !summary.Id.startsWith(prefix)) continue;
      const names = Array.isArray(summary.Names)
        ? summary.Names.filter((n): n is string => typeof n === 'string')
        : [];
      const identity = { id: summary.Id, name: ownName(names), labels: asLabels(summary.Labels) };
      if (this.visibility(identity)) visible.push(identity);
    }
    if (visible.length > 1)
      throw new DockerApiError(500, `Multiple IDs found with provided prefix: ${prefix}`, 'invalid');
    const only = visible[0];
    return only ? this.remember(only) : null;
  }

  /**
   * The container an image was committed from (`Container`, up to API 1.44): its facts, or null when the
   * image names none, names one that is gone, or cannot be read (the daemon then answers the request).
   */
  async imageSource(image: string): Promise<ContainerFacts | null> {
    const res = await this.upstream
      .getJson(`/images/${encodeURIComponent(image)}/json`)
      .catch((error: unknown) => {
        throw errors.upstream(this.upstream.display, error);
      });
    const source = res.status === 200 && isObject(res.body) ? res.body.Container : undefined;
    return typeof source === 'string' && source !== '' ? this.resolveOrNull(source) : null;
  }

  /** The container an exec instance belongs to (exec ids never move between containers). */
  async execContainer(execId: string): Promise<ContainerFacts | null> {
    let containerId = this.#execs.get(execId);
    if (!containerId) {
      this.lookups++;
      const res = await this.upstream
        .getJson(`/exec/${encodeURIComponent(execId)}/json`)
        .catch((error: unknown) => {
          throw errors.upstream(this.upstream.display, error);
        });
      if (res.status === 404) return null;
      if (res.status !== 200 || !isObject(res.body) || typeof res.body.ContainerID !== 'string') {
        throw errors.upstreamStatus(this.upstream.display, res.status, 'checking an exec instance');
      }
      containerId = res.body.ContainerID;
      this.rememberExec(execId, containerId);
    }
    return this.resolve(containerId);
  }

  rememberExec(execId: string, containerId: string): void {
    if (this.#execs.size >= MAX_ENTRIES) {
      const oldest = this.#execs.keys().next().value;
      if (oldest !== undefined) this.#execs.delete(oldest);
    }
    this.#execs.set(execId, containerId);
  }
}
