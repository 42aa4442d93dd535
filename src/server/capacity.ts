import type { Socket } from 'node:net';

/**
 * Long-lived streams (events, `logs -f`, streaming stats, attach, exec, wait) each hold a connection
 * to the upstream for as long as they last. One client address may hold at most `perClient` of them;
 * one more is refused at once (429) rather than left to pile up.
 */
export class StreamSlots {
  readonly #open = new Map<string, number>();
  readonly perClient: number;

  constructor(perClient: number) {
    this.perClient = perClient;
  }

  /** A slot for the client, and the function that gives it back (once), or null when it has none left. */
  take(client: string): (() => void) | null {
    const n = this.#open.get(client) ?? 0;
    if (n >= this.perClient) return null;
    this.#open.set(client, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(client) ?? 1) - 1;
      if (left <= 0) this.#open.delete(client);
      else this.#open.set(client, left);
    };
  }
}

/** The client a cap counts against: its address (all clients of a unix socket are one). */
export function clientKey(socket: Socket | undefined): string {
  return socket?.remoteAddress ?? 'unix';
}

/**
 * Requests on one connection are handled one after the other, as HTTP/1.1 answers them: a pipelined
 * request waits until the one before it has been answered, and while requests wait, the connection is
 * not read. So a client that pipelines ten thousand requests costs what one does, plus the few that
 * were already parsed from the bytes read (at most one read buffer's worth).
 */
export class ConnectionQueue {
  readonly #queues = new WeakMap<Socket, { busy: boolean; waiting: (() => void)[] }>();

  /**
   * `done` at once when the connection is idle (the common case: no promise, no microtask), else a
   * promise of it that resolves when it is this request's turn. Call `done` when it is answered.
   */
  turn(socket: Socket): (() => void) | Promise<() => void> {
    let q = this.#queues.get(socket);
    if (!q) {
      q = { busy: false, waiting: [] };
      this.#queues.set(socket, q);
    }
    const queue = q;
    if (!queue.busy) return this.#start(queue, socket);
    socket.pause();
    return new Promise<() => void>((resolve) =>
      queue.waiting.push(() => resolve(this.#start(queue, socket))),
    );
  }

  #start(queue: { busy: boolean; waiting: (() => void)[] }, socket: Socket): () => void {
    queue.busy = true;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      const next = queue.waiting.shift();
      if (next) next();
      else {
        queue.busy = false;
        if (!socket.destroyed) socket.resume();
      }
    };
  }
}

/**
 * Request bodies held in memory while they are judged (issue #27): a judged body may be 4 MiB, and
 * parsing and decoding it costs up to about nine times that, so without a bound 64 connections each
 * sending one would take most of a container's memory. Bytes are reserved as they arrive and given
 * back when the request ends; one client address may hold `perClient` of them, all clients together
 * `total`. A body that does not fit is refused at once, so no client waits on another.
 */
export class BodyBudget {
  readonly total: number;
  readonly perClient: number;
  #used = 0;
  readonly #byClient = new Map<string, number>();

  constructor(total: number, perClient: number) {
    this.total = total;
    this.perClient = perClient;
  }

  /** Reserves `bytes` more for the client: 'ok', or which budget it would exceed (nothing reserved). */
  reserve(client: string, bytes: number): 'ok' | 'client' | 'total' {
    const held = this.#byClient.get(client) ?? 0;
    if (held + bytes > this.perClient) return 'client';
    if (this.#used + bytes > this.total) return 'total';
    this.#byClient.set(client, held + bytes);
    this.#used += bytes;
    return 'ok';
  }

  release(client: string, bytes: number): void {
    if (bytes <= 0) return;
    const left = (this.#byClient.get(client) ?? bytes) - bytes;
    if (left <= 0) this.#byClient.delete(client);
    else this.#byClient.set(client, left);
    this.#used = Math.max(0, this.#used - bytes);
  }

  /** Bytes held now, by every client together. */
  get used(): number {
    return this.#used;
  }
}
