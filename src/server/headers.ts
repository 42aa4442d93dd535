import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1: hop-by-hop fields belong to one connection and are never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Whether the client sent (or is sending) a body: a length other than 0, or any transfer coding. */
export function hasRequestBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionTokens(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const value = headers.connection;
  if (typeof value !== 'string') return NONE;
  const tokens = new Set<string>();
  for (const t of value.split(',')) tokens.add(t.trim().toLowerCase());
  return tokens;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * The fields of an upstream answer to pass on, as the flat name/value list `writeHead` takes without
 * a setHeader per field (the pass-through path: nothing is added to it), and whether it has a length.
 */
export function responseHeaderList(rawHeaders: readonly string[]): { list: string[]; hasLength: boolean } {
  let named: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() === 'connection') {
      named ??= new Set();
      for (const t of (rawHeaders[i + 1] ?? '').split(',')) named.add(t.trim().toLowerCase());
    }
  }
  const list: string[] = [];
  let hasLength = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    if (lower === 'content-length') hasLength = true;
    list.push(name, rawHeaders[i + 1] ?? '');
  }
  return { list, hasLength };
}

/**
 * Response headers to pass on, with their original letter case, without hop-by-hop fields; drops
 * Content-Length when dockscope rewrites the body.
 */
export function responseHeaders(rawHeaders: readonly string[], dropLength: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const { list } = responseHeaderList(rawHeaders);
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    const value = list[i + 1] as string;
    if (dropLength && name.toLowerCase() === 'content-length') continue;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  }
  return out;
}

/**
 * The headers to forward for a client's request, prepared completely before anything is sent (no proxy
 * hook that some requests skip): hop-by-hop fields and every field the client's Connection names are
 * dropped (RFC 9110 §7.6.1), and so is `Expect` (Node answered the client's 100-continue already).
 * Framing stays for a body that is piped (Node re-frames it; the forwarder sends a chunked one on a
 * connection closed after it, as httpxy does for GHSA-ggv3-7p47-pfv8); a body dockscope replaced gets
 * its own length.
 * The client's Content-Type never goes on: a judged body is `application/json`, a piped one has the
 * type chosen for its route (`contentType`, see server/prepare.ts), no body has none (issue #19).
 * With `upgrade`, `Connection` and `Upgrade` are kept for the hijack.
 */
export function forwardedRequestHeaders(
  headers: IncomingHttpHeaders,
  body: string | undefined,
  contentType: string | undefined,
  upgrade = false,
): IncomingHttpHeaders {
  const named = connectionTokens(headers);
  const keepFraming = body === undefined;
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (name === 'host' || (upgrade && (name === 'connection' || name === 'upgrade'))) {
      out[name] = value;
      continue;
    }
    if (name === 'content-length' || name === 'transfer-encoding') {
      if (keepFraming) out[name] = value;
      continue;
    }
    if (HOP_BY_HOP.has(name) || name === 'expect' || name === 'content-type' || named.has(name)) continue;
    out[name] = value;
  }
  if (keepFraming && contentType !== undefined) out['content-type'] = contentType;
  if (!keepFraming) {
    out['content-type'] = 'application/json';
    out['content-length'] = String(Buffer.byteLength(body));
  }
  return out;
}
