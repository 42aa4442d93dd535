import { isIP } from 'node:net';

/**
 * Subject alternative names with their type (issue #19): a `san: [ops-admin]` entry meant a DNS name,
 * and must not match a certificate whose URI or email name is `ops-admin`. Entries are written as
 * openssl and Node's `cert.subjectaltname` write them (`DNS:`, `IP:` or `IP Address:`, `URI:`,
 * `email:`); an entry without a type is a DNS name. Pure functions.
 */
export type SanType = 'DNS' | 'IP' | 'URI' | 'email';

export interface San {
  readonly type: SanType;
  readonly value: string;
}

const TYPES: Readonly<Record<string, SanType>> = {
  dns: 'DNS',
  ip: 'IP',
  'ip address': 'IP',
  uri: 'URI',
  email: 'email',
};

/** An IP address in one spelling: `::1` and `0:0:0:0:0:0:0:1` are the same address. */
export function normalizeIp(text: string): string | null {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6 || text.includes('%')) return null;
  // The URL parser serialises IPv6 canonically (RFC 5952: lower case, the longest zero run compressed).
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** The key a name is compared by: DNS names are case-insensitive (RFC 4343), IPs compare as addresses. */
export function sanKey(san: San): string {
  if (san.type === 'DNS') return `DNS:${san.value.toLowerCase()}`;
  if (san.type === 'IP') return `IP:${normalizeIp(san.value) ?? san.value}`;
  return `${san.type}:${san.value}`;
}

/**
 * A configured entry. Throws with what to write instead: an unknown type, an IP that is not one, or
 * an untyped entry that cannot be a DNS name (`spiffe://x`, `a@b`: say URI: or email:).
 */
export function parseSanEntry(entry: string): San {
  const colon = entry.indexOf(':');
  if (colon === -1) {
    if (entry.includes('@'))
      throw new Error(`"${entry}" has no type: write email:${entry} for an email name`);
    return { type: 'DNS', value: entry };
  }
  const type = TYPES[entry.slice(0, colon).toLowerCase()];
  const value = entry.slice(colon + 1);
  if (!type) {
    throw new Error(
      `"${entry}" has no known type: write DNS:, IP:, URI: or email: before the name (URI:${entry} for a URI)`,
    );
  }
  if (value === '') throw new Error(`"${entry}" names no ${type} value`);
  if (type === 'IP' && normalizeIp(value) === null)
    throw new Error(`"${entry}" is not an IP address such as IP:10.0.0.1 or IP:::1`);
  return { type, value };
}

/**
 * Node's `cert.subjectaltname`: `DNS:a, IP Address:10.0.0.1, URI:spiffe://x, email:a@b`. A value that
 * holds a comma or a quote is written as a JSON string (Node ≥ 17.3.1, CVE-2021-44532), so the text is
 * read entry by entry rather than split at commas. Types dockscope does not match on are kept out.
 */
export function parseSubjectAltName(text: string): San[] {
  const out: San[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const type = TYPES[text.slice(i, colon).trim().toLowerCase()];
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 1);
      if (close === -1) break;
      value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      end = text.indexOf(',', close);
    } else {
      end = text.indexOf(',', colon);
      value = text.slice(colon + 1, end === -1 ? undefined : end);
    }
    if (type) out.push({ type, value });
    if (end === -1) break;
    i = end + 1;
  }
  return out;
}

function closingQuote(text: string, open: number): number {
  for (let j = open + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j;
  }
  return -1;
}
