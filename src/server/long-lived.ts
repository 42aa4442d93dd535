import type { Socket } from 'node:net';
import type { Caller } from '../policy/clients.ts';
import type { StreamSlots } from './capacity.ts';
import { clientKey } from './capacity.ts';
import { errors } from './errors.ts';
import type { Observer } from './observe.ts';

/**
 * Holds a long-lived stream or hijack of one client: a stream slot of its address (none left: the
 * request is refused, MAX_STREAMS_PER_CLIENT), known to the observer so that a reload may end it
 * (`end`), both given back when `closing` closes.
 */
export function holdLongLived(
  streams: StreamSlots,
  observer: Observer,
  kind: 'stream' | 'hijack',
  who: { readonly client: string; readonly caller: Caller; readonly socket: Socket },
  end: () => void,
  closing: { once(event: 'close', listener: () => void): unknown },
): void {
  const release = streams.take(clientKey(who.socket));
  if (!release) {
    throw errors.overCapacity(
      `this client has ${streams.perClient} long-lived streams open (MAX_STREAMS_PER_CLIENT); close one first`,
    );
  }
  const closed = observer.streamOpened(who.client, kind, { caller: who.caller, end });
  closing.once('close', () => {
    release();
    closed();
  });
}
