import { describe, expect, it } from 'vitest';
import { rawErrorAnswer, rawHead } from '../../../src/server/wire.ts';

describe('rawHead: the one writer of raw HTTP/1.1 heads', () => {
  it('writes the status line and the fields in the order and letter case given', () => {
    expect(
      rawHead(101, 'UPGRADED', [
        'Content-Type',
        'application/vnd.docker.raw-stream',
        'Connection',
        'Upgrade',
      ]),
    ).toBe(
      'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n\r\n',
    );
  });

  it("uses Node's reason phrase when the answer gave none", () => {
    expect(rawHead(404, '', [])).toBe('HTTP/1.1 404 Not Found\r\n\r\n');
    expect(rawHead(599, undefined, [])).toBe('HTTP/1.1 599 Error\r\n\r\n');
  });
});

describe('rawErrorAnswer: a Docker-style error on a connection closed after it', () => {
  it('has the JSON body, its length in bytes (not characters) and Connection: close', () => {
    expect(rawErrorAnswer(503, 'dockscope: busy – später')).toBe(
      'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 41\r\n' +
        'Connection: close\r\n\r\n{"message":"dockscope: busy – später"}',
    );
  });
});
