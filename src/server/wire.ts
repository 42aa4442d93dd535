import { STATUS_CODES } from 'node:http';
import { errorBody } from '../errors.ts';

/**
 * The one writer of raw HTTP/1.1 response heads, for the places with no ServerResponse: an upgrade
 * request's socket, and connections Node's parser gave up on. Fields are the flat name/value list of
 * server/headers.ts (`responseHeaderList`, the one hop-by-hop filter) or of Node's `rawHeaders`, whose
 * parser never yields a CR or LF in a name or value.
 */
export function rawHead(status: number, reason: string | undefined, fields: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${reason || STATUS_CODES[status] || 'Error'}\r\n`;
  for (let i = 0; i + 1 < fields.length; i += 2) head += `${fields[i]}: ${fields[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** A Docker-style error `{"message": ...}` as a whole raw answer, on a connection closed after it. */
export function rawErrorAnswer(status: number, message: string): string {
  const body = errorBody(message);
  return (
    rawHead(status, undefined, [
      'Content-Type',
      'application/json',
      'Content-Length',
      String(Buffer.byteLength(body)),
      'Connection',
      'close',
    ]) + body
  );
}
