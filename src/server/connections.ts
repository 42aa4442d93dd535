import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { nameListener } from './caller.ts';
import { rawErrorAnswer } from './wire.ts';

/** After an error answer, what is still read and dropped so that the answer arrives (then: closed). */
const DRAIN_MS = 5000;
const DRAIN_BYTES = 64 * 1024 * 1024;

interface ConnectionGuard {
  /** For a listener's `connection` event: names the socket and counts it against MAX_CONNECTIONS. */
  onConnection(listener: string, tls: boolean): (socket: Socket) => void;
  /** For a TLS listener's `secureConnection` event. */
  onSecureConnection(listener: string): (socket: Socket) => void;
  /** For every listener's `clientError` event: a bad head, a slow one, a handshake that failed. */
  readonly onClientError: (error: NodeJS.ErrnoException, socket: Socket) => void;
}

/**
 * Client connections before they carry a request: the total cap over every listener (one more gets a
 * Docker-style 503 at once) and the answers to connections Node's HTTP parser gives up on.
 */
export function createConnectionGuard(maxConnections: number, log: Logger): ConnectionGuard {
  let open = 0;
  // TLS sockets whose handshake finished: only they can carry an HTTP answer.
  const secured = new WeakSet<Socket>();
  // Sockets that got their error answer, with the bytes read by then.
  const answered = new WeakMap<Socket, number>();
  return {
    onConnection: (listener, tls) => (socket) => {
      // A TLS socket is named once the handshake is done (the request's socket is the TLS one).
      if (!tls) nameListener(socket, listener);
      // Counted as they connect: a handshake in progress holds a descriptor too.
      open++;
      socket.once('close', () => {
        open--;
      });
      if (open <= maxConnections) return;
      log.warn({ reason: 'over-capacity', open }, 'connection refused: MAX_CONNECTIONS reached');
      if (tls) {
        socket.destroy();
        return;
      }
      socket.end(
        rawErrorAnswer(
          503,
          `dockscope: ${maxConnections} client connections are open (MAX_CONNECTIONS); try again later`,
        ),
      );
      socket.destroySoon();
    },
    onSecureConnection: (listener) => (socket) => {
      secured.add(socket);
      nameListener(socket, listener);
    },
    onClientError: (error, socket) => {
      const since = answered.get(socket);
      if (since !== undefined) {
        // Node's parser reports every later chunk as the same error. Those bytes are read and dropped:
        // closing with unread data would send a reset, and the client would lose the answer (#27).
        if (error.code === 'ECONNRESET' || socket.bytesRead - since > DRAIN_BYTES) socket.destroy();
        return;
      }
      // A handshake that failed or timed out (#27): an answer written to it would wait for the
      // handshake forever, and `end()` would keep the socket, and its MAX_CONNECTIONS slot, open.
      const unsecured = 'encrypted' in socket && !secured.has(socket);
      if (unsecured || error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      answered.set(socket, socket.bytesRead);
      socket.end(
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawErrorAnswer(408, 'dockscope: the request head did not arrive in time')
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? rawErrorAnswer(431, 'dockscope: request headers are too large')
            : rawErrorAnswer(400, 'dockscope: malformed HTTP request'),
      );
      // A client that neither reads nor stops sending is not waited for longer.
      const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    },
  };
}
