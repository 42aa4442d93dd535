import type * as http from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CallerAddresses } from '../policy/caller-addresses.ts';
import { parseSubjectAltName } from '../policy/cert-san.ts';
import type { Caller, Client, Clients } from '../policy/clients.ts';

/** Which listener a connection came in on. */
const listenerOf = new WeakMap<Socket, string>();

export function nameListener(socket: Socket, name: string): void {
  listenerOf.set(socket, name);
}

/**
 * Tokens identify clients to dockscope; none goes upstream, whichever client matched. Deleted only
 * when sent: a delete turns the headers object into a slower dictionary.
 */
export function dropToken(clients: Clients, req: http.IncomingMessage): void {
  if (clients.usesTokens && req.headers.authorization !== undefined) delete req.headers.authorization;
}

/** Who sends a request: its listener, address, headers and TLS client certificate. */
export function callerOf(req: http.IncomingMessage): Caller {
  const socket = req.socket as Socket & Partial<TLSSocket>;
  const cert = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null;
  const certificate =
    cert && typeof cert.subject === 'object' && cert.subject
      ? {
          cn: String(cert.subject.CN ?? ''),
          san: parseSubjectAltName(cert.subjectaltname ?? ''),
        }
      : undefined;
  return {
    listener: listenerOf.get(socket) ?? '',
    address: socket.remoteAddress,
    headers: req.headers,
    ...(certificate ? { certificate } : {}),
  };
}

/**
 * The caller as identified, for a session a reload identifies again: `dropToken` deletes the token
 * from the request's headers, so it is put back in a copy (kept in memory only, never logged).
 */
export function keptCaller(caller: Caller, authorization: string | undefined): Caller {
  return authorization === undefined ? caller : { ...caller, headers: { ...caller.headers, authorization } };
}

/**
 * The caller with the container at its address, when a `container:` client could match it (issue
 * #23). Looked up before identification, which stays a pure function of the caller; a caller no
 * container is found for carries `container: null` and matches no `container:` client.
 */
export function withContainer(
  clients: Clients,
  addresses: CallerAddresses | undefined,
  caller: Caller,
): Caller | Promise<Caller> {
  // At once (no promise, no microtask) for every caller no `container:` client could be: the hot path.
  if (!addresses || !clients.needsContainer(caller)) return caller;
  return addresses.locate(caller.address).then((container) => ({ ...caller, container }));
}

/** A server request's identify step, and what it learnt for the request's streams. */
interface RequestIdentity {
  /** The identify step's port (server/judge.ts). */
  readonly identify: () => Client | Promise<Client>;
  /** The caller as identified, with the token it sent: a reload re-identifies open streams with it. */
  kept(): Caller;
}

/**
 * The identify step of a server request (plain or upgrade): the caller's container looked up when a
 * `container:` client could match it, the client identified (named in the request's log bindings),
 * then its token dropped from the headers before anything is forwarded. At once when no look-up is
 * due (the hot path: no promise).
 */
export function identifyRequest(
  clients: Clients,
  addresses: CallerAddresses | undefined,
  req: http.IncomingMessage,
  sender: Caller,
  bindings: Record<string, unknown>,
): RequestIdentity {
  let caller = sender;
  let authorization: string | undefined;
  const identify = (located: Caller) => {
    caller = located;
    const found = clients.identify(located);
    const done = (client: Client) => {
      bindings.client = client.name;
      authorization = req.headers.authorization;
      dropToken(clients, req);
      return client;
    };
    return found instanceof Promise ? found.then(done) : done(found);
  };
  return {
    identify: () => {
      const located = withContainer(clients, addresses, caller);
      return located instanceof Promise ? located.then(identify) : identify(located);
    },
    kept: () => keptCaller(caller, authorization),
  };
}
