import { goJsonInner } from '../../policy/missing.ts';
import type { DaemonAnswer, Dialect, RenderedAnswer } from '../dialect.ts';

/**
 * Podman's error body (pkg/api/handlers/utils: errorhandling.ErrorModel): the error's cause, its
 * whole message and the status, JSON-encoded with Go's HTML escaping on, and a newline. Measured on
 * Debian's Podman 4.3.1: `{"cause":"no such container","message":"no container with name or ID
 * \"x\" found: no such container","response":404}`.
 */
function answer(status: number, cause: string, message: string): RenderedAnswer {
  const json = (s: string) =>
    goJsonInner(s).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');
  return {
    status,
    message,
    body: `{"cause":"${json(cause)}","message":"${json(message)}","response":${status}}\n`,
  };
}

/** Go's `%q` of a string, as Podman quotes the names in its messages (strconv.Quote). */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 || c === 0xfeff)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const NO_SUCH_CONTAINER = 'no such container';

/** Podman's words through its Docker-compatible API (libpod/define/errors.go, pkg/api/handlers/compat). */
export const PODMAN: Dialect = {
  name: 'podman',
  display: 'Podman',
  render(a: DaemonAnswer): RenderedAnswer {
    switch (a.kind) {
      // A create refuses a missing container to share a namespace with at once, as a 500.
      case 'missingJoin':
        return answer(
          500,
          NO_SUCH_CONTAINER,
          `container create: looking up container to share ${a.mode === 'network' ? 'net' : 'cgroup'} namespace with: no container with name or ID ${goQuote(a.ref)} found: ${NO_SUCH_CONTAINER}`,
        );
      case 'missingNetwork':
        return answer(
          500,
          'network not found',
          `container create: unable to find network with name or ID ${a.ref}: network not found`,
        );
      // Podman has no swarm: its answer to any swarm route is its own 404 before this could be asked.
      case 'ambiguous':
        return answer(400, a.what, `${a.what} ${a.ref} is ambiguous (${a.count} matches found)`);
    }
  },
  // `the container name "x" is already in use by <id>. You have to remove that container ...`
  inUseBy: / by [0-9a-f]{64}(?=\.)/g,
  // A 404 (!), which would read as missing: `more than one result for container ID 0: container already exists`.
  ambiguousContainer: /more than one result for container ID/i,
  // libpod/events: the container's name, image, exit code and pod, beside its labels.
  eventAttributes: new Set(['name', 'image', 'containerExitCode', 'podId', 'container']),
  // Its /events filter takes its own names (`remove`, `died`; `destroy` and `die` match nothing),
  // and it sends `remove` and `die` (measured).
  staleEvents: {
    filter: ['rename', 'remove', 'died', 'connect', 'disconnect'],
    removed: 'remove',
    died: 'die',
  },
};
