import { describe, expect, it } from 'vitest';
import { goToLower as goLower } from '../../../src/body/go-strings.ts';
import type { EscapeToken } from '../../../src/policy/dockerfile-lines.ts';
import { ChangesError, parseChanges } from '../../../src/policy/dockerfile-lines.ts';
import { labelArguments, labelPairs, lexWord, parseWords } from '../../../src/policy/dockerfile-words.ts';

const texts = (values: string[]) => parseChanges(values).instructions.map((i) => i.text);

describe('changes: lines as the Dockerfile parser joins them', () => {
  it.each<[string, string[], string[]]>([
    ['one value per instruction', ['LABEL a=b', 'ENV X=1'], ['LABEL a=b', 'ENV X=1']],
    [
      'a continuation carries over into the next value',
      ['LABEL a=1 \\', 'dockscope.owner=ci-b'],
      ['LABEL a=1 dockscope.owner=ci-b'],
    ],
    ['blanks after the continuation', ['LABEL a=1 \\ \t', 'b=2'], ['LABEL a=1 b=2']],
    ['an escaped escape ends the line', ['LABEL a=b\\\\', 'ENV X=1'], ['LABEL a=b\\\\', 'ENV X=1']],
    ['comment lines inside a continuation are dropped', ['LABEL a=1 \\', '  # x', 'b=2'], ['LABEL a=1 b=2']],
    ['empty continuation lines are dropped', ['LABEL a=1 \\', '', '   ', 'b=2'], ['LABEL a=1 b=2']],
    ['comments and blank lines', ['# hello', '', '   ', 'CMD ["sh"]'], ['CMD ["sh"]']],
    ['a value holding several lines', ['LABEL a=b\nENV X=1\r'], ['LABEL a=b', 'ENV X=1']],
    ['leading blanks of the first line only', ['   LABEL a=1 \\', '  b=2'], ['LABEL a=1   b=2']],
    ['a continuation at the end', ['LABEL a=1 \\'], ['LABEL a=1 ']],
    ['a byte-order mark on the first line', ['\uFEFFLABEL a=b'], ['LABEL a=b']],
    ['a # inside a line is not a comment', ['LABEL a=b#c'], ['LABEL a=b#c']],
  ])('%s', (_name, values, expected) => {
    expect(texts(values)).toEqual(expected);
  });

  it.each<[string, string[], EscapeToken, string[]]>([
    ['the escape directive is read in changes', ['# escape=`', 'LABEL a=1 `', 'b=2'], '`', ['LABEL a=1 b=2']],
    [
      'with the backtick a backslash continues nothing',
      ['#escape=`', 'LABEL a=1 \\', 'ENV X=1'],
      '`',
      ['LABEL a=1 \\', 'ENV X=1'],
    ],
    ['after a syntax directive', ['# syntax=x', '# ESCAPE = `'], '`', []],
    ['not after an instruction', ['LABEL a=b', '# escape=`'], '\\', ['LABEL a=b']],
    ['not after a comment', ['# hi', '# escape=`'], '\\', []],
  ])('%s', (_name, values, token, expected) => {
    const parsed = parseChanges(values);
    expect(parsed.escape).toBe(token);
    expect(parsed.instructions.map((i) => i.text)).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['an escape token that is neither ` nor \\', ['# escape=x']],
    ['a directive given twice', ['# escape=`', '# escape=\\']],
  ])('the parser fails: %s', (_name, values) => {
    expect(() => parseChanges(values)).toThrow(ChangesError);
  });

  it('instruction names are case-insensitive as Go lower-cases them', () => {
    expect(parseChanges(['label a=b', 'LaBeL c=d']).instructions.map((i) => i.command)).toEqual([
      'label',
      'label',
    ]);
    expect(goLower('ONBUİLD')).toBe('onbuild');
    expect(goLower('HEALTHCHEC\u212A')).toBe('healthcheck');
    expect(parseChanges(['LABEL\t a=b  ']).instructions[0]).toMatchObject({ command: 'label', rest: 'a=b' });
  });
});

describe('changes: a LABEL as the daemon stores it', () => {
  it.each<[string, string, [string | null, string | null][] | null]>([
    [
      'key=value',
      'a=b c=d',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    ['an escaped dot', 'dockscope\\.owner=ci-b', [['dockscope.owner', 'ci-b']]],
    ['a quoted key', '"dockscope.owner"=ci-b', [['dockscope.owner', 'ci-b']]],
    ['a single-quoted key', "'dockscope.owner'=ci-b", [['dockscope.owner', 'ci-b']]],
    ['a quote inside the key', 'dockscope".owner"=ci-b', [['dockscope.owner', 'ci-b']]],
    [
      'a quoted value with blanks',
      'a="x y" b=\'p q\'',
      [
        ['a', 'x y'],
        ['b', 'p q'],
      ],
    ],
    ['escapes inside double quotes', 'a="x\\"y\\\\z\\n"', [['a', 'x"y\\z\\n']]],
    ['no escapes inside single quotes', "a='x\\y'", [['a', 'x\\y']]],
    ['an escaped blank joins words', 'a=x\\ y', [['a', 'x y']]],
    ['the legacy form', 'dockscope.owner ci-b', [['dockscope.owner', 'ci-b']]],
    ['the legacy form keeps the rest of the line', 'a  x "y z"', [['a', 'x y z']]],
    [
      'a byte-order mark starting a key is dropped by the lexer',
      '\uFEFFdockscope.owner=ci-b',
      [['dockscope.owner', 'ci-b']],
    ],
    [
      'a variable makes the word unknown',
      '$K=ci-b a=\x24{X:-y}',
      [
        [null, 'ci-b'],
        ['a', null],
      ],
    ],
    [
      'a lone $ is literal',
      'a=$ b=x$.y',
      [
        ['a', '$'],
        ['b', 'x$.y'],
      ],
    ],
    [
      'an escaped $ is literal',
      'a=\\$X b="\\$Y"',
      [
        ['a', '$X'],
        ['b', '$Y'],
      ],
    ],
    ['no arguments: the daemon refuses', '', null],
    ['a word without =: the daemon refuses', 'a=b c', null],
    ['one legacy argument: the daemon refuses', 'a', null],
    ['an empty key: the daemon refuses', '=b', null],
  ])('%s', (_name, rest, expected) => {
    const pairs = labelPairs(rest, '\\');
    expect(pairs?.map((p) => [p.key, p.value]) ?? null).toEqual(expected);
  });

  it('with the backtick as escape token, the backslash is literal and ` escapes', () => {
    expect(labelPairs('dockscope\\.owner=ci-b', '`')?.[0]).toEqual({
      key: 'dockscope\\.owner',
      value: 'ci-b',
    });
    expect(labelPairs('dockscope`.owner=ci-b', '`')?.[0]).toEqual({ key: 'dockscope.owner', value: 'ci-b' });
  });

  it('words keep their quotes and escapes until the lexer', () => {
    expect(parseWords('a="x y" b\\ c \'d', '\\')).toEqual(['a="x y"', 'b\\ c', "'d"]);
    expect(labelArguments('k\u00a0x v', '\\')).toEqual([['k\u00a0x', 'v']]);
  });

  it.each<[string, string]>([
    ['an unterminated double quote', 'a="x'],
    ['an unterminated single quote', "a='x"],
    ['a missing brace', 'a=\x24{X'],
    ['a bad substitution', 'a=\x24{}'],
    ['an unsupported modifier', 'a=\x24{X:=y}'],
  ])('a lexing error throws: %s', (_name, rest) => {
    expect(() => labelPairs(rest, '\\')).toThrow(ChangesError);
  });

  it('lexWord resolves what the shell lexer resolves', () => {
    expect(lexWord('"a"\'b\'c\\d', '\\')).toBe('abcd');
    expect(lexWord('x\\', '\\')).toBe('x');
  });
});
