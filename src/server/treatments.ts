import type { IncomingMessage } from 'node:http';
import type { Transform } from 'node:stream';
import { isObject } from '../policy/container-facts.ts';
import type { Forwarding, TreatmentName } from '../policy/decide.ts';
import { EventVisibility } from '../policy/event-visibility.ts';
import type { ContainerIdentity } from '../policy/matcher.ts';
import { images } from '../policy/owned/images.ts';
import { isShown } from '../policy/owned/scope.ts';
import { volumes } from '../policy/owned/volumes.ts';
import type { Ownership } from '../policy/ownership.ts';
import { nameTaken } from '../policy/ownership.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { removeInUseBy, scrubIdsInText } from '../transforms/conflict.ts';
import {
  containerListFilter,
  isVisibleSummary,
  scopedHostConfig,
  scopedNames,
} from '../transforms/container-list.ts';
import { filterImageHistory, filterImageInspect, imageListFilter } from '../transforms/images.ts';
import type { ContainerCounts } from '../transforms/info.ts';
import { rewriteInfoCounts } from '../transforms/info.ts';
import { filterInspect } from '../transforms/inspect.ts';
import { filterInspectText } from '../transforms/inspect-text.ts';
import { NdjsonFilter } from '../transforms/ndjson-filter.ts';
import { filterNetwork, filterNetworkList } from '../transforms/networks.ts';
import { filterSystemDf } from '../transforms/system-df.ts';
import { SWARM_TREATMENTS } from './swarm-treatments.ts';

/** With ownership, the predicate that keeps the client's own and nobody's images (issue #23). */
function shownImages(ctx: RespondContext): ((labels: unknown) => boolean) | undefined {
  const owner = ctx.owner;
  if (!owner) return undefined;
  return (labels) => isShown(images, isObject(labels) ? labels : {}, owner);
}

/** With ownership, the predicate that keeps only the client's own volumes in answers that list them. */
function ownedVolumes(ctx: RespondContext): ((labels: unknown) => boolean) | undefined {
  const owner = ctx.owner;
  if (!owner) return undefined;
  return (labels) => isObject(labels) && isShown(volumes, labels, owner);
}

export interface RespondContext {
  readonly resolver: ContainerResolver;
  readonly scrubEnvs: boolean;
  /** With ownership, volume and network events are the client's own only. */
  readonly owner: Ownership | null;
  readonly upstreamDisplay: string;
  readonly countVisible: () => Promise<ContainerCounts>;
  /** Asks the upstream directly (for the daemon's answer about a container that cannot exist). */
  readonly open: (method: string, path: string) => Promise<IncomingMessage>;
}

/** What a rewrite returns when the answer turned out to be about a hidden container. */
export const HIDDEN = Symbol('hidden');

/** A response body dockscope rewrites after reading it whole (bounded): returns the new body or an error. */
type BodyRewrite = (
  body: unknown,
  ctx: RespondContext,
  forward: Forwarding,
) => Promise<unknown | typeof HIDDEN>;

/**
 * The same rewrite on the answer's text, without parsing it whole (issue #26): the new text, HIDDEN, or
 * null for an answer it does not take on (then `rewrite` decides on the parsed body).
 */
type TextFirst = (
  text: string,
  ctx: RespondContext,
  forward: Forwarding,
) => Promise<string | typeof HIDDEN | null>;

const OK = (status: number) => status === 200;

/**
 * How the answer of each treatment name travels back. The table is total: a name without its treatment does not
 * compile. A treatment that does not apply to the status (an error answer) is relayed as sent.
 */
export type Treatment =
  | { readonly via: 'pipe' }
  | { readonly via: 'stream'; readonly make: (ctx: RespondContext, forward: Forwarding) => Filtered }
  | {
      readonly via: 'rewrite';
      readonly applies: (status: number) => boolean;
      readonly rewrite: BodyRewrite;
      readonly textFirst?: TextFirst;
    }
  /** Read whole and rewritten as text (any content type): error answers that may name containers. */
  | { readonly via: 'text'; readonly applies: (status: number) => boolean; readonly rewrite: TextRewrite }
  | { readonly via: 'missing' };

type TextRewrite = (text: string, ctx: RespondContext) => Promise<string>;

/** A filtering stream and how many elements it has left out so far (for the access log). */
interface Filtered {
  readonly stream: Transform;
  readonly dropped: () => number;
  /**
   * The byte a well-formed answer starts with, and what it is (for the 502 otherwise), when the answer
   * comes at once: the list is looked at before the head goes out. A stream that may stay quiet
   * (events) has none: its head must go out at once.
   */
  readonly startsWith?: { readonly byte: number; readonly expected: string };
}

export const TREATMENTS: Readonly<Record<TreatmentName, Treatment>> = {
  relay: { via: 'pipe' },
  restoreMissing: { via: 'missing' },
  filterContainerList: {
    via: 'stream',
    make: (ctx, forward) => {
      // The list is filtered as it streams, with no look-up: a network mode naming a container is kept
      // only when that container's decision is cached as visible (fail closed).
      const stream = containerListFilter(
        (c) => ctx.resolver.isVisible(c),
        forward.limit,
        (id) => ctx.resolver.cached(id)?.visible === true,
      );
      return { stream, dropped: () => stream.dropped, startsWith: { byte: 0x5b, expected: 'a JSON array' } };
    },
  },
  filterEvents: {
    via: 'stream',
    make: (ctx) => {
      const events = new EventVisibility(ctx.resolver, ctx.owner);
      return {
        stream: new NdjsonFilter((event) => events.decide(event)),
        dropped: () => events.dropped,
      };
    },
  },
  judgeContainerInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx, forward) => {
      const outcome = await filterInspect(body, ctx.resolver, ctx.scrubEnvs, forward.epoch);
      return outcome.visible ? outcome.body : HIDDEN;
    },
    textFirst: async (text, ctx, forward) => {
      const outcome = await filterInspectText(text, ctx.resolver, ctx.scrubEnvs, forward.epoch);
      return outcome === null ? null : outcome.visible ? outcome.text : HIDDEN;
    },
  },
  filterNetworkInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => filterNetwork(body, visibleId(ctx)),
  },
  filterNetworkList: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => filterNetworkList(body, visibleId(ctx)),
  },
  filterSystemDf: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx) => {
      const visibility = (c: ContainerIdentity) => ctx.resolver.isVisible(c);
      const isVisibleId = visibleId(ctx);
      return filterSystemDf(
        body,
        (summary) => isVisibleSummary(visibility, summary),
        async (summary) => {
          const names = scopedNames(summary, visibility);
          if (names) summary.Names = names;
          const mode = isObject(summary.HostConfig) ? summary.HostConfig.NetworkMode : undefined;
          const ref = typeof mode === 'string' && mode.startsWith('container:') ? mode.slice(10) : null;
          const host =
            ref !== null && !(await isVisibleId(ref)) ? scopedHostConfig(summary, () => false) : null;
          if (host) summary.HostConfig = host;
        },
        ownedVolumes(ctx),
        shownImages(ctx),
      );
    },
  },
  filterImageList: {
    via: 'stream',
    make: (ctx) => {
      const stream = imageListFilter(shownImages(ctx) ?? (() => true));
      return { stream, dropped: () => stream.dropped, startsWith: { byte: 0x5b, expected: 'a JSON array' } };
    },
  },
  judgeImageInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) =>
      // With ownership, another owner's image (by the labels in the answer) is a missing one.
      isObject(body) && isObject(body.Config) && shownImages(ctx)?.(body.Config.Labels) === false
        ? Promise.resolve(HIDDEN)
        : filterImageInspect(
            body,
            async (id) => {
              const facts = await ctx.resolver.resolveOrNull(id);
              return facts ? (facts.visible ? 'visible' : 'hidden') : 'missing';
            },
            ctx.scrubEnvs,
          ),
  },
  filterImageHistory: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) =>
      filterImageHistory(
        body,
        // An image that cannot be read, or a failed look-up, is null: its layer fails closed.
        (id) => ctx.resolver.daemon.imageSourceId(id).catch(() => null),
        visibleId(ctx),
      ),
  },
  countInfo: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => rewriteInfoCounts(body, ctx.countVisible),
  },
  cutConflictId: {
    via: 'text',
    // dockerd answers a taken name 409, Podman 500 (measured): every error answer is cut, as sent.
    applies: (status) => status >= 400,
    rewrite: async (text) => removeInUseBy(text),
  },
  checkVolumeOwner: {
    via: 'rewrite',
    applies: (status) => status === 201,
    // Checked before, and again on the answer: another client may have made the name in between.
    rewrite: async (body, ctx) => {
      const name = isObject(body) && typeof body.Name === 'string' ? body.Name : '';
      if (
        !ctx.owner ||
        !isObject(body) ||
        !isShown(volumes, isObject(body.Labels) ? body.Labels : null, ctx.owner)
      ) {
        throw nameTaken('volume', name);
      }
      return body;
    },
  },
  dropNetworkWarning: {
    via: 'rewrite',
    applies: (status) => status === 201,
    rewrite: async (body) => {
      if (isObject(body) && typeof body.Warning === 'string') body.Warning = '';
      return body;
    },
  },
  cutErrorIds: {
    via: 'text',
    applies: (status) => status >= 400,
    rewrite: (text, ctx) => scrubIdsInText(text, visibleId(ctx)),
  },
  ...SWARM_TREATMENTS,
};

export function visibleId(ctx: Pick<RespondContext, 'resolver'>) {
  return async (id: string) => (await ctx.resolver.resolveOrNull(id))?.visible ?? false;
}
