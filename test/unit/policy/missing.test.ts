import { describe, expect, it } from 'vitest';
import { goJsonInner, missingRef, restoreRefs, sentinel } from '../../../src/policy/missing.ts';

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
      '{"message":"could not get container for web\\u0026co: No such container: web\\u0026co x"}\n',
    );
    expect(restoreRefs(`no such ${a.sentinel}`, [a], false)).toBe('no such web&co');
  });

  it('a sentinel that starts another is never confused with it', () => {
    const one = missingRef('one', 1);
    const ten = missingRef('ten', 10);
    expect(restoreRefs(`${ten.sentinel} ${one.sentinel}`, [one, ten], true)).toBe('ten one');
  });

  it.each([
    ['<>&', '\\u003c\\u003e\\u0026'],
    ['"\\', '\\"\\\\'],
    ['\u2028', '\\u2028'],
    ['é', 'é'],
  ])('goJsonInner(%j) = %j', (value, expected) => {
    expect(goJsonInner(value)).toBe(expected);
  });
});
