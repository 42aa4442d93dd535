import type { Logger } from 'pino';
import { errors } from '../errors.ts';
import { asLabels, identityFromInspect, isObject, listedIdentity } from '../policy/container-facts.ts';
import type { ContainerIdentity } from '../policy/matcher.ts';
import { UpstreamApiVersion } from './api-version.ts';
import type { Upstream } from './client.ts';
import type { UpstreamKind } from './dialect.ts';
import { anyDialect, UpstreamDialect } from './dialect.ts';

/** A container as the daemon names it: what every client's visibility is computed from. */
export type Identity = ContainerIdentity & { readonly id: string };

/** What a look-up of a reference found: a container, none, or an id prefix several containers share. */
export type Found = Identity | null | { readonly ambiguous: true };

export interface NetworkFacts {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A volume as `GET /volumes/{name}` shows it. */
interface VolumeFacts {
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

function messageOf(body: unknown): string {
  return isObject(body) && typeof body.message === 'string' ? body.message : '';
}

/**
 * The upstream's refusal of an id prefix that several containers share, in any dialect's words:
 * asked before the status, since Podman answers it with a 404.
 */
const isAmbiguous = (body: unknown): boolean => anyDialect((d) => d.ambiguousContainer.test(messageOf(body)));

/**
 * dockscope's own questions to the daemon, typed: containers, exec instances, volumes, networks and
 * images looked up (and the one volume dockscope creates for an owner), on the look-up pool
 * (`Upstream.controlAgent`) that client traffic never takes, each bounded by UPSTREAM_TIMEOUT. A
 * transport failure or an answer that is not the object is the Docker-style upstream error; what the
 * daemon says in its own words is read through the dialect. Nothing here is cached
 * (policy/directory.ts caches container identities).
 */
export class DaemonClient {
  /** The upstream's API version, which says how bodies are decoded (body/body-rules.ts). */
  readonly apiVersion: UpstreamApiVersion;
  /** Which kind of upstream this is, for answers in its words (upstream/dialect.ts). */
  readonly dialect: UpstreamDialect;
  /** Counts container, exec and swarm look-ups, for the benchmark, the metrics and tests. */
  lookups = 0;
  readonly #upstream: Upstream;
  readonly #log: Logger;

  constructor(upstream: Upstream, log: Logger, kind: UpstreamKind = 'auto') {
    this.#upstream = upstream;
    this.#log = log;
    this.apiVersion = new UpstreamApiVersion(upstream);
    this.dialect = new UpstreamDialect(kind, this.apiVersion, upstream.display);
  }

  get display(): string {
    return this.#upstream.display;
  }

  #get(path: string) {
    return this.#upstream.getJson(path).catch((error: unknown) => {
      throw errors.upstream(this.display, error);
    });
  }

  #failed(status: number, doing: string) {
    return errors.upstreamStatus(this.display, status, doing);
  }

  /** A JSON look-up of another kind of object (upstream/swarm-lookups.ts); counted and bounded alike. */
  getJson(path: string) {
    this.lookups++;
    return this.#get(path);
  }

  /** A container by full id, id prefix or name, as the daemon finds it. */
  async container(ref: string): Promise<Found> {
    if (!ref.isWellFormed()) return null;
    this.lookups++;
    const res = await this.#get(`/containers/${encodeURIComponent(ref)}/json`);
    if (res.status !== 200 && isAmbiguous(res.body)) return { ambiguous: true };
    if (res.status === 404) return null;
    const identity = res.status === 200 ? identityFromInspect(res.body) : null;
    if (!identity) {
      this.#log.warn({ status: res.status }, 'container look-up failed upstream');
      throw this.#failed(res.status, 'checking a container');
    }
    return identity;
  }

  /**
   * A container's whole inspect answer (what a create that joins it would inherit), or null when the
   * daemon has no such container or the reference is an id prefix several share.
   */
  async inspect(ref: string): Promise<unknown> {
    if (!ref.isWellFormed()) return null;
    this.lookups++;
    const res = await this.#get(`/containers/${encodeURIComponent(ref)}/json`);
    if (res.status === 404 || (res.status !== 200 && isAmbiguous(res.body))) return null;
    if (res.status !== 200 || !isObject(res.body)) throw this.#failed(res.status, 'checking a container');
    return res.body;
  }

  /** Every container's list entry (for resolving an ambiguous id prefix among visible ones). */
  async containers(): Promise<unknown[]> {
    const res = await this.#get('/containers/json?all=1');
    if (res.status !== 200 || !Array.isArray(res.body)) throw this.#failed(res.status, 'listing containers');
    return res.body;
  }

  /** Every container (running or not) that mounts the named volume: who may see its data. */
  async volumeUsers(volume: string): Promise<Identity[]> {
    const filters = encodeURIComponent(JSON.stringify({ volume: { [volume]: true } }));
    const res = await this.#get(`/containers/json?all=1&filters=${filters}`);
    if (res.status !== 200 || !Array.isArray(res.body)) {
      throw this.#failed(res.status, 'listing the users of a volume');
    }
    return res.body.map(listedIdentity).filter((identity) => identity !== null);
  }

  /** The container an exec instance belongs to, or null when the daemon has no such exec instance. */
  async execContainer(execId: string): Promise<string | null> {
    this.lookups++;
    const res = await this.#get(`/exec/${encodeURIComponent(execId)}/json`);
    if (res.status === 404) return null;
    if (res.status !== 200 || !isObject(res.body) || typeof res.body.ContainerID !== 'string') {
      throw this.#failed(res.status, 'checking an exec instance');
    }
    return res.body.ContainerID;
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
      throw this.#failed(res.status, 'checking a network');
    }
    return networkFacts(body, body.Id);
  }

  /** Networks carrying a label (`key=value`): an owner's networks. */
  async networksLabelled(label: string): Promise<NetworkFacts[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: { [label]: true } }));
    const res = await this.#get(`/networks?filters=${filters}`);
    if (res.status !== 200 || !Array.isArray(res.body)) throw this.#failed(res.status, 'listing networks');
    return res.body
      .filter(isObject)
      .filter((n) => typeof n.Id === 'string')
      .map((n) => networkFacts(n, String(n.Id)));
  }

  /** A volume as the daemon stores it (driver, options, labels), or null when it has none of that name. */
  async volume(name: string): Promise<VolumeFacts | null> {
    if (!name.isWellFormed()) return null;
    const res = await this.#get(`/volumes/${encodeURIComponent(name)}`);
    if (res.status === 404) return null;
    const body = res.body;
    if (res.status !== 200 || !isObject(body) || typeof body.Driver !== 'string') {
      throw this.#failed(res.status, 'checking a volume');
    }
    return { driver: body.Driver, options: asLabels(body.Options), labels: asLabels(body.Labels) };
  }

  /** A volume's labels, or null when the daemon has no volume of that name. */
  async volumeLabels(name: string): Promise<Record<string, string> | null> {
    return (await this.volume(name))?.labels ?? null;
  }

  /** Creates a volume (a named volume a create would otherwise make without its owner label); its labels. */
  async createVolume(body: string): Promise<Record<string, string>> {
    const res = await this.#upstream.postJson('/volumes/create', body).catch((error: unknown) => {
      throw errors.upstream(this.display, error);
    });
    if (res.status !== 201 || !isObject(res.body)) throw this.#failed(res.status, 'creating a volume');
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

function networkFacts(body: Record<string, unknown>, id: string): NetworkFacts {
  return {
    id,
    name: typeof body.Name === 'string' ? body.Name : '',
    driver: typeof body.Driver === 'string' ? body.Driver : '',
    labels: asLabels(body.Labels),
  };
}
