import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BODY_BUDGET_PER_CLIENT, MAX_REQUEST_BODY } from '../../src/server/app.ts';
import type { RunningDockscope } from './support/dockscope.ts';
import { startTestDockscope } from './support/dockscope.ts';
import { removeContainers, uniquePrefix, waitFor } from './support/fixtures.ts';

const dockerHost = inject('dockerHost');
const image = inject('image');

/** A create whose body is sent all but its last byte, from a given loopback address; the answer text. */
function heldCreate(port: number, from: string, name: string, size: number) {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    answer += d;
  });
  socket.on('error', () => {});
  const prefix = `{"Image":"${image}","Labels":{"pad":"`;
  const suffix = '"}}';
  const body = prefix + 'x'.repeat(size - prefix.length - suffix.length) + suffix;
  socket.write(
    `POST /containers/create?name=${name} HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.slice(0, -1));
  return {
    socket,
    answer: () => answer,
    finish: () => socket.write(body.slice(-1)),
    close: () => socket.destroy(),
  };
}

/**
 * Issue #27: judged request bodies are held in memory while they are judged, so they share a budget:
 * one client address holds at most BODY_BUDGET_PER_CLIENT, and what does not fit is refused at once
 * (429) instead of piling up, while another client's create goes on.
 */
describe('the request body budget', () => {
  const p = uniquePrefix('bb');
  let ds: RunningDockscope;

  beforeAll(async () => {
    ds = await startTestDockscope({ PROXY_URL: dockerHost, CONTAINER_NAMES: `${p}-` });
  });
  afterAll(async () => {
    await ds?.close();
    await removeContainers(dockerHost, [`${p}-a`, `${p}-b`, `${p}-other`, `${p}-after`]);
  });

  it('a client holding its share gets 429 for one more body; another client is served', async () => {
    // Two bodies of half the share each fill it.
    const size = BODY_BUDGET_PER_CLIENT / 2 - 16;
    expect(size).toBeLessThan(MAX_REQUEST_BODY);
    const a = heldCreate(ds.port, '127.0.0.1', `${p}-a`, size);
    const b = heldCreate(ds.port, '127.0.0.1', `${p}-b`, size);
    // Both bodies are in (all but one byte each) before the third starts.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const c = heldCreate(ds.port, '127.0.0.1', `${p}-c`, size);
    await waitFor('the third body refused', async () => c.answer().includes('\r\n\r\n{'), 15_000);
    expect(c.answer()).toMatch(/^HTTP\/1\.1 429 /);
    expect(c.answer()).toContain(
      `this client has ${BODY_BUDGET_PER_CLIENT} bytes of request bodies being judged`,
    );
    // Another client address (loopback 127.0.0.2) is not held up by the first one's bodies.
    const other = heldCreate(ds.port, '127.0.0.2', `${p}-other`, 1024);
    other.finish();
    await waitFor('the other client answered', async () => other.answer().includes('\r\n\r\n'), 15_000);
    expect(other.answer()).toMatch(/^HTTP\/1\.1 201 /);
    // The held bodies complete and are judged as usual.
    a.finish();
    b.finish();
    await waitFor(
      'both held creates answered',
      async () => /HTTP\/1\.1 201 /.test(a.answer()) && /HTTP\/1\.1 201 /.test(b.answer()),
      15_000,
    );
    for (const s of [a, b, c, other]) s.close();
    // Given back when the requests ended: the first client may send again.
    const after = heldCreate(ds.port, '127.0.0.1', `${p}-after`, size);
    after.finish();
    await waitFor('the next body answered', async () => after.answer().includes('\r\n\r\n'), 15_000);
    expect(after.answer()).toMatch(/^HTTP\/1\.1 201 /);
    after.close();
  });
});
