import { describe, expect, it } from 'vitest';
import { parseTarget, TargetError } from '../../../src/routes/target.ts';

describe('parseTarget: accepted targets', () => {
  it.each<[string, string | null, string, string[], string]>([
    ['/_ping', null, '/_ping', ['_ping'], ''],
    ['/', null, '/', [''], ''],
    ['/containers/json', null, '/containers/json', ['containers', 'json'], ''],
    ['/v1.41/containers/json', '1.41', '/containers/json', ['containers', 'json'], ''],
    ['/v1.41/containers/json?all=1', '1.41', '/containers/json', ['containers', 'json'], 'all=1'],
    ['/v1/info', '1', '/info', ['info'], ''],
    ['/v1.41/_ping', '1.41', '/_ping', ['_ping'], ''],
    // Only a leading version prefix is one; "/v1.41" alone is just a path.
    ['/v1.41', null, '/v1.41', ['v1.41'], ''],
    ['/containers/v1.41/json', null, '/containers/v1.41/json', ['containers', 'v1.41', 'json'], ''],
    ['/vx/info', null, '/vx/info', ['vx', 'info'], ''],
    // Encoded ordinary characters are decoded, as the daemon routes on the decoded path.
    ['/containers/%61bc/json', null, '/containers/abc/json', ['containers', 'abc', 'json'], ''],
    ['/%761.41/info', '1.41', '/info', ['info'], ''],
    ['/containers/a%2eb/json', null, '/containers/a.b/json', ['containers', 'a.b', 'json'], ''],
    ['/containers/%2e%2e%2e/json', null, '/containers/.../json', ['containers', '...', 'json'], ''],
    ['/containers/a%20b/json', null, '/containers/a b/json', ['containers', 'a b', 'json'], ''],
    ['/containers/%C3%A9/json', null, '/containers/é/json', ['containers', 'é', 'json'], ''],
    // Double encoding decodes once, exactly like the daemon: the segment is the literal "%2F".
    ['/containers/%252F/json', null, '/containers/%2F/json', ['containers', '%2F', 'json'], ''],
    ['/containers/a+b/json', null, '/containers/a+b/json', ['containers', 'a+b', 'json'], ''],
    ['/containers/.a/json', null, '/containers/.a/json', ['containers', '.a', 'json'], ''],
    [
      '/images/library/busybox:latest/json',
      null,
      '/images/library/busybox:latest/json',
      ['images', 'library', 'busybox:latest', 'json'],
      '',
    ],
    ['/containers/json?', null, '/containers/json', ['containers', 'json'], ''],
  ])('%s => version %j, path %j', (raw, version, path, segments, rawQuery) => {
    const t = parseTarget(raw);
    expect(t.version).toBe(version);
    expect(t.path).toBe(path);
    expect(t.segments).toEqual(segments);
    expect(t.rawQuery).toBe(rawQuery);
  });

  it.each<[string, string, [string, string][]]>([
    [
      '/containers/json?all=1&size=true',
      'all=1&size=true',
      [
        ['all', '1'],
        ['size', 'true'],
      ],
    ],
    [
      '/containers/json?filters=%7B%22name%22%3A%7B%22x%22%3Atrue%7D%7D',
      'filters=%7B%22name%22%3A%7B%22x%22%3Atrue%7D%7D',
      [['filters', '{"name":{"x":true}}']],
    ],
    // Raw JSON in the query is tolerated (the Docker CLI encodes it, other clients may not).
    [
      '/containers/json?filters={"name":{"x":true}}',
      'filters={"name":{"x":true}}',
      [['filters', '{"name":{"x":true}}']],
    ],
    [
      '/containers/json?a=b+c&a=d',
      'a=b+c&a=d',
      [
        ['a', 'b c'],
        ['a', 'd'],
      ],
    ],
    ['/containers/json?a=%2B', 'a=%2B', [['a', '+']]],
    ['/containers/json?flag', 'flag', [['flag', '']]],
    ['/containers/json?a=b=c', 'a=b=c', [['a', 'b=c']]],
    ['/containers/json?a=%26b', 'a=%26b', [['a', '&b']]],
  ])('query of %s', (raw, rawQuery, entries) => {
    const t = parseTarget(raw);
    expect(t.rawQuery).toBe(rawQuery);
    expect([...t.query]).toEqual(entries);
  });
});

describe('parseTarget: refused targets', () => {
  it.each<[string, string, string]>([
    ['relative path', 'containers/json', 'request target must be an absolute path'],
    ['empty', '', 'request target must be an absolute path'],
    ['absolute-form', 'http://x/containers/json', 'request target must be an absolute path'],
    ['asterisk-form', '*', 'request target must be an absolute path'],
    ['fragment', '/containers/json#x', 'request target must not contain "#"'],
    ['fragment in query', '/containers/json?a=1#x', 'request target must not contain "#"'],
    ['double slash', '//containers/json', 'path is not in canonical form'],
    ['inner double slash', '/containers//json', 'path is not in canonical form'],
    ['dot segment', '/containers/./json', 'path is not in canonical form'],
    ['dot-dot segment', '/containers/../info', 'path is not in canonical form'],
    ['dot-dot at the end', '/containers/abc/..', 'path is not in canonical form'],
    ['dot-dot hiding a container', '/containers/visible/../hidden/json', 'path is not in canonical form'],
    ['trailing slash', '/containers/json/', 'path is not in canonical form'],
    ['trailing slash after version', '/v1.41/', 'path is not in canonical form'],
    ['dot segment after version', '/v1.41/./info', 'path is not in canonical form'],
    ['encoded dot-dot (lower case)', '/containers/%2e%2e/json', 'path is not in canonical form'],
    ['encoded dot-dot (upper case)', '/containers/%2E%2E/json', 'path is not in canonical form'],
    ['encoded dot', '/containers/%2E/json', 'path is not in canonical form'],
    ['half-encoded dot-dot', '/containers/.%2e/json', 'path is not in canonical form'],
    [
      'encoded dot-dot hiding a container',
      '/containers/x/%2e%2e/hidden/json',
      'path is not in canonical form',
    ],
    ['encoded slash (upper case)', '/containers/a%2Fb/json', 'path must not contain an encoded slash'],
    ['encoded slash (lower case)', '/containers/a%2fb/json', 'path must not contain an encoded slash'],
    ['encoded backslash', '/containers/a%5Cb/json', 'path must not contain an encoded slash'],
    ['encoded backslash (lower case)', '/containers/a%5cb/json', 'path must not contain an encoded slash'],
    ['encoded NUL', '/containers/a%00/json', 'path must not contain control characters'],
    ['encoded newline', '/containers/a%0A/json', 'path must not contain control characters'],
    ['encoded DEL', '/containers/a%7F/json', 'path must not contain control characters'],
    ['invalid escape', '/containers/%zz/json', 'path has an invalid percent-encoding'],
    ['truncated escape', '/containers/abc%2', 'path has an invalid percent-encoding'],
    ['lone percent', '/containers/100%/json', 'path has an invalid percent-encoding'],
    ['invalid UTF-8 escape', '/containers/%FF/json', 'path has an invalid percent-encoding'],
    ['overlong UTF-8 dot', '/containers/%C0%AE%C0%AE/json', 'path has an invalid percent-encoding'],
    ['raw space', '/containers/a b/json', 'path contains characters that must be percent-encoded'],
    ['raw backslash', '/containers\\..\\info', 'path contains characters that must be percent-encoded'],
    ['raw non-ASCII', '/containers/é/json', 'path contains characters that must be percent-encoded'],
    ['raw quote', '/containers/"a"/json', 'path contains characters that must be percent-encoded'],
    ['raw tab', '/containers/a\t/json', 'path contains characters that must be percent-encoded'],
    ['raw NUL', '/containers/a\u0000/json', 'path contains characters that must be percent-encoded'],
    ['semicolon in query', '/containers/json?all=1;size=1', 'query must not contain ";"'],
    ['encoded-looking semicolon in query', '/containers/json?a;', 'query must not contain ";"'],
    [
      'control character in query',
      '/containers/json?a=\u0001',
      'query contains characters that must be percent-encoded',
    ],
    ['non-ASCII in query', '/containers/json?a=é', 'query contains characters that must be percent-encoded'],
    ['invalid escape in query', '/containers/json?a=%zz', 'query has an invalid percent-encoding'],
    ['invalid UTF-8 in query', '/containers/json?a=%FF', 'query has an invalid percent-encoding'],
  ])('%s: %j', (_label, raw, message) => {
    let caught: unknown;
    try {
      parseTarget(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TargetError);
    expect((caught as TargetError).name).toBe('TargetError');
    expect((caught as TargetError).message).toContain(message);
  });
});
