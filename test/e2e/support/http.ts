import * as http from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** Header names and values as sent, in order and letter case. */
  readonly rawHeaders: readonly string[];
  readonly body: string;
}

/**
 * Sends one request exactly as given (the path is not normalised, unlike fetch), and reads the whole
 * answer. For probing path spellings against dockscope and the daemon alike.
 */
export function rawRequest(
  target: { url?: string; socketPath?: string },
  method: string,
  path: string,
  body?: string | Buffer,
  headers: http.OutgoingHttpHeaders = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const base: http.RequestOptions = { method, path, headers: { ...headers }, agent: false };
    if (target.socketPath) base.socketPath = target.socketPath;
    else {
      const u = new URL(target.url ?? '');
      base.host = u.hostname;
      base.port = Number(u.port);
    }
    if (body !== undefined && base.headers) {
      (base.headers as Record<string, string | number>)['content-length'] = Buffer.byteLength(body);
      if (!(base.headers as Record<string, unknown>)['content-type']) {
        (base.headers as Record<string, string>)['content-type'] = 'application/json';
      }
    }
    const req = http.request(base, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

export function json(res: RawResponse): unknown {
  return JSON.parse(res.body) as unknown;
}

/**
 * The answer as a client can observe it, with the reference it typed replaced by a placeholder:
 * status line, every header in order and letter case (Date aside: it tells the time, not the
 * object), and the body bytes. Hidden = missing is this, equal for both.
 */
export function observed(res: RawResponse, ref: string) {
  const headers: string[] = [];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i] ?? '';
    if (name.toLowerCase() === 'date') continue;
    headers.push(`${name}: ${res.rawHeaders[i + 1]}`);
  }
  return { status: res.status, headers, body: res.body.split(ref).join('<ref>') };
}
