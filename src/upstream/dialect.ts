import { DOCKER } from './dialects/docker.ts';
import { PODMAN } from './dialects/podman.ts';

/** The upstream kinds dockscope speaks to: one file each in dialects/. */
export type DialectName = 'docker' | 'podman';

/** UPSTREAM_KIND / `upstreamKind`: a kind, or `auto` (asked of the upstream). */
export type UpstreamKind = DialectName | 'auto';

/**
 * An answer dockscope writes itself, standing for what the upstream would answer: rendered in the
 * upstream's own words and status by its dialect.
 */
export type DaemonAnswer =
  /** A create joins a container's namespace (`HostConfig.NetworkMode` / `Cgroup` `container:<ref>`). */
  | { readonly kind: 'missingJoin'; readonly mode: 'network' | 'cgroup'; readonly ref: string }
  /** A create names a network that does not exist (or is not the client's to use). */
  | { readonly kind: 'missingNetwork'; readonly ref: string }
  /** An id prefix several swarm objects share, with the count of the visible ones. */
  | { readonly kind: 'ambiguous'; readonly what: string; readonly ref: string; readonly count: number };

/** A rendered answer: status, the text of the message, and the exact body bytes the upstream writes. */
export interface RenderedAnswer {
  readonly status: number;
  readonly message: string;
  readonly body: string;
}

/**
 * Where an upstream kind's answers differ from the others': its words for missing and conflicting
 * objects, and the attributes it puts on events. Everything dockscope writes or reads in the
 * upstream's words is here, so that a second upstream kind is one new file (issue #21).
 */
export interface Dialect {
  readonly name: DialectName;
  /** For messages: "Docker Engine", "Podman". */
  readonly display: string;
  /** The upstream's answer in its words (see DaemonAnswer). */
  render(answer: DaemonAnswer): RenderedAnswer;
  /**
   * The part of a name-conflict message (create, rename) that names the container holding the name,
   * which may be hidden: cut from the answer's text, plain or JSON (global).
   */
  readonly inUseBy: RegExp;
  /** Its answer to a container look-up by an id prefix several containers share. */
  readonly ambiguousContainer: RegExp;
  /**
   * Attributes the upstream itself puts on container events; every other attribute is one of the
   * container's labels (both merge them into `Actor.Attributes`).
   */
  readonly eventAttributes: ReadonlySet<string>;
  /**
   * The events that make cached identities and caller addresses stale: the `event` values its
   * /events filter takes for them, and the actions it then sends for a removal and a container's end.
   */
  readonly staleEvents: {
    readonly filter: readonly string[];
    readonly removed: string;
    readonly died: string;
  };
}

export const DIALECTS: Readonly<Record<DialectName, Dialect>> = { docker: DOCKER, podman: PODMAN };

export const UPSTREAM_KINDS: readonly UpstreamKind[] = ['auto', ...(Object.keys(DIALECTS) as DialectName[])];

/**
 * Which kind an upstream is, from one of its successful answers (`/version`, else `/_ping`): Podman
 * puts a `Libpod-Api-Version` header on every answer and names its "Podman Engine" in `/version`'s
 * Components; an answer with neither is dockerd's.
 */
export function detectDialect(
  version: unknown,
  headers: Readonly<Record<string, string | string[] | undefined>> | undefined,
): DialectName {
  if (headers?.['libpod-api-version'] !== undefined) return 'podman';
  if (isObject(version) && Array.isArray(version.Components)) {
    if (version.Components.some((c) => isObject(c) && c.Name === 'Podman Engine')) return 'podman';
  }
  return 'docker';
}

/** The union of every dialect's in-use words: for text whose upstream is not known yet. */
export function anyDialect(test: (d: Dialect) => boolean): boolean {
  return Object.values(DIALECTS).some(test);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What UpstreamDialect needs of the upstream's self-description (api-version.ts). */
interface KindSource {
  get(): Promise<unknown>;
  readonly kind: DialectName | null;
}

/** Why dockscope cannot answer in the upstream's words: a 502 naming the setting to fix. */
export class DialectError extends Error {
  override readonly name = 'DialectError';
}

/**
 * The dialect dockscope answers in: the one UPSTREAM_KIND (`upstreamKind`) names, or with `auto` the
 * one the upstream's own answers show (asked at start and after the event watch reconnects, with the
 * API version). Fails closed: an answer in the upstream's words is not given while `auto` cannot tell
 * the kind, nor when the named kind is not the one the upstream shows.
 */
export class UpstreamDialect {
  readonly configured: UpstreamKind;
  readonly #source: KindSource;
  readonly #display: string;

  constructor(configured: UpstreamKind, source: KindSource, display: string) {
    this.configured = configured;
    this.#source = source;
    this.#display = display;
  }

  /** The dialect, asking the upstream if it has not answered yet; rejects with a DialectError. */
  async get(): Promise<Dialect> {
    if (this.#source.kind === null) await this.#source.get();
    const seen = this.#source.kind;
    if (this.configured === 'auto') {
      if (seen === null) {
        throw new DialectError(
          `cannot tell which kind of upstream ${this.#display} is (it answered neither /version nor /_ping); set UPSTREAM_KIND (upstreamKind in a configuration file) to docker or podman`,
        );
      }
      return DIALECTS[seen];
    }
    if (seen !== null && seen !== this.configured) {
      throw new DialectError(
        `UPSTREAM_KIND (upstreamKind) is ${this.configured}, but the upstream ${this.#display} answers as ${DIALECTS[seen].display}: set it to ${seen} or auto`,
      );
    }
    return DIALECTS[this.configured];
  }

  /** The dialect when it is known and agrees with the configured kind, else null (no look-up). */
  known(): Dialect | null {
    const seen = this.#source.kind;
    if (this.configured === 'auto') return seen === null ? null : DIALECTS[seen];
    return seen === null || seen === this.configured ? DIALECTS[this.configured] : null;
  }
}

/** Every dialect's stale-making events, for a watch that must work before the kind is known. */
export const ANY_STALE_EVENTS = {
  filter: [...new Set(Object.values(DIALECTS).flatMap((d) => d.staleEvents.filter))],
  removed: new Set(Object.values(DIALECTS).map((d) => d.staleEvents.removed)),
  died: new Set(Object.values(DIALECTS).map((d) => d.staleEvents.died)),
} as const;

/** Every dialect's event attributes together: for a stream whose upstream kind is not known. */
export const ANY_EVENT_ATTRIBUTES: ReadonlySet<string> = new Set(
  Object.values(DIALECTS).flatMap((d) => [...d.eventAttributes]),
);
