import type { Logger } from 'pino';
import { errors } from '../errors.ts';
import { UpstreamApiVersion } from '../upstream/api-version.ts';
import type { Upstream } from '../upstream/client.ts';
import type { UpstreamKind } from '../upstream/dialect.ts';
import { anyDialect, UpstreamDialect } from '../upstream/dialect.ts';
import { asLabels, identityFromInspect, isObject } from './container-facts.ts';
import type { ContainerIdentity } from './matcher.ts';
import { ownName } from './matcher.ts';

export interface NetworkFacts {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A volume as `GET /volumes/{name}` shows it. */
export interface VolumeFacts {
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
  readonly labels: Record<string, string>;
}

/** An image as `GET /images/{ref}/json` shows it: its id, labels and source container. */
export interface ImageFacts {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly container: string;
}

/** A container as the daemon names it: what every client's visibility is computed from. */
export type Identity = ContainerIdentity & { readonly id: string };

interface Entry {
  readonly identity: Identity;
  readonly expires: number;
}

const MAX_ENTRIES = 10_000;

/**
 * The upstream's refusal of an id prefix that several containers share, in any dialect's words:
 * asked before the status, since Podman answers it with a 404.
 */
const isAmbiguous = (body: unknown): boolean => anyDialect((d) => d.ambiguousContainer.test(messageOf(body)));

/** What a look-up of a reference found: a container, none, or an id prefix several containers share. */
export type Found = Identity | null | { readonly ambiguous: true };

function messageOf(body: unknown): string {
  return isObject(body) && typeof body.message === 'string' ? body.message : '';
}

/**
 * What the daemon says containers are, shared by every client: identities (id, name, labels) looked
 * up through the daemon and cached by full id. It knows no client and decides nothing; each client's
 * resolver (resolver.ts) computes its own visibility from these identities, so clients share the
 * cache but never a decision.
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
  /** Counts upstream look-ups, for the benchmark and tests. */
  lookups = 0;
  /** Counts decisions answered from the cache (metrics). */
  hits = 0;

  /** The upstream's API version, which says how bodies are decoded (body/body-rules.ts). */
  readonly apiVersion: UpstreamApiVersion;
  /** Which kind of upstream this is, for answers in its words (upstream/dialect.ts). */
  readonly dialect: UpstreamDialect;
  private readonly upstream: Upstream;
  private readonly baseTtlMs: number;
  private readonly log: Logger;

  constructor(upstream: Upstream, baseTtlMs: number, log: Logger, kind: UpstreamKind = 'auto') {
    this.upstream = upstream;
    this.apiVersion = new UpstreamApiVersion(upstream);
    this.dialect = new UpstreamDialect(kind, this.apiVersion, upstream.display);
    this.baseTtlMs = baseTtlMs;
    this.log = log;
  }

  /** A JSON look-up upstream; a transport failure is the Docker-style upstream error. */
  #get(path: string) {
    return this.upstream.getJson(path).catch((error: unknown) => {
      throw errors.upstream(this.upstream.display, error);
    });
  }

  /** A JSON look-up of another kind of object (policy/swarm-lookups.ts); bounded like every look-up. */
  getJson(path: string) {
    this.lookups++;
    return this.#get(path);
  }

  #post(path: string, body: string) {
    return this.upstream.postJson(path, body).catch((error: unknown) => {
      throw errors.upstream(this.upstream.display, error);
    });
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
    if (!ref.isWellFormed()) return null;
    this.lookups++;
    const started = this.#epoch;
    const res = await this.#get(`/containers/${encodeURIComponent(ref)}/json`);
    if (res.status !== 200 && isAmbiguous(res.body)) return { ambiguous: true };
    if (res.status === 404) return null;
    const identity = res.status === 200 ? identityFromInspect(res.body) : null;
    if (!identity) {
      this.log.warn({ status: res.status }, 'container look-up failed upstream');
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking a container');
    }
    this.store(identity, started);
    return identity;
  }

  /** Every container's list entry (for resolving an ambiguous id prefix among visible ones). */
  async listAll(): Promise<unknown[]> {
    const res = await this.#get('/containers/json?all=1');
    if (res.status !== 200 || !Array.isArray(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'listing containers');
    }
    return res.body;
  }

  /** The container an exec instance belongs to (exec ids never move between containers), or null. */
  async execOwner(execId: string): Promise<string | null> {
    const known = this.#execs.get(execId);
    if (known) return known;
    this.lookups++;
    const res = await this.#get(`/exec/${encodeURIComponent(execId)}/json`);
    if (res.status === 404) return null;
    if (res.status !== 200 || !isObject(res.body) || typeof res.body.ContainerID !== 'string') {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking an exec instance');
    }
    this.rememberExec(execId, res.body.ContainerID);
    return res.body.ContainerID;
  }

  rememberExec(execId: string, containerId: string): void {
    if (this.#execs.size >= MAX_ENTRIES) {
      const oldest = this.#execs.keys().next().value;
      if (oldest !== undefined) this.#execs.delete(oldest);
    }
    this.#execs.set(execId, containerId);
  }

  /** Every container (running or not) that mounts the named volume: who may see its data. */
  async volumeUsers(volume: string): Promise<Identity[]> {
    const filters = encodeURIComponent(JSON.stringify({ volume: { [volume]: true } }));
    const res = await this.#get(`/containers/json?all=1&filters=${filters}`);
    if (res.status !== 200 || !Array.isArray(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'listing the users of a volume');
    }
    return res.body.filter(isObject).map((summary) => ({
      id: typeof summary.Id === 'string' ? summary.Id : '',
      name: ownName(
        Array.isArray(summary.Names) ? summary.Names.filter((n): n is string => typeof n === 'string') : [],
      ),
      labels: asLabels(summary.Labels),
    }));
  }

  /** A network as the daemon finds it by name, id or id prefix; null when it has none. */
  async network(ref: string): Promise<NetworkFacts | null | { readonly ambiguous: true }> {
    if (!ref.isWellFormed()) return null;
    const res = await this.#get(`/networks/${encodeURIComponent(ref)}`);
    if (res.status === 404) return null;
    // An id prefix (or name) that several networks share: the daemon's 400 names how many.
    if (res.status === 400 && /ambiguous/i.test(messageOf(res.body))) return { ambiguous: true };
    const body = res.body;
    if (
      res.status !== 200 ||
      !isObject(body) ||
      typeof body.Id !== 'string' ||
      typeof body.Driver !== 'string'
    ) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking a network');
    }
    return {
      id: body.Id,
      name: typeof body.Name === 'string' ? body.Name : '',
      driver: body.Driver,
      labels: asLabels(body.Labels),
    };
  }

  /** Networks carrying a label (`key=value`): an owner's networks. */
  async networksLabelled(label: string): Promise<NetworkFacts[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: { [label]: true } }));
    const res = await this.#get(`/networks?filters=${filters}`);
    if (res.status !== 200 || !Array.isArray(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'listing networks');
    }
    return res.body
      .filter(isObject)
      .filter((n) => typeof n.Id === 'string')
      .map((n) => ({
        id: String(n.Id),
        name: typeof n.Name === 'string' ? n.Name : '',
        driver: typeof n.Driver === 'string' ? n.Driver : '',
        labels: asLabels(n.Labels),
      }));
  }

  /** A volume's labels, or null when the daemon has no volume of that name. */
  async volumeLabels(name: string): Promise<Record<string, string> | null> {
    return (await this.volume(name))?.labels ?? null;
  }

  /** A volume as the daemon stores it (driver, options, labels), or null when it has none of that name. */
  async volume(name: string): Promise<VolumeFacts | null> {
    if (!name.isWellFormed()) return null;
    const res = await this.#get(`/volumes/${encodeURIComponent(name)}`);
    if (res.status === 404) return null;
    const body = res.body;
    if (res.status !== 200 || !isObject(body) || typeof body.Driver !== 'string') {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking a volume');
    }
    return { driver: body.Driver, options: asLabels(body.Options), labels: asLabels(body.Labels) };
  }

  /**
   * A container's whole inspect answer, fresh (what a create that joins it would inherit), or null
   * when the daemon has no such container or the reference is an id prefix several share. Bounded
   * like every look-up (UPSTREAM_TIMEOUT); never cached, since only the identity is.
   */
  async inspect(ref: string): Promise<unknown> {
    if (!ref.isWellFormed()) return null;
    this.lookups++;
    const res = await this.#get(`/containers/${encodeURIComponent(ref)}/json`);
    if (res.status === 404 || (res.status !== 200 && isAmbiguous(res.body))) return null;
    if (res.status !== 200 || !isObject(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'checking a container');
    }
    return res.body;
  }

  /** Creates a volume (a named volume a create would otherwise make without its owner label); its labels. */
  async createVolume(body: string): Promise<Record<string, string>> {
    const res = await this.#post('/volumes/create', body);
    if (res.status !== 201 || !isObject(res.body)) {
      throw errors.upstreamStatus(this.upstream.display, res.status, 'creating a volume');
    }
    return asLabels(res.body.Labels);
  }

  /**
   * An image as the daemon resolves a reference to it (name, `name:tag`, digest reference, id or id
   * prefix), fresh: a name can be moved at any moment. Null when the daemon answers anything but the
   * image (no such image, an invalid reference, an ambiguous prefix): it then answers the request.
   */
  async image(ref: string): Promise<ImageFacts | null> {
    if (!ref.isWellFormed()) return null;
    const res = await this.#get(`/images/${encodeURIComponent(ref)}/json`);
    const body = res.body;
    if (res.status !== 200 || !isObject(body) || typeof body.Id !== 'string') return null;
    const config = isObject(body.Config) ? body.Config : {};
    return {
      id: body.Id,
      labels: asLabels(config.Labels),
      // The container an image was committed from (`Container`, up to API 1.44).
      container: typeof body.Container === 'string' ? body.Container : '',
    };
  }

  /** The container an image was committed from: '' for none, null when the image cannot be read. */
  async imageSourceId(image: string): Promise<string | null> {
    return (await this.image(image))?.container ?? null;
  }
}
