import { describe, expect, it } from 'vitest';
import {
  goJsonInner,
  linkSentinel,
  missingRef,
  restoreLinkSentinels,
  restoreRefs,
  sentinel,
} from '../../../src/policy/missing.ts';

describe('sentinels for hidden references', () => {
  it('can be no container name or id prefix', () => {
    expect(sentinel(0)).toMatch(/~/);
    expect(sentinel(0)).not.toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
    expect(sentinel(1)).not.toBe(sentinel(0));
  });

  it('are put back as the client typed them, JSON-escaped as Go escapes', () => {
    const a = missingRef('web&co', 0);
    const b = missingRef('x', 10);
    const body = `{"message":"could not get container for ${a.sentinel}: No such container: ${a.sentinel} ${b.sentinel}"}\n`;
    expect(restoreRefs(body, [a, b], true)).toBe(
      '{"message":"could not get container for web&co: No such container: web&co x"}\n',
    );
    expect(restoreRefs(`no such ${a.sentinel}`, [a], false)).toBe('no such web&co');
  });

  it('a sentinel that starts another is never confused with it', () => {
    const one = missingRef('one', 1);
    const ten = missingRef('ten', 10);
    expect(restoreRefs(`${ten.sentinel} ${one.sentinel}`, [one, ten], true)).toBe('ten one');
  });

  it('replacement patterns in what the client typed are text ($& would echo the sentinel)', () => {
    const r = missingRef("x$&y$'z", 0);
    expect(restoreRefs(`No such container: ${r.sentinel}`, [r], false)).toBe("No such container: x$&y$'z");
  });

  it('a lone surrogate is shown as U+FFFD, as Go decodes it', () => {
    expect(missingRef('a\ud800').typed).toBe('a\ufffd');
  });

  it.each([
    ['<>&', '<>&'],
    ['a\nb\tc\u0001', 'a\\nb\\tc\\u0001'],
    ['"\\', '\\"\\\\'],
    ['\u2028', '\\u2028'],
    ['é', 'é'],
  ])('goJsonInner(%j) = %j', (value, expected) => {
    expect(goJsonInner(value)).toBe(expected);
  });
});

describe('link sentinels carry the typed name, for answers long after the request', () => {
  it.each(['db', 'web-1', 'ä/ü', 'a'.repeat(200), ''])('%j goes there and back', (name) => {
    const s = linkSentinel(name);
    expect(s).toMatch(/^dockscope~link~[g-v]*$/);
    expect(restoreLinkSentinels(`${s}:alias`)).toBe(`${name}:alias`);
    expect(restoreLinkSentinels(`/${s}:/parent/alias`)).toBe(`/${name}:/parent/alias`);
  });

  it('no hex digit in the encoding, so an id scrubber never takes it for an id', () => {
    expect(linkSentinel('0123456789abcdef0123')).not.toMatch(/[0-9a-f]{12}/);
  });

  it('other text is left as it is', () => {
    expect(restoreLinkSentinels('db:alias')).toBe('db:alias');
    expect(restoreLinkSentinels('dockscope~link-gh:x')).toBe('dockscope~link-gh:x');
  });
});
