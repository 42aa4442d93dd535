import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../../src/policy/clients.ts';
import { StreamSlots } from '../../../src/server/capacity.ts';
import { holdLongLived } from '../../../src/server/long-lived.ts';
import type { Observer } from '../../../src/server/observe.ts';

function recordingObserver() {
  const events: string[] = [];
  const sessions: { end: () => void }[] = [];
  const observer: Observer = {
    complete: () => {},
    streamOpened: (client, kind, session) => {
      events.push(`open ${client} ${kind}`);
      if (session) sessions.push(session);
      return () => events.push(`close ${client} ${kind}`);
    },
  };
  return { observer, events, sessions };
}

const who = (address: string) => ({
  client: 'ci',
  caller: { listener: 'tcp', address, headers: {} } as Caller,
  socket: { remoteAddress: address } as Socket,
});

describe('holdLongLived: a long-lived stream holds a slot of its client until it closes', () => {
  it('a stream takes a slot and tells the observer; its close gives both back', () => {
    const slots = new StreamSlots(1);
    const { observer, events } = recordingObserver();
    const closing = new EventEmitter();
    holdLongLived(slots, observer, 'stream', who('10.0.0.1'), () => {}, closing);
    expect(events).toEqual(['open ci stream']);
    expect(() =>
      holdLongLived(slots, observer, 'hijack', who('10.0.0.1'), () => {}, new EventEmitter()),
    ).toThrow(
      expect.objectContaining({
        status: 429,
        message:
          'dockscope: this client has 1 long-lived streams open (MAX_STREAMS_PER_CLIENT); close one first',
      }),
    );
    // Another address has its own slots.
    holdLongLived(slots, observer, 'hijack', who('10.0.0.2'), () => {}, new EventEmitter());
    closing.emit('close');
    expect(events).toEqual(['open ci stream', 'open ci hijack', 'close ci stream']);
    holdLongLived(slots, observer, 'hijack', who('10.0.0.1'), () => {}, new EventEmitter());
    expect(events.at(-1)).toBe('open ci hijack');
  });

  it('a refused stream is not told to the observer', () => {
    const { observer, events } = recordingObserver();
    expect(() =>
      holdLongLived(new StreamSlots(0), observer, 'stream', who('10.0.0.1'), () => {}, new EventEmitter()),
    ).toThrow();
    expect(events).toEqual([]);
  });

  it('the session the observer gets ends the stream', () => {
    const { observer, sessions } = recordingObserver();
    let ended = 0;
    holdLongLived(new StreamSlots(2), observer, 'stream', who('10.0.0.1'), () => ended++, new EventEmitter());
    sessions[0]?.end();
    expect(ended).toBe(1);
  });
});
