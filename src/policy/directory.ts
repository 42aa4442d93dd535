import type { Logger } from 'pino';
import type { Upstream } from '../upstream/client.ts';
import type { Found, Identity } from '../upstream/daemon-client.ts';
import { DaemonClient } from '../upstream/daemon-client.ts';
import type { UpstreamKind } from '../upstream/dialect.ts';

interface Entry {
  readonly identity: Identity;
  readonly expires: number;
}

const MAX_ENTRIES = 10_000;

/**
 * What the daemon says containers are, shared by every client: identities (id, name, labels) looked
 * up through the daemon client and cached by full id, and the container of each exec instance. It
 * knows no client and decides nothing; each client's resolver (resolver.ts) computes its own
 * visibility from these identities, so clients share the cache but never a decision.
 *
 * Names and id prefixes are always looked up fresh, because a name can point at another container at
 * any moment (remove and re-create, rename). A full id's identity can change only by a rename (labels
 * are immutable), so it is trusted for CACHE_TTL, and dropped at once when the event watch reports one.
 */
export class ContainerDirectory {
  readonly #cache = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<Found>>();
  readonly #execs = new Map<string, string>();
  /**
   * Bumped by every invalidation. A look-up that started before a rename or removal was reported may
   * carry the old name: its answer serves the request that asked, but is not cached.
   */
  #epoch = 0;
  /** Counts decisions answered from the cache (metrics). */
  hits = 0;

  /** The daemon's answers, uncached: every other look-up the policy makes goes through it. */
  readonly daemon: DaemonClient;
  private readonly baseTtlMs: number;

  constructor(upstream: Upstream, baseTtlMs: number, log: Logger, kind: UpstreamKind = 'auto') {
    this.daemon = new DaemonClient(upstream, log, kind);
    this.baseTtlMs = baseTtlMs;
  }

  /** Upstream look-ups so far (the daemon client's count), for the benchmark, the metrics and tests. */
  get lookups(): number {
    return this.daemon.lookups;
  }

  /**
   * The event watch went up or down: events may have been missed around it, so nothing cached before
   * is trusted. Identities are trusted for CACHE_TTL either way: Docker sends no heartbeat, so a stream
   * that stalled silently cannot be told from one with nothing to report, and a rename it never
   * delivered must not keep a decision for longer (#27). The watch makes renames count at once.
   */
  setWatching(_watching: boolean): void {
    this.clear();
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Caches an identity read from the daemon; not when an invalidation happened since `since`. */
  store(identity: Identity, since?: number): void {
    if (since !== undefined && since !== this.#epoch) return;
    if (this.#cache.size >= MAX_ENTRIES) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    this.#cache.set(identity.id, { identity, expires: Date.now() + this.baseTtlMs });
  }

  invalidate(id: string): void {
    this.#epoch++;
    this.#cache.delete(id);
  }

  clear(): void {
    this.#epoch++;
    this.#cache.clear();
  }

  /** The cached identity of a full id, if still trusted. */
  cached(id: string): Identity | undefined {
    const entry = this.#cache.get(id);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) {
      this.#cache.delete(id);
      return undefined;
    }
    this.hits++;
    return entry.identity;
  }

  /** Looks a reference up through the daemon (concurrent look-ups of one reference share a request). */
  lookup(ref: string): Promise<Found> {
    const pending = this.#inflight.get(ref);
    if (pending) return pending;
    const lookup = this.#lookup(ref).finally(() => this.#inflight.delete(ref));
    this.#inflight.set(ref, lookup);
    return lookup;
  }

  async #lookup(ref: string): Promise<Found> {
    const started = this.#epoch;
    const found = await this.daemon.container(ref);
    if (found !== null && !('ambiguous' in found)) this.store(found, started);
    return found;
  }

  /** The container an exec instance belongs to (exec ids never move between containers), or null. */
  async execOwner(execId: string): Promise<string | null> {
    const known = this.#execs.get(execId);
    if (known) return known;
    const owner = await this.daemon.execContainer(execId);
    if (owner !== null) this.rememberExec(execId, owner);
    return owner;
  }

  rememberExec(execId: string, containerId: string): void {
    if (this.#execs.size >= MAX_ENTRIES) {
      const oldest = this.#execs.keys().next().value;
      if (oldest !== undefined) this.#execs.delete(oldest);
    }
    this.#execs.set(execId, containerId);
  }
}
