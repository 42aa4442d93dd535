import type { Logger } from 'pino';
import type { Upstream } from '../upstream/client.ts';
import { readBody } from '../upstream/client.ts';
import type { CallerContainer, ListedContainer } from './caller-container.ts';
import {
  CLIENT_LABEL,
  canonicalAddress,
  endpointsAt,
  networksHolding,
  ownClientLabel,
  readListedContainer,
} from './caller-container.ts';
import { asLabels, isObject } from './container-facts.ts';

/** A whole look-up is given this long at most, heads and bodies (every wait on the upstream bounded). */
const LOOKUP_TIMEOUT_MS = 5_000;
/** Answers are read up to this size (a network of 10,000 endpoints, a list of as many containers). */
const MAX_BYTES = 64 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
const MAX_IMAGES = 1_000;

interface Entry {
  /** null: no container is (or several are) at the address. */
  readonly container: ListedContainer | null;
  readonly expires: number;
}

/**
 * Which container a TCP caller is, by its source address (issue #23). A miss looks the address up at
 * once: the networks whose subnets hold it, their endpoints (a container is a network's endpoint from
 * its connection on, before its process runs, so its first request finds it: it is never refused for
 * being early, unlike wollomatic/socket-proxy issue 83), and that container's list entry. A found
 * container is trusted for CACHE_TTL while the event watch is up; its die, destroy or network
 * disconnect drops it at once, and any network connect drops every entry, so an address a gone
 * container held does not carry its identity to the next one. Absences are never kept.
 */
export class CallerAddresses {
  readonly #entries = new Map<string, Entry>();
  /** Per address: the look-up in flight, and the one queued behind it for misses that came after it. */
  readonly #running = new Map<string, Promise<Entry>>();
  readonly #queued = new Map<string, Promise<Entry>>();
  /** Bumped by every invalidation: a look-up that began before one answers its request but is not kept. */
  #epoch = 0;
  #watching = false;
  /** Image id → its labels (an image id names immutable content). */
  readonly #images = new Map<string, Readonly<Record<string, string>>>();
  /** Look-ups sent upstream (tests, metrics). */
  lookups = 0;

  private readonly upstream: Upstream;
  private readonly ttlMs: number;
  private readonly log: Logger;

  constructor(upstream: Upstream, ttlMs: number, log: Logger) {
    this.upstream = upstream;
    this.ttlMs = ttlMs;
    this.log = log;
  }

  /** A container is gone, or left a network: its addresses no longer carry its identity. */
  forget(containerId: string): void {
    this.#epoch++;
    for (const [address, entry] of this.#entries) {
      if (entry.container?.id === containerId) this.#entries.delete(address);
    }
  }

  /** A container joined a network: it may hold an address another held a moment ago. */
  forgetAll(): void {
    this.#epoch++;
    this.#entries.clear();
  }

  /**
   * The event watch went up or down. Without it a gone container's address would keep its identity
   * for CACHE_TTL, and an address can be taken again at once (`docker run --ip`): so while it is down
   * nothing is kept, and every request from a container address is looked up.
   */
  setWatching(watching: boolean): void {
    this.#watching = watching;
    this.forgetAll();
  }

  /**
   * The container at a caller's address; null when none is (or several are), the address is of no
   * container's kind (a unix socket, link-local), or the daemon did not answer in time: each matches
   * no `container:` client (fail closed).
   */
  async locate(address: string | undefined): Promise<CallerContainer | null> {
    const canonical = address === undefined ? '' : canonicalAddress(address);
    if (canonical === '') return null;
    try {
      const cached = this.#entries.get(canonical);
      const entry = cached?.container && cached.expires >= Date.now() ? cached : await this.#fresh(canonical);
      const found = entry.container;
      if (!found) return null;
      const imageLabels =
        found.labels[CLIENT_LABEL] === undefined ? {} : await this.#imageLabels(found.imageId);
      return { ...found, client: ownClientLabel(found.labels, imageLabels) };
    } catch (error) {
      this.log.warn(
        { err: (error as Error).message },
        'caller container look-up failed: no container client matches',
      );
      return null;
    }
  }

  /** A look-up that starts after this call: one in flight may predate the caller's container. */
  #fresh(address: string): Promise<Entry> {
    const running = this.#running.get(address);
    if (!running) return this.#start(address);
    let queued = this.#queued.get(address);
    if (!queued) {
      const next = () => this.#start(address);
      queued = running.then(next, next);
      this.#queued.set(address, queued);
    }
    return queued;
  }

  #start(address: string): Promise<Entry> {
    this.#queued.delete(address);
    const started = this.#epoch;
    const run = this.#lookup(address).then((container) => {
      const entry = { container, expires: Date.now() + this.ttlMs };
      if (container && this.#watching && started === this.#epoch) {
        if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
        this.#entries.set(address, entry);
      }
      return entry;
    });
    this.#running.set(address, run);
    const clear = () => {
      if (this.#running.get(address) === run) this.#running.delete(address);
    };
    run.then(clear, clear);
    return run;
  }

  /** The one container at the address, from the networks' endpoints; null for none or several. */
  async #lookup(address: string): Promise<ListedContainer | null> {
    this.lookups++;
    const signal = AbortSignal.timeout(Math.min(LOOKUP_TIMEOUT_MS, this.upstream.timeoutMs));
    const networks = networksHolding(await this.#getJson('/networks', signal), address);
    const inspected = await Promise.all(
      networks.map((id) => this.#getJson(`/networks/${encodeURIComponent(id)}`, signal)),
    );
    const ids = new Set(inspected.flatMap((body) => endpointsAt(body, address)));
    const [id] = ids;
    if (ids.size !== 1 || id === undefined) return null;
    const filters = encodeURIComponent(JSON.stringify({ id: [id] }));
    const listed = await this.#getJson(`/containers/json?all=1&filters=${filters}`, signal);
    // The id filter matches prefixes too: only the entry of that very id counts.
    const entries = Array.isArray(listed) ? listed.map(readListedContainer) : [];
    return entries.find((c) => c?.id === id) ?? null;
  }

  async #imageLabels(imageId: string): Promise<Readonly<Record<string, string>> | null> {
    const known = this.#images.get(imageId);
    if (known) return known;
    if (imageId === '') return null;
    const signal = AbortSignal.timeout(Math.min(LOOKUP_TIMEOUT_MS, this.upstream.timeoutMs));
    const body = await this.#getJson(`/images/${encodeURIComponent(imageId)}/json`, signal);
    // Unreadable (removed since): null, and not kept, so that the next request asks again.
    if (!isObject(body) || !isObject(body.Config)) return null;
    const labels = asLabels(body.Config.Labels);
    if (this.#images.size >= MAX_IMAGES) this.#images.clear();
    this.#images.set(imageId, labels);
    return labels;
  }

  /**
   * A JSON GET on the control lane within `signal`; null for a 404 (removed since it was listed).
   * Any other failure throws: the caller is then no container's, and the log says why.
   */
  async #getJson(path: string, signal: AbortSignal): Promise<unknown> {
    const res = await this.upstream.open('GET', path, { agent: this.upstream.controlAgent, signal });
    const text = await readBody(res, MAX_BYTES);
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) throw new Error(`the upstream answered ${res.statusCode} to a look-up`);
    return JSON.parse(text) as unknown;
  }
}
