import { describe, expect, it } from 'vitest';
import { DockerApiError, errors } from '../../../src/server/errors.ts';
import { failed, MAX_MISSING_BODY, readWhole, readWholeOr502 } from '../../../src/server/relay-common.ts';
import type { RespondContext } from '../../../src/server/respond.ts';
import { recordingResponse, upstreamAnswer } from '../support/recording-response.ts';

const ctx = { upstreamDisplay: 'unix:///var/run/docker.sock' } as RespondContext;

describe('relay-common: reading an upstream answer whole, or the fitting 502', () => {
  it('a missing answer is read up to 1 MiB', () => {
    expect(MAX_MISSING_BODY).toBe(1024 * 1024);
  });

  it.each([
    [['{"message":"No such container: web"}'], 64, '{"message":"No such container: web"}'],
    [['ab', 'cd', 'ef'], 6, 'abcdef'],
    [[], 10, ''],
    [['é'], 2, 'é'],
  ])('chunks %j within %i bytes are the text', async (chunks, cap, text) => {
    expect(await readWholeOr502(upstreamAnswer(404, chunks), cap, 'x')).toBe(text);
  });

  it.each([
    // chunks, cap, cut, message, reason
    [
      ['abcdefg'],
      6,
      false,
      'dockscope: upstream unix:///var/run/docker.sock answered 200 while sending a body too large to check',
      'too-large',
    ],
    [
      ['abc', 'defg'],
      6,
      false,
      'dockscope: upstream unix:///var/run/docker.sock answered 200 while sending a body too large to check',
      'too-large',
    ],
    [
      ['{"Id":'],
      64,
      true,
      'dockscope: upstream unix:///var/run/docker.sock answered 200 while sending an incomplete body',
      'upstream-truncated',
    ],
  ])('chunks %j within %i bytes (cut: %s) are a 502', async (chunks, cap, cut, message, reason) => {
    const error = await readWholeOr502(upstreamAnswer(200, chunks, cut), cap, ctx.upstreamDisplay);
    expect(error).toBeInstanceOf(DockerApiError);
    const e = error as DockerApiError;
    expect([e.status, e.message, e.reason, e.decision]).toEqual([502, message, reason, 'upstream-error']);
  });

  it('the 502 names the upstream’s own status', async () => {
    const e = (await readWholeOr502(
      upstreamAnswer(409, ['x'.repeat(10)]),
      5,
      'tcp://p:2375',
    )) as DockerApiError;
    expect(e.message).toBe(
      'dockscope: upstream tcp://p:2375 answered 409 while sending a body too large to check',
    );
  });

  it('readWhole gives the text, or sends the 502 and returns its outcome', async () => {
    const ok = recordingResponse();
    expect(await readWhole(upstreamAnswer(200, ['[]']), 10, ok.res, ctx)).toBe('[]');
    expect(ok.record.status).toBe(0);

    const big = recordingResponse();
    expect(await readWhole(upstreamAnswer(200, ['x'.repeat(11)]), 10, big.res, ctx)).toEqual({
      decision: 'upstream-error',
      reason: 'too-large',
    });
    expect([big.record.status, JSON.parse(big.record.body)]).toEqual([
      502,
      {
        message:
          'dockscope: upstream unix:///var/run/docker.sock answered 200 while sending a body too large to check',
      },
    ]);
  });

  it('failed sends the error and carries its decision, and its reason only when it has one', () => {
    const a = recordingResponse();
    expect(failed(a.res, errors.refused('no'))).toEqual({ decision: 'refused' });
    expect([a.record.status, JSON.parse(a.record.body)]).toEqual([403, { message: 'dockscope: no' }]);
    const b = recordingResponse();
    expect(failed(b.res, errors.upstreamTruncated('u', 200))).toEqual({
      decision: 'upstream-error',
      reason: 'upstream-truncated',
    });
  });
});
