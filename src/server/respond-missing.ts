import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { errors } from '../errors.ts';
import type { MissingRef } from '../policy/missing.ts';
import { isSentinelToken, restoreRefs, sentinel } from '../policy/missing.ts';
import { removeInUseBy, scrubIdsInText } from '../transforms/conflict.ts';
import { readBody } from '../upstream/client.ts';
import type { RenderedAnswer } from '../upstream/dialect.ts';
import { DialectError } from '../upstream/dialect.ts';
import type { DockerApiError } from './errors.ts';
import { sendError } from './errors.ts';
import { responseHeaderList, responseHeaders } from './headers.ts';
import type { Relayed } from './relay-common.ts';
import { MAX_MISSING_BODY, readWhole } from './relay-common.ts';
import type { RespondContext } from './treatments.ts';
import { visibleId } from './treatments.ts';

/** The daemon's answer about sentinels, made into the answer about what the client typed. */
interface MissingAnswer {
  readonly status: number;
  /** The daemon's fields without hop-by-hop ones (server/headers.ts), Content-Length made to fit. */
  readonly fields: readonly string[];
  readonly body: string | undefined;
  /** The daemon's answer had neither a length nor a transfer coding: it ends with its connection. */
  readonly closeDelimited: boolean;
}

/**
 * The one rewrite of a "missing" answer, for plain requests and upgrades alike: ids of containers the
 * client may not see are cut from the text (the daemon may name another container in the same answer:
 * a create whose name is taken answers "... in use by container <id>" before it looks at the
 * references), then what the client typed is put back where the sentinels are (after the cut: what it
 * typed is echoed as typed). A HEAD answer has the length of the body it does not send: it is adjusted
 * for each reference put back.
 */
export async function missingAnswer(
  upstreamRes: Pick<IncomingMessage, 'statusCode' | 'rawHeaders' | 'headers'>,
  text: string,
  refs: readonly MissingRef[],
  method: string,
  isVisibleId: (id: string) => Promise<boolean>,
): Promise<MissingAnswer> {
  const json = /json/i.test(String(upstreamRes.headers['content-type'] ?? ''));
  const scrubbed = await scrubIdsInText(
    removeInUseBy(text),
    async (id) => isSentinelToken(id) || isVisibleId(id),
  );
  const out = restoreRefs(scrubbed, refs, json);
  const length = upstreamRes.headers['content-length'];
  let fitted: number | undefined;
  if (length !== undefined) {
    fitted =
      method === 'HEAD'
        ? Number(length) +
          refs.reduce(
            (d, r) => d + Buffer.byteLength(restoreRefs(r.sentinel, [r], json)) - r.sentinel.length,
            0,
          )
        : Buffer.byteLength(out);
  }
  const { list } = responseHeaderList(upstreamRes.rawHeaders);
  const fields: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    fields.push(name, name.toLowerCase() === 'content-length' ? String(fitted) : (list[i + 1] as string));
  }
  return {
    status: upstreamRes.statusCode ?? 502,
    fields,
    body: method === 'HEAD' ? undefined : out,
    closeDelimited: length === undefined && upstreamRes.headers['transfer-encoding'] === undefined,
  };
}

/**
 * The daemon's answer to a request whose hidden references were replaced by sentinels, with what the
 * client typed put back: status, headers and bytes as the daemon sends them for a missing container.
 */
export async function relayMissing(
  upstreamRes: IncomingMessage,
  refs: readonly MissingRef[],
  method: string,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<Relayed> {
  const text = await readWhole(upstreamRes, MAX_MISSING_BODY, res, ctx);
  if (typeof text !== 'string') return text;
  const answer = await missingAnswer(upstreamRes, text, refs, method, visibleId(ctx));
  // Only the daemon's own headers: no Date where it sent none (a hijacked attach answers without one).
  res.sendDate = false;
  if (answer.closeDelimited) {
    // Delimited by the end of the connection (attach answers so for a missing container): so is this one.
    res.removeHeader('connection');
    res.removeHeader('transfer-encoding');
    res.removeHeader('content-length');
  }
  res.writeHead(answer.status, answer.fields as string[]);
  res.end(answer.body);
  return { decision: 'hidden' };
}

/**
 * An error dockscope decides itself but that stands for the upstream's answer (see
 * DockerApiError.daemonAnswer): in the upstream's dialect's words and status, written with the headers
 * the upstream sends with such an answer, taken from its answer about a container that cannot exist,
 * and framed as it frames it. When the dialect is not certain, a 502 naming the setting (fail closed).
 */
export async function sendAsDaemon(
  res: ServerResponse,
  error: DockerApiError,
  versionPrefix: string,
  ctx: RespondContext,
): Promise<void> {
  const answer = error.daemonAnswer;
  let rendered: RenderedAnswer;
  try {
    if (!answer) throw new Error('no daemon answer');
    rendered = (await ctx.resolver.daemon.dialect.get()).render(answer);
  } catch (cause) {
    sendError(res, cause instanceof DialectError ? errors.dialect(cause.message) : error);
    return;
  }
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
  if (framed) headers['Content-Length'] = Buffer.byteLength(rendered.body);
  res.writeHead(rendered.status, headers);
  res.end(rendered.body);
}
