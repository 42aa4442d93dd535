import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DockerApiError } from '../errors.ts';
import { errorBody } from '../errors.ts';

export type { Decision } from '../errors.ts';
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

/** The same, written by hand on a raw socket (the upgrade path, where there is no ServerResponse). */
export function writeSocketError(socket: Duplex, error: DockerApiError): void {
  const body = errorBody(error.message);
  const head =
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n';
  socket.end(head + body);
}
