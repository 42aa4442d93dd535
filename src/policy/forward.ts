import type { Route } from '../routes/route.ts';
import type { RequestTarget } from '../routes/target.ts';
import type { CreateRules } from './create-rules.ts';
import type { MissingRef } from './missing.ts';
import type { Ownership } from './ownership.ts';
import type { RegistryLists } from './registry-lists.ts';
import type { ContainerResolver } from './resolver.ts';
import type { ResourceLimits } from './resource-limits.ts';

/**
 * What a decision takes and gives (decide.ts and the route-family modules it calls): the request's
 * facts, the client's context, and the Forwarding. Its own module, so that the modules `decide` calls
 * import these without importing `decide` (issue #21: the decide import loop).
 */

/**
 * How the upstream's answer is treated on its way back: each name says what is done to it (`relay`
 * as sent, `filter…` entries or fields the client may not see left out, `judge…` the answer decides
 * visibility, `cut…` hidden ids cut from an error, `restoreMissing` the typed reference put back),
 * never which route or state it came from: routes map to a name (ROUTE_TREATMENT, decide.ts).
 */
export type TreatmentName =
  | 'relay'
  | 'filterContainerList'
  | 'judgeContainerInspect'
  | 'filterEvents'
  | 'filterNetworkList'
  | 'filterNetworkInspect'
  | 'filterSystemDf'
  | 'cutConflictId'
  | 'countInfo'
  /** An error message may name containers (volume or image in use): hidden ids are cut out. */
  | 'cutErrorIds'
  /** Image inspect and history: what came from a container the client may not see is removed. */
  | 'judgeImageInspect'
  | 'filterImageHistory'
  /** The image list of an owner: another owner's images are left out. */
  | 'filterImageList'
  /** The request was sent with sentinels for hidden references: the daemon's answer, references put back. */
  | 'restoreMissing'
  /** An owner's volume create: the volume answered must carry its owner label. */
  | 'checkVolumeOwner'
  /** An owner's network create: the daemon's `Warning` (which names another network's id) is dropped. */
  | 'dropNetworkWarning'
  /** Services, secrets, configs: only the visible ones (by Spec.Name and Spec.Labels). */
  | 'filterSwarmList'
  /** A service, secret or config judged on its answer: hidden → the daemon asked about a sentinel. */
  | 'judgeSwarmInspect'
  /** Tasks of visible services only; ids of hidden containers blanked. */
  | 'filterTaskList'
  | 'judgeTaskInspect';

/** The routes whose answer has one treatment, whoever asks: read routes passed on as they are. */
export const ROUTE_TREATMENT = {
  events: 'filterEvents',
  info: 'countInfo',
  systemDf: 'filterSystemDf',
  imageInspect: 'judgeImageInspect',
  imageHistory: 'filterImageHistory',
} as const satisfies Record<
  Extract<Route['kind'], 'events' | 'info' | 'systemDf' | 'imageInspect' | 'imageHistory'>,
  TreatmentName
>;

/** The outcome of an allowed request; a refused one is a thrown DockerApiError. */
export interface Forwarding {
  /** The request target to send upstream: the canonical one, with container references replaced by full ids. */
  readonly path: string;
  readonly treatment: TreatmentName;
  /** The canonical JSON body to send instead of the client's: exactly what was judged. */
  readonly body?: string;
  /** Runs when the upstream answered, e.g. to forget a renamed or removed container. */
  readonly after?: (status: number) => void;
  /** With `treatment: 'restoreMissing'`: the sentinels that stand for what the client typed. */
  readonly missing?: readonly MissingRef[];
  /** Inspect is judged on its answer: if the container is hidden, the daemon is asked this instead. */
  readonly ifHidden?: { readonly path: string; readonly ref: MissingRef };
  /** Keep at most this many visible entries of a container list (the client's `limit`). */
  readonly limit?: number;
  /** The resolver's epoch when the request was decided (facts read from its answer are cached only if none moved). */
  readonly epoch?: number;
}

export interface DecideInput {
  readonly method: string;
  readonly target: RequestTarget;
  readonly route: Route;
  /** The canonical raw request target (path and query) as the client sent it. */
  readonly raw: string;
  /** Reads the request body as text (bounded, UTF-8); only called for routes whose body is judged. */
  readonly readBody: () => Promise<string>;
  /** The BuildKit sessions and build ids of this client (build routes); absent: none are its. */
  readonly builds?: BuildClaims;
}

/** What a request is decided with: the client's view of the containers and its create rules. */
export interface DecideContext {
  readonly resolver: ContainerResolver;
  /** null: no create rules (a client that sees every container, or rules turned off). */
  readonly create: CreateRules | null;
  /** null: no ownership (nothing is labelled; volumes and networks are not scoped). */
  readonly owner: Ownership | null;
  /** Resource maxima and defaults of creates and updates; absent or null: none. */
  readonly limits?: ResourceLimits | null;
  /** The registries the daemon may contact for this client; absent or null: no lists. */
  readonly registries?: RegistryLists | null;
}

export function prefix(target: RequestTarget): string {
  return target.version === null ? '' : `/v${target.version}`;
}

/** A path with a query, or without one when the query is empty. */
export function withQuery(path: string, query: URLSearchParams | string): string {
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** A forward whose references were replaced by sentinels: the client gets the daemon's "missing" answer. */
export function asMissing(path: string, missing: readonly MissingRef[], body?: string): Forwarding {
  return body === undefined
    ? { path, treatment: 'restoreMissing', missing }
    : { path, treatment: 'restoreMissing', missing, body };
}

/**
 * BuildKit sessions and build ids as one client's request sees them (kept by
 * server/build-sessions.ts). A session serves the build's context, Dockerfile, registry auth, secrets
 * and ssh agent to whichever build names its id, on any connection (issue #25): a build may name only
 * a session its own client opened. What a request claims is held for its client until it ends.
 */
export interface BuildClaims {
  /**
   * The session this request's build names: `claimed` when this client opened it (it stays this
   * client's while the request lasts), `other` when another client did, `none` when no session of
   * that id opened within the bounded wait (the CLI opens it alongside the build).
   */
  claimSession(id: string): Promise<'claimed' | 'other' | 'none'>;
  /** The build id held for this client while the request lasts; `other` if another client holds it. */
  claimBuild(id: string): 'claimed' | 'other' | 'full';
  /** Ends this client's session of that id (its build was refused). */
  endSession(id: string): void;
  /** Whether a running build of this client has this id (what `/build/cancel` may cancel). */
  ownsBuild(id: string): boolean;
}
