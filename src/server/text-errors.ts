import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../upstream/client.ts';
import { DockerApiError, sendError } from './errors.ts';
import type { Relayed } from './relay-common.ts';
import { MAX_MISSING_BODY } from './relay-common.ts';
import type { RespondContext } from './treatments.ts';

/** How much of a socket proxy's text refusal is quoted. */
const MAX_QUOTED = 200;

/**
 * An error the upstream wrote as text, not JSON: a socket proxy's HTML refusal ("403 Forbidden …
 * Request forbidden by administrative rules." from HAProxy-based ones) or a plain-text one. The Docker
 * CLI reads `{"message"}`; so the client gets the same status with the upstream's words, stripped of
 * markup and capped, saying where they came from.
 */
export async function relayTextError(
  upstreamRes: IncomingMessage,
  status: number,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<Relayed> {
  let text = '';
  try {
    text = await readBody(upstreamRes, MAX_MISSING_BODY);
  } catch {
    text = '';
  }
  const reason = quoteText(text);
  const error = new DockerApiError(
    status,
    `dockscope: the upstream ${ctx.upstreamDisplay} refused the request (${status})${reason ? `: ${reason}` : ''}`,
    'refused',
  );
  sendError(res, error);
  return { decision: 'upstream-refused' };
}

/** Text for a message: tags and entities out, white space folded, printable characters only, capped. */
export function quoteText(text: string): string {
  const plain = text
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39|nbsp);/g,
      (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' })[e] ?? ' ',
    )
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > MAX_QUOTED ? `${plain.slice(0, MAX_QUOTED - 3)}...` : plain;
}
