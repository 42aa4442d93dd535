import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { pipeline } from 'node:stream';
import { isObject } from '../policy/container-facts.ts';
import type { Forward, ResponseKind } from '../policy/decide.ts';
import { EventVisibility } from '../policy/event-visibility.ts';
import type { ContainerIdentity } from '../policy/matcher.ts';
import type { MissingRef } from '../policy/missing.ts';
import { goJsonInner, isSentinelToken, restoreRefs, sentinel } from '../policy/missing.ts';
import type { ContainerResolver } from '../policy/resolver.ts';
import { conflictTransform, removeInUseBy, scrubIdsInText } from '../transforms/conflict.ts';
import {
  containerListFilter,
  isVisibleSummary,
  scopedHostConfig,
  scopedNames,
} from '../transforms/container-list.ts';
import { filterImageHistory, filterImageInspect } from '../transforms/images.ts';
import type { ContainerCounts } from '../transforms/info.ts';
import { rewriteInfoCounts } from '../transforms/info.ts';
import { filterInspect } from '../transforms/inspect.ts';
import { NdjsonFilter } from '../transforms/ndjson-filter.ts';
import { filterNetwork, filterNetworkList } from '../transforms/networks.ts';
import { filterSystemDf } from '../transforms/system-df.ts';
import { BodyTooLargeError, MAX_BUFFERED_BYTES, parseJson, readBody } from '../upstream/client.ts';
import { DockerApiError, errors, sendError } from './errors.ts';
import { responseHeaders } from './headers.ts';
import type { FailureReason } from './request-state.ts';

export interface RespondContext {
  readonly resolver: ContainerResolver;
  readonly scrubEnvs: boolean;
  readonly upstreamDisplay: string;
  readonly countVisible: () => Promise<ContainerCounts>;
  /** Asks the upstream directly (for the daemon's answer about a container that cannot exist). */
  readonly open: (method: string, path: string) => Promise<IncomingMessage>;
}

/** What a rewrite returns when the answer turned out to be about a hidden container. */
const HIDDEN = Symbol('hidden');

/** A response body dockscope rewrites after reading it whole (bounded): returns the new body or an error. */
type BodyRewrite = (body: unknown, ctx: RespondContext, forward: Forward) => Promise<unknown | typeof HIDDEN>;

const OK = (status: number) => status === 200;

/**
 * How each response kind travels back. The table is total: a kind without its treatment does not
 * compile. A treatment that does not apply to the status (an error answer) is relayed as sent.
 */
type Treatment =
  | { readonly via: 'pipe' }
  | { readonly via: 'stream'; readonly make: (ctx: RespondContext, forward: Forward) => Filtered }
  | { readonly via: 'rewrite'; readonly applies: (status: number) => boolean; readonly rewrite: BodyRewrite }
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

const TREATMENTS: Readonly<Record<ResponseKind, Treatment>> = {
  raw: { via: 'pipe' },
  missing: { via: 'missing' },
  containerList: {
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
  events: {
    via: 'stream',
    make: (ctx) => {
      const events = new EventVisibility(ctx.resolver);
      return {
        stream: new NdjsonFilter((event) => events.decide(event)),
        dropped: () => events.dropped,
      };
    },
  },
  containerInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: async (body, ctx, forward) => {
      const outcome = await filterInspect(body, ctx.resolver, ctx.scrubEnvs, forward.epoch);
      return outcome.visible ? outcome.body : HIDDEN;
    },
  },
  networkInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => filterNetwork(body, visibleId(ctx)),
  },
  networkList: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => filterNetworkList(body, visibleId(ctx)),
  },
  systemDf: {
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
      );
    },
  },
  imageInspect: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) =>
      filterImageInspect(
        body,
        async (id) => {
          const facts = await ctx.resolver.resolveOrNull(id);
          return facts ? (facts.visible ? 'visible' : 'hidden') : 'missing';
        },
        ctx.scrubEnvs,
      ),
  },
  imageHistory: {
    via: 'rewrite',
    applies: OK,
    rewrite: (body, ctx) => filterImageHistory(body, (id) => imageSource(ctx, id), visibleId(ctx)),
  },
  info: { via: 'rewrite', applies: OK, rewrite: (body, ctx) => rewriteInfoCounts(body, ctx.countVisible) },
  conflict: {
    via: 'rewrite',
    applies: (status) => status === 409,
    rewrite: async (body) => conflictTransform(body),
  },
  errorIds: {
    via: 'text',
    applies: (status) => status >= 400,
    rewrite: (text, ctx) => scrubIdsInText(text, visibleId(ctx)),
  },
};

/** The container an image was committed from ('' for none), or null when the image cannot be read. */
async function imageSource(ctx: RespondContext, imageId: string): Promise<string | null> {
  try {
    const res = await ctx.open('GET', `/images/${encodeURIComponent(imageId)}/json`);
    const body = parseJson(await readBody(res, MAX_BUFFERED_BYTES));
    if (res.statusCode !== 200 || !isObject(body)) return null;
    return typeof body.Container === 'string' ? body.Container : '';
  } catch {
    return null;
  }
}

function visibleId(ctx: RespondContext) {
  return async (id: string) => (await ctx.resolver.resolveOrNull(id))?.visible ?? false;
}

/** A "missing" answer is a short error message; anything longer is not what the daemon says there. */
const MAX_MISSING_BODY = 1024 * 1024;

/** What the relay learnt that changes the request's access record. */
export interface Relayed {
  readonly decision: string;
  readonly reason?: FailureReason;
}

const failed = (res: ServerResponse, error: DockerApiError): Relayed => {
  sendError(res, error);
  return { decision: error.decision, ...(error.reason ? { reason: error.reason } : {}) };
};

/**
 * Sends the upstream's answer to the client, through the treatment the decision asked for. Returns what
 * changes the access record (an inspect that turned out to be hidden, a failure and its reason).
 */
export async function relay(
  forward: Forward,
  method: string,
  upstreamRes: IncomingMessage,
  res: ServerResponse,
  ctx: RespondContext,
  onFiltered?: (dropped: () => number) => void,
): Promise<Relayed | undefined> {
  const status = upstreamRes.statusCode ?? 502;
  forward.after?.(status);
  if (status >= 400 && /^text\//i.test(String(upstreamRes.headers['content-type'] ?? ''))) {
    return relayTextError(upstreamRes, status, res, ctx);
  }
  const treatment = TREATMENTS[forward.response];
  if (treatment.via === 'missing') {
    return relayMissing(upstreamRes, forward.missing ?? [], method, res, ctx);
  }
  if (treatment.via === 'stream' && status === 200) {
    const filtered = treatment.make(ctx, forward);
    // Look before the head goes out: an answer that is not what the treatment reads is a 502 the
    // client can still be told about, not a 200 followed by a reset.
    if (filtered.startsWith) {
      const first = await firstByte(upstreamRes);
      if (first.error) {
        return failed(
          res,
          errors.upstreamStatus(
            ctx.upstreamDisplay,
            status,
            'sending an incomplete body',
            'upstream-truncated',
          ),
        );
      }
      if (first.byte !== filtered.startsWith.byte) {
        upstreamRes.destroy();
        return failed(
          res,
          errors.upstreamStatus(
            ctx.upstreamDisplay,
            status,
            `sending a body that is not ${filtered.startsWith.expected}`,
          ),
        );
      }
    }
    res.writeHead(status, responseHeaders(upstreamRes.rawHeaders, true));
    // Flush the head at once: a quiet events stream must still show the client it is connected.
    res.flushHeaders();
    onFiltered?.(filtered.dropped);
    pipeline(upstreamRes, filtered.stream, res, (error) => {
      // Headers are out: a broken or malformed stream can only be cut, never patched up.
      if (error && !res.destroyed) res.destroy();
    });
    return undefined;
  }
  if (treatment.via === 'rewrite' && treatment.applies(status)) {
    let text: string;
    try {
      text = await readBody(upstreamRes, MAX_BUFFERED_BYTES);
    } catch (error) {
      return error instanceof BodyTooLargeError
        ? failed(
            res,
            errors.upstreamStatus(
              ctx.upstreamDisplay,
              status,
              'sending a body too large to check',
              'too-large',
            ),
          )
        : failed(
            res,
            errors.upstreamStatus(
              ctx.upstreamDisplay,
              status,
              'sending an incomplete body',
              'upstream-truncated',
            ),
          );
    }
    const parsed = parseJson(text);
    if (parsed === null) {
      return failed(
        res,
        errors.upstreamStatus(ctx.upstreamDisplay, status, 'sending a body that is not JSON'),
      );
    }
    const result = await treatment.rewrite(parsed, ctx, forward);
    if (result === HIDDEN) {
      if (!forward.ifHidden)
        throw new Error(`${forward.response} judged a container hidden with nowhere to ask`);
      const answer = await ctx.open(method, forward.ifHidden.path);
      return relayMissing(answer, [forward.ifHidden.ref], method, res, ctx);
    }
    const out = JSON.stringify(result);
    const headers = responseHeaders(upstreamRes.rawHeaders, true);
    headers['Content-Length'] = Buffer.byteLength(out);
    res.writeHead(status, headers);
    res.end(out);
    return undefined;
  }
  if (treatment.via === 'text' && treatment.applies(status) && method !== 'HEAD') {
    let text: string;
    try {
      text = await readBody(upstreamRes, MAX_MISSING_BODY);
    } catch (error) {
      return error instanceof BodyTooLargeError
        ? failed(
            res,
            errors.upstreamStatus(
              ctx.upstreamDisplay,
              status,
              'sending an error too large to check',
              'too-large',
            ),
          )
        : failed(
            res,
            errors.upstreamStatus(
              ctx.upstreamDisplay,
              status,
              'sending an incomplete body',
              'upstream-truncated',
            ),
          );
    }
    const out = await treatment.rewrite(text, ctx);
    const headers = responseHeaders(upstreamRes.rawHeaders, true);
    if (upstreamRes.headers['content-length'] !== undefined)
      headers['Content-Length'] = Buffer.byteLength(out);
    res.writeHead(status, headers);
    res.end(out);
    return undefined;
  }
  res.writeHead(status, responseHeaders(upstreamRes.rawHeaders, false));
  // Streams (logs -f, stats, raw exec) have no length: show the client the head before the first byte.
  if (upstreamRes.headers['content-length'] === undefined) res.flushHeaders();
  // Plain pipe, not pipeline(): pipeline's AbortController costs a DOMException per response, measurable
  // on the hot path. A client that goes away destroys the upstream response (the forwarder wires that);
  // an upstream that breaks off destroys the client's, the only honest signal once the head is out.
  upstreamRes.once('close', () => {
    if (!upstreamRes.complete && !res.destroyed) res.destroy();
  });
  upstreamRes.pipe(res);
  return undefined;
}

/** The first byte that is not white space, left in the stream; or the stream's failure. */
async function firstByte(stream: IncomingMessage): Promise<{ byte?: number; error?: boolean }> {
  return new Promise((resolve) => {
    const onReadable = () => {
      for (;;) {
        const chunk = stream.read() as Buffer | null;
        if (chunk === null) return;
        let i = 0;
        while (
          i < chunk.length &&
          (chunk[i] === 0x20 || chunk[i] === 0x0a || chunk[i] === 0x0d || chunk[i] === 0x09)
        )
          i++;
        if (i < chunk.length) {
          cleanup();
          stream.unshift(chunk.subarray(i));
          resolve({ byte: chunk[i] });
          return;
        }
      }
    };
    const onEnd = () => {
      cleanup();
      resolve(stream.complete ? {} : { error: true });
    };
    const onError = () => {
      cleanup();
      resolve({ error: true });
    };
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
    };
    stream.on('readable', onReadable);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
  });
}

/** How much of a socket proxy's text refusal is quoted. */
const MAX_QUOTED = 200;

/**
 * An error the upstream wrote as text, not JSON: a socket proxy's HTML refusal ("403 Forbidden …
 * Request forbidden by administrative rules." from HAProxy-based ones) or a plain-text one. The Docker
 * CLI reads `{"message"}`; so the client gets the same status with the upstream's words, stripped of
 * markup and capped, saying where they came from.
 */
async function relayTextError(
  upstreamRes: IncomingMessage,
  status: number,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<Relayed> {
  let text = '';
  try {
    text = await readBody(upstreamRes, MAX_MISSING_BODY);
  } catch {
    text = '';
  }
  const reason = quoteText(text);
  const error = new DockerApiError(
    status,
    `dockscope: the upstream ${ctx.upstreamDisplay} refused the request (${status})${reason ? `: ${reason}` : ''}`,
    'refused',
  );
  sendError(res, error);
  return { decision: 'upstream-refused' };
}

/** Text for a message: tags and entities out, white space folded, printable characters only, capped. */
export function quoteText(text: string): string {
  const plain = text
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39|nbsp);/g,
      (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' })[e] ?? ' ',
    )
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > MAX_QUOTED ? `${plain.slice(0, MAX_QUOTED - 3)}...` : plain;
}

/**
 * The daemon's answer to a request whose hidden references were replaced by sentinels, with what the
 * client typed put back: status, headers and bytes as the daemon sends them for a missing container.
 */
async function relayMissing(
  upstreamRes: IncomingMessage,
  refs: readonly MissingRef[],
  method: string,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<Relayed> {
  const status = upstreamRes.statusCode ?? 502;
  let text: string;
  try {
    text = await readBody(upstreamRes, MAX_MISSING_BODY);
  } catch {
    return failed(
      res,
      errors.upstreamStatus(
        ctx.upstreamDisplay,
        status,
        'answering for a missing container',
        'upstream-truncated',
      ),
    );
  }
  const json = /json/i.test(String(upstreamRes.headers['content-type'] ?? ''));
  // The daemon may name another container in the same answer (a create whose name is taken answers
  // "... in use by container <id>" before it looks at the references): cut as everywhere else.
  // Scrubbed before the typed references are put back: what the client typed is echoed as typed.
  const isVisibleId = visibleId(ctx);
  const scrubbed = await scrubIdsInText(
    removeInUseBy(text),
    async (id) => isSentinelToken(id) || isVisibleId(id),
  );
  const out = restoreRefs(scrubbed, refs, json);
  const headers = responseHeaders(upstreamRes.rawHeaders, true);
  const length = upstreamRes.headers['content-length'];
  // Only the daemon's own headers: no Date where it sent none (a hijacked attach answers without one).
  res.sendDate = false;
  if (length !== undefined) {
    // A HEAD answer has the length of the body it does not send: adjust it for each reference put back.
    headers['Content-Length'] =
      method === 'HEAD'
        ? Number(length) +
          refs.reduce(
            (d, r) => d + Buffer.byteLength(restoreRefs(r.sentinel, [r], json)) - r.sentinel.length,
            0,
          )
        : Buffer.byteLength(out);
  } else if (upstreamRes.headers['transfer-encoding'] === undefined) {
    // Delimited by the end of the connection (attach answers so for a missing container): so is this one.
    res.removeHeader('connection');
    res.removeHeader('transfer-encoding');
    res.removeHeader('content-length');
  }
  res.writeHead(status, headers);
  res.end(method === 'HEAD' ? undefined : out);
  return { decision: 'hidden' };
}

/**
 * An error dockscope decides itself but that stands for the daemon's answer about a missing container
 * (see DockerApiError.daemonShaped): written with the headers the daemon sends with such an answer,
 * taken from its answer about a container that cannot exist, and framed as the daemon frames it.
 */
export async function sendAsDaemon(
  res: ServerResponse,
  error: DockerApiError,
  versionPrefix: string,
  ctx: RespondContext,
): Promise<void> {
  let headers: OutgoingHttpHeaders;
  let framed: boolean;
  try {
    const probe = await ctx.open('GET', `${versionPrefix}/containers/${sentinel()}/json`);
    await readBody(probe, MAX_MISSING_BODY);
    headers = responseHeaders(probe.rawHeaders, true);
    framed = probe.headers['content-length'] !== undefined;
  } catch {
    sendError(res, error);
    return;
  }
  const body = `{"message":"${goJsonInner(error.message)}"}\n`;
  if (framed) headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(error.status, headers);
  res.end(body);
}
