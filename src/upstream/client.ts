import type { IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import * as http from 'node:http';
import type { UpstreamTarget } from './target.ts';

/** A response body that was read whole, within a byte cap. */
export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Caps what dockscope itself reads from the upstream in one piece (inspect, network inspect, df). */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * The one place that talks to the socket proxy or the daemon. Connections are kept alive and shared
 * by forwarded requests and dockscope's own look-ups.
 */
export class Upstream {
  readonly agent: http.Agent;
  readonly target: UpstreamTarget;
  constructor(target: UpstreamTarget) {
    this.target = target;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
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

  /** Opens a request and resolves with the response head (the body is left to the caller). */
  open(
    method: string,
    path: string,
    options: { signal?: AbortSignal; headers?: OutgoingHttpHeaders; body?: string } = {},
  ) {
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = http.request(this.options(method, path, options.headers), resolve);
      req.on('error', reject);
      if (options.signal) {
        const onAbort = () => req.destroy(new Error('aborted'));
        if (options.signal.aborted) onAbort();
        options.signal.addEventListener('abort', onAbort, { once: true });
        req.on('close', () => options.signal?.removeEventListener('abort', onAbort));
      }
      req.end(options.body);
    });
  }

  /** GETs a path and parses the JSON body (null when it is not JSON). */
  async getJson(path: string, maxBytes = MAX_BUFFERED_BYTES): Promise<JsonResponse> {
    const res = await this.open('GET', path);
    const text = await readBody(res, maxBytes);
    return { status: res.statusCode ?? 0, body: parseJson(text) };
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

/** Reads a stream whole, failing (and destroying it) past maxBytes. */
export async function readBytes(
  stream: NodeJS.ReadableStream & { destroy(): void },
  maxBytes: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > maxBytes) {
      stream.destroy();
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
