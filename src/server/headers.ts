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

/** Names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1). */
export function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const tokens = new Set<string>();
  if (typeof value === 'string') for (const t of value.split(',')) tokens.add(t.trim().toLowerCase());
  return tokens;
}

/**
 * Response headers to pass on, with their original letter case, without hop-by-hop fields; drops
 * Content-Length when dockscope rewrites the body.
 */
export function responseHeaders(rawHeaders: readonly string[], dropLength: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() === 'connection') {
      for (const t of (rawHeaders[i + 1] ?? '').split(',')) named.add(t.trim().toLowerCase());
    }
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const value = rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    if (dropLength && lower === 'content-length') continue;
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
 * With `upgrade`, `Connection` and `Upgrade` are kept for the hijack.
 */
export function forwardedRequestHeaders(
  headers: IncomingHttpHeaders,
  body?: string,
  upgrade = false,
): IncomingHttpHeaders {
  const drop = connectionTokens(headers);
  for (const h of HOP_BY_HOP) drop.add(h);
  drop.add('expect');
  if (upgrade) {
    drop.delete('connection');
    drop.delete('upgrade');
  }
  const keepFraming = body === undefined;
  if (keepFraming) {
    drop.delete('content-length');
    drop.delete('transfer-encoding');
  } else {
    drop.add('content-length');
    drop.add('transfer-encoding');
    drop.add('content-type');
  }
  drop.delete('host');
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (!drop.has(name) && value !== undefined) out[name] = value;
  if (!keepFraming) {
    out['content-type'] = 'application/json';
    out['content-length'] = String(Buffer.byteLength(body));
  }
  return out;
}
