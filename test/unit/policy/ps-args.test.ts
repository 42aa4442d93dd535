import { describe, expect, it } from 'vitest';
import { isAllowedPsArgs } from '../../../src/policy/ps-args.ts';

describe('top ps_args: only forms that print neither environments nor custom columns', () => {
  it.each(['', '-ef', '-eF', '-eLf', '-elyww', '-A', 'aux', 'auxww', 'ux', '-e -f', '  -ef  '])(
    '%j passes',
    (value) => {
      expect(isAllowedPsArgs(value)).toBe(true);
    },
  );

  it.each([
    ['BSD e prints the environment', 'auxe'],
    ['BSD e alone', 'e'],
    ['custom columns can rename PID', '-o pid,args=PID'],
    ['-o glued', '-opid'],
    ['BSD o', 'o pid'],
    ['-O adds columns', '-O environ'],
    ['long options', '--format pid'],
    ['sorting', '--sort pid'],
    ['a tab hides a second word from a split on spaces', '-ef\t-o'],
    ['a newline', '-ef\n-o'],
    ['too many words', '-e -f -l -y -w'],
    ['numbers', '-p 1'],
  ])('%s: %j is refused', (_label, value) => {
    expect(isAllowedPsArgs(value)).toBe(false);
  });
});
