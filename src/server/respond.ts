import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import type { Forward } from '../policy/decide.ts';
import { EventVisibility } from '../policy/event-visibility.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { conflictTransform, scrubErrorIds } from '../transforms/conflict.ts';
import { containerListFilter, isVisibleSummary } from '../transforms/container-list.ts';
import type { ContainerCounts } from '../transforms/info.ts';
import { rewriteInfoCounts } from '../transforms/info.ts';
import { filterInspect } from '../transforms/inspect.ts';
import { NdjsonFilter } from '../transforms/ndjson-filter.ts';
import { filterNetwork, filterNetworkList } from '../transforms/networks.ts';
import { filterSystemDf } from '../transforms/system-df.ts';
import { BodyTooLargeError, MAX_BUFFERED_BYTES, parseJson, readBody } from '../upstream/client.ts';
import { DockerApiError, errors, sendError } from './errors.ts';
import { responseHeaders } from './headers.ts';

export interface RespondContext {
  readonly resolver: ContainerResolver;
  readonly scrubEnvs: boolean;
  readonly upstreamDisplay: string;
  readonly countVisible: () => Promise<ContainerCounts>;
}

/** A response body dockscope rewrites after reading it whole (bounded): returns the new body or an error. */
type BodyRewrite = (body: unknown, ctx: RespondContext, ref: string) => Promise<unknown | DockerApiError>;

const OK = (status: number) => status === 200;

const REWRITES: Partial<
  Record<Forward['response'], { applies: (status: number) => boolean; rewrite: BodyRewrite }>
> = {
  containerInspect: {
    applies: OK,
    rewrite: async (body, ctx, ref) => {
      const outcome = filterInspect(body, ctx.resolver, ctx.scrubEnvs);
      return outcome.visible ? outcome.body : errors.noSuchContainer(ref);
    },
  },
  networkInspect: { applies: OK, rewrite: (body, ctx) => filterNetwork(body, visibleId(ctx)) },
  networkList: { applies: OK, rewrite: (body, ctx) => filterNetworkList(body, visibleId(ctx)) },
  systemDf: {
    applies: OK,
    rewrite: async (body, ctx) =>
      filterSystemDf(body, (summary) => isVisibleSummary((c) => ctx.resolver.isVisible(c), summary)),
  },
  info: { applies: OK, rewrite: (body, ctx) => rewriteInfoCounts(body, ctx.countVisible) },
  conflict: { applies: (status) => status === 409, rewrite: async (body) => conflictTransform(body) },
  errorIds: {
    applies: (status) => status >= 400,
    rewrite: (body, ctx) => scrubErrorIds(body, visibleId(ctx)),
  },
};

const STREAMS: Partial<Record<Forward['response'], (ctx: RespondContext) => Transform>> = {
  containerList: (ctx) => containerListFilter((c) => ctx.resolver.isVisible(c)),
  events: (ctx) => {
    const events = new EventVisibility(ctx.resolver);
    return new NdjsonFilter((event) => events.keep(event));
  },
};

function visibleId(ctx: RespondContext) {
  return async (id: string) => (await ctx.resolver.resolveOrNull(id))?.visible ?? false;
}

/**
 * Sends the upstream's answer to the client, through the transform the decision asked for. Returns the
 * decision label when the response itself changed it (an inspect that turned out to be hidden).
 */
export async function relay(
  forward: Forward,
  ref: string,
  upstreamRes: IncomingMessage,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<string | undefined> {
  const status = upstreamRes.statusCode ?? 502;
  forward.after?.(status);
  const stream = STREAMS[forward.response];
  if (stream && status === 200) {
    res.writeHead(status, responseHeaders(upstreamRes.rawHeaders, true));
    // Flush the head at once: a quiet events stream must still show the client it is connected.
    res.flushHeaders();
    pipeline(upstreamRes, stream(ctx), res, (error) => {
      // Headers are out: a broken or malformed stream can only be cut, never patched up.
      if (error && !res.destroyed) res.destroy();
    });
    return undefined;
  }
  const rewrite = REWRITES[forward.response];
  if (rewrite?.applies(status)) {
    let text: string;
    try {
      text = await readBody(upstreamRes, MAX_BUFFERED_BYTES);
    } catch (error) {
      const why = error instanceof BodyTooLargeError ? 'a body too large to check' : 'an incomplete body';
      sendError(res, errors.upstreamStatus(ctx.upstreamDisplay, status, `sending ${why}`));
      return 'upstream-error';
    }
    const parsed = parseJson(text);
    if (parsed === null) {
      sendError(res, errors.upstreamStatus(ctx.upstreamDisplay, status, 'sending a body that is not JSON'));
      return 'upstream-error';
    }
    const result = await rewrite.rewrite(parsed, ctx, ref);
    if (result instanceof DockerApiError) {
      sendError(res, result);
      return result.decision;
    }
    const out = JSON.stringify(result);
    const headers = responseHeaders(upstreamRes.rawHeaders, true);
    headers['Content-Length'] = Buffer.byteLength(out);
    res.writeHead(status, headers);
    res.end(out);
    return undefined;
  }
  res.writeHead(status, responseHeaders(upstreamRes.rawHeaders, false));
  // Streams (logs -f, stats, raw exec) have no length: show the client the head before the first byte.
  if (upstreamRes.headers['content-length'] === undefined) res.flushHeaders();
  // Plain pipe, not pipeline(): pipeline's AbortController costs a DOMException per response, measurable
  // on the hot path. Teardown is wired by httpxy: a client that goes away destroys the upstream
  // response, and an upstream that breaks off destroys the client's.
  upstreamRes.pipe(res);
  return undefined;
}
