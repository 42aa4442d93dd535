import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { connectionTokens, forwardedRequestHeaders, responseHeaders } from '../../../src/server/headers.ts';

describe('connectionTokens', () => {
  it.each<[IncomingHttpHeaders, string[]]>([
    [{}, []],
    [{ connection: 'close' }, ['close']],
    [{ connection: 'Keep-Alive, X-Secret ,  Upgrade' }, ['keep-alive', 'x-secret', 'upgrade']],
  ])('%j => %j', (headers, tokens) => {
    expect([...connectionTokens(headers)]).toEqual(tokens);
  });
});

describe('responseHeaders', () => {
  it.each<[string, string[], boolean, OutgoingHttpHeaders]>([
    [
      'hop-by-hop fields are removed, original case kept',
      [
        'Content-Type',
        'application/json',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'TE',
        'trailers',
        'Trailer',
        'X-Checksum',
        'Upgrade',
        'tcp',
        'Proxy-Connection',
        'keep-alive',
        'Proxy-Authenticate',
        'Basic',
        'Proxy-Authorization',
        'Basic x',
        'Api-Version',
        '1.45',
        'Docker-Experimental',
        'false',
      ],
      false,
      { 'Content-Type': 'application/json', 'Api-Version': '1.45', 'Docker-Experimental': 'false' },
    ],
    [
      'headers named in Connection are removed too (any case, several Connection fields)',
      [
        'connection',
        'X-Secret, x-other',
        'X-Secret',
        '1',
        'X-Other',
        '2',
        'CONNECTION',
        'X-Third',
        'x-third',
        '3',
        'X-Kept',
        '4',
      ],
      false,
      { 'X-Kept': '4' },
    ],
    [
      'Content-Length kept when the body is passed on as is',
      ['Content-Length', '12', 'Content-Type', 'text/plain'],
      false,
      { 'Content-Length': '12', 'Content-Type': 'text/plain' },
    ],
    [
      'Content-Length dropped when the body is rewritten',
      ['content-length', '12', 'Content-Type', 'text/plain'],
      true,
      { 'Content-Type': 'text/plain' },
    ],
    [
      'repeated fields become an array in order',
      ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Set-Cookie', 'c=3'],
      false,
      { 'Set-Cookie': ['a=1', 'b=2', 'c=3'] },
    ],
    [
      'lower-case names stay lower case',
      ['api-version', '1.45', 'ostype', 'linux'],
      true,
      { 'api-version': '1.45', ostype: 'linux' },
    ],
    ['empty', [], true, {}],
  ])('%s', (_label, raw, dropLength, expected) => {
    expect(responseHeaders(raw, dropLength)).toEqual(expected);
  });
});

describe('forwardedRequestHeaders', () => {
  const names = (headers: IncomingHttpHeaders): string[] => Object.keys(headers).sort();

  it.each<[string, IncomingHttpHeaders, boolean, string[]]>([
    ['nothing to drop', { host: 'x', 'content-length': '2' }, false, ['content-length', 'host']],
    [
      'hop-by-hop fields are dropped, framing kept',
      {
        host: 'x',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'transfer-encoding': 'chunked',
        'proxy-authorization': 'x',
      },
      false,
      ['host', 'transfer-encoding'],
    ],
    [
      'fields named in Connection are dropped',
      { connection: 'X-Secret, x-absent', 'x-secret': '1', 'x-kept': '2' },
      false,
      ['x-kept'],
    ],
    [
      'Expect is dropped (Node answered 100-continue)',
      { expect: '100-continue', 'x-kept': '1' },
      false,
      ['x-kept'],
    ],
    ['upgrade dropped on plain requests', { connection: 'Upgrade', upgrade: 'tcp' }, false, []],
    [
      'upgrade kept on upgrade requests',
      { connection: 'Upgrade', upgrade: 'tcp', 'keep-alive': '1' },
      true,
      ['connection', 'upgrade'],
    ],
    [
      'Connection cannot remove Host or Content-Length',
      { connection: 'host, content-length', host: 'x', 'content-length': '3' },
      false,
      ['content-length', 'host'],
    ],
    // Framing stays: Node's client re-frames the body it pipes.
    [
      'Transfer-Encoding is kept for the body framing',
      { 'transfer-encoding': 'chunked', connection: 'transfer-encoding' },
      false,
      ['transfer-encoding'],
    ],
  ])('%s', (_label, headers, upgrade, expected) => {
    expect(names(forwardedRequestHeaders(headers, undefined, undefined, upgrade))).toEqual(expected);
  });

  it('a replaced body brings its own type and length; the client framing and Connection-named fields go', () => {
    const out = forwardedRequestHeaders(
      {
        host: 'x',
        'transfer-encoding': 'chunked',
        'content-type': 'application/json; charset=latin1',
        expect: '100-continue',
        connection: 'x-secret',
        'x-secret': 's',
        'x-registry-auth': 'kept',
      },
      '{"Image":"ü"}',
      'application/x-tar',
    );
    expect(out).toEqual({
      host: 'x',
      'x-registry-auth': 'kept',
      'content-type': 'application/json',
      'content-length': '14',
    });
  });

  it.each<[string, string | undefined, string | undefined]>([
    ['a piped body gets the type chosen for its route', 'application/x-tar', 'application/x-tar'],
    ['a request without a body has none', undefined, undefined],
  ])("the client's Content-Type never goes on: %s", (_label, chosen, expected) => {
    const out = forwardedRequestHeaders(
      { host: 'x', 'content-length': '4', 'content-type': 'appl\u00c4\u00b0cation/x-www-form-urlencoded' },
      undefined,
      chosen,
    );
    expect(out['content-type']).toBe(expected);
    expect(out['content-length']).toBe('4');
  });
});
