import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DockerApiError } from '../errors.ts';
import { errorBody } from '../errors.ts';
import { rawErrorAnswer } from './wire.ts';

export { asApiError, DockerApiError, errorBody, errors, refusalRule } from '../errors.ts';

/**
 * Sends a Docker-style error. When the response has already started (a stream was under way),
 * the only honest signal left is to cut the connection, so the socket is destroyed.
 */
export function sendError(res: ServerResponse, error: DockerApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(error.message);
  res.writeHead(error.status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The same on a raw socket (the upgrade path, where there is no ServerResponse), then closed. */
export function writeSocketError(socket: Duplex, error: DockerApiError): void {
  socket.end(rawErrorAnswer(error.status, error.message));
}
