import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody } from '../upstream/client.ts';
import type { DockerApiError } from './errors.ts';
import { errors, sendError } from './errors.ts';
import type { FailureReason } from './request-state.ts';
import type { RespondContext } from './treatments.ts';

/** A "missing" answer is a short error message; anything longer is not what the daemon says there. */
export const MAX_MISSING_BODY = 1024 * 1024;

/** What the relay learnt that changes the request's access record. */
export interface Relayed {
  readonly decision: string;
  readonly reason?: FailureReason;
}

export const failed = (res: ServerResponse, error: DockerApiError): Relayed => {
  sendError(res, error);
  return { decision: error.decision, ...(error.reason ? { reason: error.reason } : {}) };
};

/**
 * Reads an upstream answer whole, within `cap`; if it is cut short or too large, the fitting 502 is
 * returned instead of the text.
 */
export async function readWholeOr502(
  upstreamRes: IncomingMessage,
  cap: number,
  upstreamDisplay: string,
): Promise<string | DockerApiError> {
  const status = upstreamRes.statusCode ?? 502;
  try {
    return await readBody(upstreamRes, cap);
  } catch (error) {
    return error instanceof BodyTooLargeError
      ? errors.upstreamStatus(upstreamDisplay, status, 'sending a body too large to check', 'too-large')
      : errors.upstreamTruncated(upstreamDisplay, status);
  }
}

/** The same, the 502 sent to the client and its outcome returned instead of the text. */
export async function readWhole(
  upstreamRes: IncomingMessage,
  cap: number,
  res: ServerResponse,
  ctx: RespondContext,
): Promise<string | Relayed> {
  const text = await readWholeOr502(upstreamRes, cap, ctx.upstreamDisplay);
  return typeof text === 'string' ? text : failed(res, text);
}
