import { goJsonInner } from '../../policy/missing.ts';
import type { DaemonAnswer, Dialect, RenderedAnswer } from '../dialect.ts';

/** dockerd's error body: `{"message":...}` and a newline (httputils.WriteJSON, HTML not escaped). */
function answer(status: number, message: string): RenderedAnswer {
  return { status, message, body: `{"message":"${goJsonInner(message)}"}\n` };
}

/** dockerd's words (moby daemon/, errdefs), as measured on the test daemon. */
export const DOCKER: Dialect = {
  name: 'docker',
  display: 'Docker Engine',
  render(a: DaemonAnswer): RenderedAnswer {
    switch (a.kind) {
      // The create's container mode naming a missing container: 400, not the 404 of an inspect.
      case 'missingJoin':
        return answer(400, `No such container: ${a.ref}`);
      // 400, not the 404 of `GET /networks/x`: the CLI takes a 404 to a create for a missing image.
      case 'missingNetwork':
        return answer(400, `network ${a.ref} not found`);
      // daemon/cluster/helpers.go
      case 'ambiguous':
        return answer(400, `${a.what} ${a.ref} is ambiguous (${a.count} matches found)`);
    }
  },
  // `Conflict. The container name "/x" is already in use by container "<id>". You have to ...`, as
  // text or inside a JSON string (`\"`).
  inUseBy: / by container \\?"[0-9a-f]{12,64}\\?"/g,
  ambiguousContainer: /multiple IDs found with provided prefix/i,
  eventAttributes: new Set([
    'name',
    'image',
    'exitCode',
    'execDuration',
    'signal',
    'execID',
    'comment',
    'imageID',
    'imageRef',
    'oldName',
    'height',
    'width',
    'container',
  ]),
  staleEvents: {
    filter: ['rename', 'destroy', 'die', 'connect', 'disconnect'],
    removed: 'destroy',
    died: 'die',
  },
};
