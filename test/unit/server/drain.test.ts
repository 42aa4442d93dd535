import { EventEmitter } from 'node:events';
import type * as http from 'node:http';
import { describe, expect, it } from 'vitest';
import { InFlight } from '../../../src/server/drain.ts';
import type { Observer } from '../../../src/server/observe.ts';

/** A server that emits requests whose answers the test closes. */
function fakeServer() {
  const server = new EventEmitter();
  const request = () => {
    const res = new EventEmitter();
    server.emit('request', {}, res);
    return () => res.emit('close');
  };
  return { server: server as unknown as http.Server, request };
}

const closedLog: string[] = [];
const inner: Observer = {
  complete: () => {},
  streamOpened: (client, kind) => () => closedLog.push(`${client} ${kind}`),
};

describe('InFlight: a shutdown lets the short requests finish (#27)', () => {
  it('every request counts until its answer closes', () => {
    const inFlight = new InFlight();
    const s = fakeServer();
    inFlight.track(s.server);
    const close1 = s.request();
    const close2 = s.request();
    expect(inFlight.short).toBe(2);
    close1();
    expect(inFlight.short).toBe(1);
    close2();
    expect(inFlight.short).toBe(0);
  });

  it('a long-lived stream’s request is not waited for; a hijack’s is; a stream closed twice counts once', () => {
    const inFlight = new InFlight();
    const s = fakeServer();
    inFlight.track(s.server);
    const observer = inFlight.observe(inner);
    s.request();
    s.request();
    const closeStream = observer.streamOpened('ci', 'stream');
    observer.streamOpened('ci', 'hijack');
    expect(inFlight.short).toBe(1);
    closedLog.length = 0;
    closeStream();
    closeStream();
    expect(inFlight.short).toBe(2);
    expect(closedLog).toEqual(['ci stream']);
  });

  it('settled resolves at once when nothing short is in progress, or with a timeout of 0', async () => {
    const inFlight = new InFlight();
    await inFlight.settled(60_000);
    const s = fakeServer();
    inFlight.track(s.server);
    s.request();
    await inFlight.settled(0);
  });

  it('settled resolves when the last short request ends, before the timeout', async () => {
    const inFlight = new InFlight();
    const s = fakeServer();
    inFlight.track(s.server);
    const close = s.request();
    let settled = false;
    const wait = inFlight.settled(60_000).then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    close();
    await wait;
    expect(settled).toBe(true);
  });

  it('settled resolves after the timeout when a request goes on', async () => {
    const inFlight = new InFlight();
    const s = fakeServer();
    inFlight.track(s.server);
    s.request();
    const started = Date.now();
    await inFlight.settled(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(inFlight.short).toBe(1);
  });
});
