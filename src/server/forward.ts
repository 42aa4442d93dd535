import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Upstream } from '../upstream/client.ts';
import { errors, sendError } from './errors.ts';
import { hasRequestBody } from './headers.ts';
import type { RequestState } from './request-state.ts';

interface ForwarderDeps {
  readonly upstream: Upstream;
  /** Relays a decided request's upstream answer to the client. */
  readonly respond: (
    state: RequestState,
    method: string,
    upstreamRes: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>;
}

type ForwardRequest = (
  req: IncomingMessage,
  res: ServerResponse,
  state: RequestState,
  headers: IncomingHttpHeaders,
) => Promise<void>;

/**
 * Sends a decided request upstream, with headers prepared completely beforehand, on the connection
 * pool of its lane (streams and slow calls use their own connections), and hands the answer to
 * `respond`. One path for every answer, passed through or rewritten: dockscope must be able to answer
 * the client with a Docker-style error when the upstream fails or cuts an answer short, and the wait
 * for the upstream's response head is bounded by the request's timing (past it: a 504, the upstream
 * connection closed).
 *
 * Written on `Upstream.open` rather than a proxy library: the answer must stay dockscope's to finish
 * when the upstream breaks off (a library destroys the client's response at once), and a library's
 * hooks cost about a third of the JavaScript time on `/_ping` (measured in issue #13).
 */
export function createForwarder(deps: ForwarderDeps): ForwardRequest {
  const { upstream, respond } = deps;
  return async (req, res, state, headers) => {
    const forward = state.forwarding;
    const timing = state.timing;
    if (!forward || !timing) throw new Error('forwarding a request that was not decided');
    // A chunked upload goes on a connection that is closed after it (GHSA-ggv3-7p47-pfv8): nothing after its last chunk can be read as another request.
    if (forward.body === undefined && headers['transfer-encoding'] !== undefined)
      headers.connection = 'close';
    // A client that goes away cancels the upstream request, or ends its answer once it came. (Its
    // access record, and the reason client-gone, are the request listener's.)
    let cancel: (() => void) | undefined;
    let upstreamRes: IncomingMessage | undefined;
    const onClose = () => {
      if (upstreamRes) upstreamRes.destroy();
      else cancel?.();
    };
    res.once('close', onClose);
    try {
      upstreamRes = await upstream.open(req.method ?? 'GET', forward.path, {
        headers,
        body: forward.body ?? (hasRequestBody(req.headers) ? req : undefined),
        agent: upstream.agentFor(timing.lane),
        timeoutMs: timing.headerTimeoutMs,
        cancel: (destroy) => {
          cancel = destroy;
        },
      });
    } catch (error) {
      res.off('close', onClose);
      if (res.destroyed) return;
      const apiError = errors.upstream(upstream.display, error);
      state.decision = apiError.decision;
      state.reason = apiError.reason;
      sendError(res, apiError);
      return;
    }
    if (res.destroyed) {
      res.off('close', onClose);
      upstreamRes.destroy();
      return;
    }
    await respond(state, req.method ?? 'GET', upstreamRes, res);
  };
}
