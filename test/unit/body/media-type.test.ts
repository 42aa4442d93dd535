import { describe, expect, it } from 'vitest';
import { goToLower } from '../../../src/body/go-strings.ts';
import { goMediaType, isFormType } from '../../../src/body/media-type.ts';

/** A header value as Node hands it over: the UTF-8 bytes on the wire, each read as a latin1 character. */
const wire = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe("Content-Type read with Go's rules", () => {
  it.each<[string, string]>([
    ['İ (U+0130) lower-cases to an ASCII i, as unicode.ToLower does', 'i'],
    ['K (U+212A, Kelvin) to k', 'k'],
    ['ASCII letters', 'application/json'],
    // JS's toLowerCase makes a final sigma ς; Go maps each rune alone.
    ['no context rules: Σ at the end is σ', 'ασ'],
  ])('goToLower: %s', (_label, expected) => {
    const input = { i: 'İ', k: 'K', 'application/json': 'Application/JSON', ασ: 'ΑΣ' }[expected] ?? '';
    expect(goToLower(input)).toBe(expected);
  });

  it.each<[string, string, ReturnType<typeof goMediaType>]>([
    ['a plain type', 'application/json', { type: 'application/json' }],
    ['parameters are cut', 'Application/JSON; charset=utf-8', { type: 'application/json' }],
    // JS would read `appli̇cation/...` and miss the form; Go reads a form.
    [
      'a Unicode İ spelling of a form',
      wire('applİcation/x-www-form-urlencoded'),
      { type: 'application/x-www-form-urlencoded' },
    ],
    [
      'a Unicode İ spelling of multipart',
      wire('multİpart/form-data; boundary=x'),
      { type: 'multipart/form-data' },
    ],
    ['white space around the type', ' \t application/x-tar \t; x=1', { type: 'application/x-tar' }],
    // Go returns the type with ErrInvalidMediaParameter, and ParseForm goes on with it.
    [
      'broken parameters keep the type',
      'application/x-www-form-urlencoded; ===',
      { type: 'application/x-www-form-urlencoded' },
    ],
    ['a type without a subtype', 'text', { type: 'text' }],
    ['tspecials in the type', 'application/json(x)', { malformed: true }],
    ['nothing after the slash', 'application/', { malformed: true }],
    ['an empty value', '', { malformed: true }],
    ['a second slash', 'a/b/c', { malformed: true }],
  ])('goMediaType: %s', (_label, value, expected) => {
    expect(goMediaType(value)).toEqual(expected);
  });

  it.each<[string, boolean]>([
    ['application/x-www-form-urlencoded', true],
    ['multipart/form-data', true],
    ['multipart/mixed', true],
    ['application/json', false],
    ['application/x-tar', false],
  ])('isFormType(%s) is %s', (type, expected) => {
    expect(isFormType(type)).toBe(expected);
  });
});
