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

/** Request header names to remove before forwarding (hop-by-hop and those the client's Connection names). */
export function requestHeadersToDrop(headers: IncomingHttpHeaders, keepUpgrade: boolean): string[] {
  const drop = new Set(connectionTokens(headers));
  for (const h of HOP_BY_HOP) drop.add(h);
  if (keepUpgrade) {
    drop.delete('connection');
    drop.delete('upgrade');
  }
  // Framing stays: Node's client re-frames the body it pipes (chunked when there is no length).
  drop.delete('content-length');
  drop.delete('transfer-encoding');
  drop.delete('host');
  return [...drop].filter((h) => headers[h] !== undefined);
}
