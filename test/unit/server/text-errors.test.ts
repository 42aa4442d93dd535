import { describe, expect, it } from 'vitest';
import type { RespondContext } from '../../../src/server/respond.ts';
import { quoteText, relayTextError } from '../../../src/server/text-errors.ts';
import { recordingResponse, upstreamAnswer } from '../support/recording-response.ts';

const HAPROXY =
  '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n';

describe('quoteText: a socket proxy’s text refusal, fit for a message', () => {
  it.each([
    [HAPROXY, '403 Forbidden Request forbidden by administrative rules.'],
    ['plain refusal\n', 'plain refusal'],
    ['<style>h1{color:red}</style><script>alert(1)</script>denied', 'denied'],
    ['<SCRIPT type="x">evil()</SCRIPT>ok', 'ok'],
    ['a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;&nbsp;f', `a & b <c> "d" 'e' f`],
    // An unknown entity is left as it is (only the listed ones are read).
    ['x &copy; y', 'x &copy; y'],
    // Control characters, escapes and non-ASCII are folded into a space.
    ['no\u001b[31mred\u0000 café ✓', 'no [31mred caf'],
    ['\r\n\t  spaced \t out  \r\n', 'spaced out'],
    ['', ''],
    ['<p></p>', ''],
  ])('quoteText(%j) is %j', (text, expected) => {
    expect(quoteText(text)).toBe(expected);
  });

  it('a long text is cut to 200 characters, the last three dots', () => {
    const quoted = quoteText('x'.repeat(500));
    expect(quoted).toBe(`${'x'.repeat(197)}...`);
    expect(quoteText('y'.repeat(200))).toBe('y'.repeat(200));
    expect(quoteText('y'.repeat(201))).toBe(`${'y'.repeat(197)}...`);
  });
});

const ctx = { upstreamDisplay: 'tcp://socket-proxy:2375' } as RespondContext;

describe('relayTextError: the same status, in the upstream’s words, as Docker JSON', () => {
  it.each([
    [
      403,
      [HAPROXY],
      'dockscope: the upstream tcp://socket-proxy:2375 refused the request (403): 403 Forbidden Request forbidden by administrative rules.',
    ],
    [
      401,
      ['Unauthorized'],
      'dockscope: the upstream tcp://socket-proxy:2375 refused the request (401): Unauthorized',
    ],
    [405, ['<html></html>'], 'dockscope: the upstream tcp://socket-proxy:2375 refused the request (405)'],
    [500, [], 'dockscope: the upstream tcp://socket-proxy:2375 refused the request (500)'],
  ])('a %i text answer %j', async (status, chunks, message) => {
    const { res, record } = recordingResponse();
    expect(await relayTextError(upstreamAnswer(status, chunks), status, res, ctx)).toEqual({
      decision: 'upstream-refused',
    });
    expect(record.status).toBe(status);
    expect(record.headers).toEqual({
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(record.body),
    });
    expect(JSON.parse(record.body)).toEqual({ message });
  });

  it('a text cut short, or larger than a missing answer, quotes nothing but keeps the status', async () => {
    for (const answer of [
      upstreamAnswer(403, ['Forbid'], true),
      upstreamAnswer(403, ['x'.repeat(1024 * 1024 + 1)]),
    ]) {
      const { res, record } = recordingResponse();
      expect(await relayTextError(answer, 403, res, ctx)).toEqual({ decision: 'upstream-refused' });
      expect([record.status, JSON.parse(record.body)]).toEqual([
        403,
        { message: 'dockscope: the upstream tcp://socket-proxy:2375 refused the request (403)' },
      ]);
    }
  });

  it('a head already sent: the socket is destroyed, nothing written', async () => {
    const { res, record } = recordingResponse(true);
    await relayTextError(upstreamAnswer(403, ['no']), 403, res, ctx);
    expect(record).toMatchObject({ destroyed: true, body: '', status: 0 });
  });
});
