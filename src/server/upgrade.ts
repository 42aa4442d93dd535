import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FailureReason } from '../errors.ts';
import type { Forwarding } from '../policy/decide.ts';
import type { MissingRef } from '../policy/missing.ts';
import type { SessionHandle } from './build-sessions.ts';
import { sessionIdOf, withSessionMethods } from './build-sessions.ts';
import { callerOf, identifyRequest } from './caller.ts';
import { completion } from './completion.ts';
import { asApiError, DockerApiError, errors, writeSocketError } from './errors.ts';
import { forwardedRequestHeaders, responseHeaderList } from './headers.ts';
import type { Judgement } from './judge.ts';
import { judge } from './judge.ts';
import { holdLongLived } from './long-lived.ts';
import { MAX_MISSING_BODY, readWholeOr502 } from './relay-common.ts';
import { logPath, newRequestId } from './request-ids.ts';
import { missingAnswer } from './respond-missing.ts';
import type { TransportDeps } from './transport-deps.ts';
import { visibleId } from './treatments.ts';
import { rawHead } from './wire.ts';

/**
 * Docker's hijacked connections (`docker exec -it`, `docker attach`): `POST` with `Upgrade: tcp`,
 * answered `101 UPGRADED`, then raw bytes both ways with half-close. Proxy libraries only proxy GET
 * WebSocket upgrades, so this is done here: decide first, forward the request, and only after the
 * upstream's 101 join the two sockets. Until then no byte beyond the request body reaches the
 * upstream, so a pipelined second request can never slip through unjudged.
 */
export function createUpgradeHandler(deps: TransportDeps) {
  const { upstream, clients, log, streams, observer, buildSessions, addresses } = deps;
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const caller = callerOf(req);
    const method = req.method ?? '';
    const url = req.url ?? '';
    const ids = { reqId: newRequestId(), listener: caller.listener, method, path: logPath(url) };
    const bindings: Record<string, unknown> = { ...ids };
    const reqLog = () => log.child(bindings);
    const started = performance.now();
    let j: Judgement = {};
    let recorded = false;
    let session: SessionHandle | null = null;
    /** The completion record, once: when the tunnel opens, or the request is answered. */
    const done = (status: number, decision: string, reason?: FailureReason) => {
      if (recorded) return;
      recorded = true;
      observer.complete(
        completion(ids, j, {
          decision,
          reason,
          status,
          complete: true,
          upgrade: true,
          ms: performance.now() - started,
        }),
      );
    };
    socket.on('error', () => socket.destroy());
    const identity = identifyRequest(clients, addresses, req, caller, bindings);
    (async () => {
      j = await judge({
        transport: 'upgrade',
        method,
        url,
        headers: req.headers,
        upstreamTimeoutMs: upstream.timeoutMs,
        identify: identity.identify,
      });
      if (j.refusal) throw j.refusal.error;
      const { client, forwarding, classified } = j;
      if (!client || !forwarding || !classified) throw new Error('a judgement without a decision');
      const sessionId = classified.route.kind === 'buildSession' ? sessionIdOf(req.headers) : null;
      const length = Number(req.headers['content-length'] ?? 0);
      // Gone while it was decided: no slot is taken (its close has already run).
      if (socket.destroyed) return;
      const who = { client: client.name, caller: identity.kept(), socket: req.socket };
      holdLongLived(streams, observer, 'hijack', who, () => socket.destroy(), socket);
      // Bound to its client before anything is forwarded, unbound when its connection closes.
      if (sessionId !== null) {
        session = buildSessions.open(sessionId, client.name, () => socket.destroy());
        socket.once('close', session.close);
      }
      const { body, extra } = await readExactly(socket, head, length);
      tunnel(forwarding, body, extra, classified.contentType);
    })().catch((error: unknown) => {
      const apiError = asApiError(error);
      const cause = j.refusal ? j.refusal.cause : error;
      // A refusal after the judgement (the stream cap, the body) is recorded as the judgement's would be.
      if (!j.refusal) j = { ...j, refusal: { step: 'upgrade', error: apiError, cause: error } };
      if (!(cause instanceof DockerApiError)) reqLog().error({ err: cause }, 'decision failed');
      done(apiError.status, apiError.decision, apiError.reason);
      writeSocketError(socket, apiError);
    });

    function tunnel(forward: Forwarding, body: Buffer, extra: Buffer, contentType: string | undefined): void {
      // The client may have left while the decision was made: then there is nothing to open.
      if (socket.destroyed) return;
      const headers: OutgoingHttpHeaders = forwardedRequestHeaders(req.headers, undefined, contentType, true);
      headers['content-length'] = String(body.length);
      if (j.classified?.route.kind === 'buildSession') withSessionMethods(headers, req.headersDistinct);
      upstream
        .openHijack(method, forward.path, {
          headers,
          body,
          cancel: (destroy) => socket.once('close', destroy),
        })
        .then(
          (answer) => {
            if (answer.upgraded) {
              done(answer.res.statusCode ?? 101, 'allowed');
              // The 101 as the daemon wrote it: its Connection and Upgrade fields are the tunnel's.
              socket.write(
                rawHead(answer.res.statusCode ?? 101, answer.res.statusMessage, answer.res.rawHeaders),
              );
              if (answer.head.length > 0) socket.write(answer.head);
              if (extra.length > 0) answer.socket.write(extra);
              join(socket, answer.socket);
              session?.upgraded();
              return;
            }
            const res = answer.res;
            const missing = forward.missing;
            if (!missing) {
              // No upgrade (an error from the daemon or the socket proxy): relay it and close.
              done(res.statusCode ?? 502, 'allowed');
              const { list } = responseHeaderList(res.rawHeaders);
              socket.write(
                rawHead(res.statusCode ?? 502, res.statusMessage, [...list, 'Connection', 'close']),
              );
              res.pipe(socket);
              return;
            }
            return relayMissingRaw(res, missing);
          },
          (error: unknown) => {
            const apiError = errors.upstream(upstream.display, error);
            done(apiError.status, apiError.decision, apiError.reason);
            writeSocketError(socket, apiError);
          },
        )
        .catch((error: unknown) => {
          reqLog().error({ err: error }, 'relaying the upgrade answer failed');
          socket.destroy();
        });
    }

    /**
     * The daemon's answer about the sentinel, with the reference the client typed put back (the
     * rewrite plain requests get: server/respond-missing.ts), its head as the daemon wrote it; the
     * connection ends after it (a hijacked attach answers with no length: its body ends with it).
     */
    async function relayMissingRaw(res: IncomingMessage, missing: readonly MissingRef[]): Promise<void> {
      const text = await readWholeOr502(res, MAX_MISSING_BODY, upstream.display);
      if (typeof text !== 'string') {
        done(text.status, text.decision, text.reason);
        writeSocketError(socket, text);
        return;
      }
      const resolver = j.client?.resolver;
      const isVisibleId = resolver ? visibleId({ resolver }) : async () => false;
      const answer = await missingAnswer(res, text, missing, method, isVisibleId);
      done(answer.status, 'hidden');
      socket.end(rawHead(answer.status, res.statusMessage, answer.fields) + (answer.body ?? ''));
    }
  };
}

/**
 * Joins two sockets, keeping half-close: when the client ends its side (stdin EOF), the upstream's
 * write side is ended and output keeps flowing back until the upstream ends too.
 */
function join(client: Duplex, upstreamSocket: Socket): void {
  upstreamSocket.setNoDelay(true);
  upstreamSocket.setKeepAlive(true, 30_000);
  if ('setNoDelay' in client) (client as Socket).setNoDelay(true);
  if ('setKeepAlive' in client) (client as Socket).setKeepAlive(true, 30_000);
  client.pipe(upstreamSocket);
  upstreamSocket.pipe(client);
  const destroyBoth = () => {
    client.destroy();
    upstreamSocket.destroy();
  };
  client.on('error', destroyBoth);
  upstreamSocket.on('error', destroyBoth);
  // A side that closes completely (not a half-close) ends the pair: no tunnel outlives its peer.
  client.on('close', () => upstreamSocket.destroy());
  upstreamSocket.on('close', () => {
    if (!client.writableEnded) client.end();
  });
}

/** Splits the bytes after the request head into the body (Content-Length bytes) and what follows. */
export function readExactly(
  socket: Duplex,
  head: Buffer,
  length: number,
): Promise<{ body: Buffer; extra: Buffer }> {
  if (head.length >= length) {
    return Promise.resolve({ body: head.subarray(0, length), extra: head.subarray(length) });
  }
  return new Promise((resolve, reject) => {
    const chunks = [head];
    let size = head.length;
    const timer = setTimeout(() => fail(errors.badRequest('timed out reading the request body')), 30_000);
    const fail = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= length) {
        cleanup();
        socket.pause();
        const all = Buffer.concat(chunks, size);
        resolve({ body: all.subarray(0, length), extra: all.subarray(length) });
      }
    };
    const onEnd = () => fail(errors.badRequest('connection closed before the request body was complete'));
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}
