import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Route } from '../../../src/routes/route.ts';
import { isHijackRoute } from '../../../src/server/judge.ts';
import { readExactly } from '../../../src/server/upgrade.ts';

describe('isHijackRoute: only attach and exec start may upgrade', () => {
  it.each<[Route, boolean]>([
    [{ kind: 'exec', id: 'e', action: 'start' }, true],
    [{ kind: 'exec', id: 'e', action: 'resize' }, false],
    [{ kind: 'container', ref: 'c', rest: ['attach'] }, true],
    [{ kind: 'container', ref: 'c', rest: ['attach/ws'] }, true],
    [{ kind: 'container', ref: 'c', rest: ['logs'] }, false],
    [{ kind: 'container', ref: 'c', rest: [] }, false],
    [{ kind: 'events' }, false],
    [{ kind: 'plain', family: 'system' }, false],
  ])('%j => %s', (route, expected) => {
    expect(isHijackRoute(route)).toBe(expected);
  });
});

describe('readExactly: the body of an upgrade request, and nothing after it', () => {
  it('splits what arrived with the head', async () => {
    const socket = new PassThrough();
    const { body, extra } = await readExactly(socket, Buffer.from('{"a":1}NEXT'), 7);
    expect([body.toString(), extra.toString()]).toEqual(['{"a":1}', 'NEXT']);
  });

  it('waits for the rest of the body and keeps the bytes after it apart (a pipelined request is never sent)', async () => {
    const socket = new PassThrough();
    const pending = readExactly(socket, Buffer.from('{"a"'), 7);
    socket.write(':1}GET /x HTTP/1.1\r\n');
    const { body, extra } = await pending;
    expect([body.toString(), extra.toString()]).toEqual(['{"a":1}', 'GET /x HTTP/1.1\r\n']);
  });

  it('fails when the connection ends first', async () => {
    const socket = new PassThrough();
    const pending = readExactly(socket, Buffer.alloc(0), 5);
    socket.end('ab');
    await expect(pending).rejects.toMatchObject({ status: 400 });
  });
});
