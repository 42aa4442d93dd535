import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * A ServerResponse that records what is written to it: the head, the body, and whether it was
 * destroyed. For unit tests of the writers of error answers (they use writeHead, end and destroy).
 */
export function recordingResponse(headersSent = false) {
  const record = {
    status: 0,
    headers: {} as Record<string, unknown>,
    body: '',
    destroyed: false,
    headersSent,
  };
  const res = {
    get headersSent() {
      return record.headersSent;
    },
    writeHead(status: number, headers: Record<string, unknown>) {
      record.status = status;
      record.headers = headers;
      record.headersSent = true;
      return res;
    },
    end(body?: string) {
      record.body = body ?? '';
      return res;
    },
    destroy() {
      record.destroyed = true;
      return res;
    },
  } as unknown as ServerResponse;
  return { res, record };
}

/**
 * An upstream answer as the relay reads it: a status and body chunks; `cut` closes the stream before
 * its end, as a connection reset does.
 */
export function upstreamAnswer(status: number, chunks: readonly string[], cut = false): IncomingMessage {
  const stream = cut
    ? new Readable({
        read() {
          for (const c of chunks) this.push(c);
          this.destroy();
        },
      })
    : Readable.from(chunks.map((c) => Buffer.from(c)));
  return Object.assign(stream, { statusCode: status }) as unknown as IncomingMessage;
}
