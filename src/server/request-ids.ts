/** Request ids and the path kept of a request for its log line and record. */

let nextId = 1;

/** A process-wide request id, for the log lines and the completion record of one request. */
export function newRequestId(): number {
  const id = nextId;
  nextId = nextId >= Number.MAX_SAFE_INTEGER ? 1 : nextId + 1;
  return id;
}

/** Path without the query, for logs: queries may carry values a log should not keep. */
export function logPath(url: string): string {
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 512);
}
