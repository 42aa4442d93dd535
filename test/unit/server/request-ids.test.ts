import { describe, expect, it } from 'vitest';
import { logPath, newRequestId } from '../../../src/server/request-ids.ts';

describe('request ids and the logged path', () => {
  it('ids are consecutive positive integers', () => {
    const a = newRequestId();
    const b = newRequestId();
    const c = newRequestId();
    expect(a).toBeGreaterThan(0);
    expect([b - a, c - b]).toEqual([1, 1]);
  });

  it.each([
    ['/v1.41/containers/json?all=1&filters={"label":["secret=x"]}', '/v1.41/containers/json'],
    ['/_ping', '/_ping'],
    ['/x?', '/x'],
    ['?a=1', ''],
    [`/${'a'.repeat(600)}`, `/${'a'.repeat(511)}`],
    [`/${'a'.repeat(600)}?token=s3cret`, `/${'a'.repeat(511)}`],
  ])('logPath of case %# keeps the path only (no query reaches a log)', (url, expected) => {
    expect(logPath(url)).toBe(expected);
  });
});
