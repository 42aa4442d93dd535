import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import type { UpstreamTarget } from './target.ts';

/** A response body that was read whole, within a byte cap. */
interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  /** The answer's headers (absent in test doubles). */
  readonly headers?: IncomingMessage['headers'];
}

/** Caps what dockscope itself reads from the upstream in one piece (inspect, network inspect, df). */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** The upstream did not send response headers in time. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'ETIMEDOUT';
  readonly ms: number;
  constructor(ms: number) {
    super(`no response headers within ${ms} ms`);
    this.ms = ms;
  }
}

type UpstreamLane = 'short' | 'slow' | 'stream';

/** The upstream's answer to a hijack request: its 101 and the raw connection, or a plain answer. */
type HijackAnswer =
  | { readonly upgraded: true; readonly res: IncomingMessage; readonly socket: Socket; readonly head: Buffer }
  | { readonly upgraded: false; readonly res: IncomingMessage };

/** Node's timers hold at most 2^31 - 1 ms (a longer one fires at once). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Bounds the wait for a request's answer head: past `ms` the request is destroyed with an
 * UpstreamTimeoutError; `cancel` receives a function that destroys it; an aborted signal does too.
 * Returns what stops the timer (on the head, or on a failure).
 */
function boundWait(
  req: ClientRequest,
  ms: number,
  cancel: ((destroy: () => void) => void) | undefined,
  signal: AbortSignal | undefined,
): () => void {
  const timer = setTimeout(() => req.destroy(new UpstreamTimeoutError(ms)), ms);
  cancel?.(() => req.destroy(new Error('aborted')));
  if (signal) {
    const onAbort = () => req.destroy(new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('close', () => signal.removeEventListener('abort', onAbort));
  }
  return () => clearTimeout(timer);
}

/**
 * The one place that talks to the socket proxy or the daemon. Three pools of kept-alive connections,
 * so that no traffic can take the capacity another needs: short requests; long ones (streams and
 * slow calls, which hold a connection for as long as they last); and dockscope's own look-ups and
 * event watch, which client traffic never touches.
 */
export class Upstream {
  readonly agent: http.Agent;
  readonly longAgent: http.Agent;
  readonly controlAgent: http.Agent;
  readonly target: UpstreamTarget;
  /** The header wait of dockscope's own look-ups (UPSTREAM_TIMEOUT). */
  readonly timeoutMs: number;
  constructor(target: UpstreamTarget, timeoutMs = 60_000) {
    this.target = target;
    this.timeoutMs = timeoutMs;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 64, scheduling: 'lifo' });
    // Bounded by the client connection cap, not here: each stream needs its own connection.
    this.longAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 16, scheduling: 'lifo' });
    this.controlAgent = new http.Agent({
      keepAlive: true,
      maxSockets: 32,
      maxFreeSockets: 8,
      scheduling: 'lifo',
    });
  }

  agentFor(lane: UpstreamLane): http.Agent {
    return lane === 'short' ? this.agent : this.longAgent;
  }

  destroy(): void {
    for (const a of [this.agent, this.longAgent, this.controlAgent]) a.destroy();
  }

  get display(): string {
    return this.target.display;
  }

  /** Request options for a path on the upstream. */
  options(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders = {},
    agent?: http.Agent | false,
  ): RequestOptions {
    const base: RequestOptions = {
      method,
      path,
      headers: {
        host: this.target.kind === 'unix' ? 'docker' : `${this.target.host}:${this.target.port}`,
        ...headers,
      },
      agent: agent ?? this.agent,
    };
    if (this.target.kind === 'unix') base.socketPath = this.target.socketPath;
    else {
      base.host = this.target.host;
      base.port = this.target.port;
    }
    return base;
  }

  /**
   * Opens a request and resolves with the response head (the body is left to the caller). The body is
   * a string, or a stream that is piped (a client's upload). The wait for the head is bounded by
   * `timeoutMs` (default: UPSTREAM_TIMEOUT); past it the request is destroyed, which closes its upstream
   * connection, and the promise rejects with an UpstreamTimeoutError. An aborted signal destroys it too.
   */
  open(
    method: string,
    path: string,
    options: {
      signal?: AbortSignal;
      /** Called at once with a function that destroys the request (cheaper than a signal per request). */
      cancel?: (destroy: () => void) => void;
      headers?: OutgoingHttpHeaders;
      body?: string | NodeJS.ReadableStream;
      agent?: http.Agent;
      timeoutMs?: number;
    } = {},
  ): Promise<IncomingMessage> {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const ms = Math.min(options.timeoutMs ?? this.timeoutMs, MAX_TIMER_MS);
      const req = http.request(this.options(method, path, options.headers, options.agent ?? this.agent));
      const stop = boundWait(req, ms, options.cancel, options.signal);
      const body = options.body;
      req.on('response', (res) => {
        stop();
        // An answer before the upload ended (a 404, a 413): stop sending, and let the client's
        // remaining bytes drain instead of backing up.
        if (body !== undefined && typeof body !== 'string' && !req.writableFinished) {
          body.unpipe(req);
          body.resume();
          res.once('end', () => req.destroy());
        }
        resolve(res);
      });
      req.on('error', (error) => {
        stop();
        reject(error);
      });
      if (body === undefined || typeof body === 'string') req.end(body);
      else body.pipe(req);
    });
  }

  /**
   * Opens a request the daemon hijacks (attach, exec start, a BuildKit session) on a connection of its
   * own (never pooled: it becomes the tunnel), with the same bound and cancel as `open`: the daemon
   * answers at once (101, or an error), so a silent upstream fails with an UpstreamTimeoutError.
   */
  openHijack(
    method: string,
    path: string,
    options: {
      headers: OutgoingHttpHeaders;
      body: Buffer;
      cancel?: (destroy: () => void) => void;
      timeoutMs?: number;
    },
  ): Promise<HijackAnswer> {
    return new Promise<HijackAnswer>((resolve, reject) => {
      const ms = Math.min(options.timeoutMs ?? this.timeoutMs, MAX_TIMER_MS);
      const req = http.request(this.options(method, path, options.headers, false));
      const stop = boundWait(req, ms, options.cancel, undefined);
      req.once('upgrade', (res, socket, head) => {
        stop();
        resolve({ upgraded: true, res, socket, head });
      });
      req.once('response', (res) => {
        stop();
        resolve({ upgraded: false, res });
      });
      // Kept after the answer: a later failure of the request must not be an unhandled 'error'.
      req.on('error', (error) => {
        stop();
        reject(error);
      });
      req.end(options.body);
    });
  }

  /** POSTs a JSON body and parses the answer (null when it is not JSON). */
  async postJson(path: string, body: string, maxBytes = MAX_BUFFERED_BYTES): Promise<JsonResponse> {
    const res = await this.open('POST', path, {
      agent: this.controlAgent,
      body,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const text = await readBody(res, maxBytes);
    return { status: res.statusCode ?? 0, body: parseJson(text) };
  }

  /** GETs a path and parses the JSON body (null when it is not JSON). */
  async getJson(path: string, maxBytes = MAX_BUFFERED_BYTES): Promise<JsonResponse> {
    const res = await this.open('GET', path, { agent: this.controlAgent });
    const text = await readBody(res, maxBytes);
    return { status: res.statusCode ?? 0, body: parseJson(text), headers: res.headers };
  }
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  readonly limit: number;
  constructor(limit: number) {
    super(`body is larger than ${limit} bytes`);
    this.limit = limit;
  }
}

/** Reads a stream whole as UTF-8 text, failing (and destroying it) past maxBytes. */
export async function readBody(
  stream: NodeJS.ReadableStream & { destroy(): void },
  maxBytes: number,
): Promise<string> {
  return (await readBytes(stream, maxBytes)).toString('utf8');
}

/**
 * Reads a stream whole, failing past maxBytes. With `drainBytes`, that much more is read and dropped
 * before failing, so that a client still sending its body reads the 413 instead of a reset; past it
 * (or without it) the stream is destroyed. `admit` is asked before each chunk is kept; an error it
 * returns ends the read with that error (the stream is left for the caller to drain).
 */
export function readBytes(
  stream: NodeJS.ReadableStream & { destroy(): void },
  maxBytes: number,
  drainBytes = 0,
  admit?: (bytes: number) => Error | null,
): Promise<Buffer> {
  // Listeners, not `for await`: the async iterator costs a promise per chunk and its own listeners,
  // measurable on every inspect (issue #13).
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      if (error) reject(error);
      else if (size > maxBytes) reject(new BodyTooLargeError(maxBytes));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes + drainBytes) {
        stream.destroy();
        finish(new BodyTooLargeError(maxBytes));
        return;
      }
      if (size > maxBytes) return;
      // A chunk to keep may be refused by the caller (a memory budget): the read ends with its error.
      const refusal = admit?.(buf.length) ?? null;
      if (refusal) {
        finish(refusal);
        return;
      }
      chunks.push(buf);
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(error);
    // Closed before its end (a reset, a destroy): the body is cut short.
    const onClose = () => finish(new Error('the stream closed before its end'));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
