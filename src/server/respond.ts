import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import type { Forwarding } from '../policy/decide.ts';
import { MAX_BUFFERED_BYTES, parseJson } from '../upstream/client.ts';
import { errors } from './errors.ts';
import { responseHeaderList, responseHeaders } from './headers.ts';
import type { Relayed } from './relay-common.ts';
import { failed, MAX_MISSING_BODY, readWhole } from './relay-common.ts';
import { relayMissing } from './respond-missing.ts';
import { relayTextError } from './text-errors.ts';
import type { RespondContext } from './treatments.ts';
import { HIDDEN, TREATMENTS } from './treatments.ts';

export type { Relayed } from './relay-common.ts';
export { sendAsDaemon } from './respond-missing.ts';
export type { RespondContext } from './treatments.ts';

/**
 * Sends the upstream's answer to the client, through the treatment the decision asked for. Returns what
 * changes the access record (an inspect that turned out to be hidden, a failure and its reason).
 */
export async function relay(
  forward: Forwarding,
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
  const treatment = TREATMENTS[forward.treatment];
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
        return failed(res, errors.upstreamTruncated(ctx.upstreamDisplay, status));
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
    const text = await readWhole(upstreamRes, MAX_BUFFERED_BYTES, res, ctx);
    if (typeof text !== 'string') return text;
    // The text rewrite first (no parse of the whole answer); what it does not take on, parsed.
    let out = treatment.textFirst ? await treatment.textFirst(text, ctx, forward) : null;
    if (out === null) {
      const parsed = parseJson(text);
      if (parsed === null) {
        return failed(
          res,
          errors.upstreamStatus(ctx.upstreamDisplay, status, 'sending a body that is not JSON'),
        );
      }
      const result = await treatment.rewrite(parsed, ctx, forward);
      out = result === HIDDEN ? HIDDEN : JSON.stringify(result);
    }
    if (out === HIDDEN) {
      if (!forward.ifHidden)
        throw new Error(`${forward.treatment} judged a container hidden with nowhere to ask`);
      const answer = await ctx.open(method, forward.ifHidden.path);
      return relayMissing(answer, [forward.ifHidden.ref], method, res, ctx);
    }
    const headers = responseHeaders(upstreamRes.rawHeaders, true);
    headers['Content-Length'] = Buffer.byteLength(out);
    res.writeHead(status, headers);
    res.end(out);
    return undefined;
  }
  if (treatment.via === 'text' && treatment.applies(status) && method !== 'HEAD') {
    const text = await readWhole(upstreamRes, MAX_MISSING_BODY, res, ctx);
    if (typeof text !== 'string') return text;
    const out = await treatment.rewrite(text, ctx);
    const headers = responseHeaders(upstreamRes.rawHeaders, true);
    if (upstreamRes.headers['content-length'] !== undefined)
      headers['Content-Length'] = Buffer.byteLength(out);
    res.writeHead(status, headers);
    res.end(out);
    return undefined;
  }
  const { list, hasLength } = responseHeaderList(upstreamRes.rawHeaders);
  res.writeHead(status, list);
  // Streams (logs -f, stats, raw exec) have no length: show the client the head before the first byte.
  if (!hasLength) res.flushHeaders();
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
