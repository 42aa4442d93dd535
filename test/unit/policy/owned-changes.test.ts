import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import { ownedChanges, withOwnedChanges } from '../../../src/policy/owned-changes.ts';

const O = { key: 'dockscope.owner', owner: 'ci-a' };
const OWN = 'LABEL dockscope.owner=ci-a';

const status = (values: string[]) => {
  try {
    ownedChanges(values, O);
    return 'ok';
  } catch (error) {
    return error instanceof DockerApiError ? error.status : 'other';
  }
};

describe("changes of an owner's commit or import", () => {
  it.each<[string, string[]]>([
    ['the plain form', ['LABEL dockscope.owner=ci-b']],
    ['an escaped dot', ['LABEL dockscope\\.owner=ci-b']],
    ['lower-case label', ['label dockscope.owner=ci-b']],
    ['the continuation across two values', ['LABEL a=1 \\', 'dockscope.owner=ci-b']],
    ['a quoted key', ['LABEL "dockscope.owner"="ci-b"']],
    ['the legacy form', ['LABEL dockscope.owner ci-b']],
    ['among other pairs', ['LABEL a=b dockscope.owner=ci-b c=d']],
    ['under the backtick escape', ['# escape=`', 'LABEL dockscope`.owner=ci-b']],
    ['a byte-order mark before the key', ['LABEL \uFEFFdockscope.owner=ci-b']],
    ['an empty value', ['LABEL dockscope.owner=']],
  ])('setting another owner is refused (403): %s', (_name, values) => {
    expect(status(values)).toBe(403);
    expect(() => ownedChanges(values, O)).toThrow(
      "dockscope: changes sets the label dockscope.owner, which dockscope sets to this client's owner (ci-a)",
    );
  });

  it.each<[string, string[]]>([
    ['an unterminated quote', ['LABEL a="x']],
    ['a variable in a key', ['ENV K=dockscope.owner', 'LABEL $K=ci-b']],
    ["a variable in the owner label's value", ['LABEL dockscope.owner=$X']],
    ['builder flags on a LABEL', ['LABEL -- dockscope.owner=ci-b']],
    ['an invalid escape directive', ['# escape=x', 'LABEL a=b']],
    ['a continuation that would swallow the next value once joined', ['LABEL a=x\\ \\']],
    ['a second byte-order mark, which would be stripped once re-sent first', ['\uFEFF\uFEFFLABEL a=b']],
  ])('what cannot be read with certainty is refused (400): %s', (_name, values) => {
    expect(status(values)).toBe(400);
  });

  it.each<[string, string[], string[]]>([
    ['nothing given', [], [OWN]],
    [
      'legitimate changes, one value each',
      ['LABEL a=b', 'ENV X=1', 'CMD ["sh"]'],
      ['LABEL a=b', 'ENV X=1', 'CMD ["sh"]', OWN],
    ],
    ['its own owner value', ['LABEL dockscope.owner=ci-a'], ['LABEL dockscope.owner=ci-a', OWN]],
    [
      'continuations joined, comments dropped',
      ['# note', 'LABEL a=1 \\', '  # x', 'b=2'],
      ['LABEL a=1 b=2', OWN],
    ],
    ['the escape directive kept', ['# escape=`', 'LABEL a=1 `', 'b=2'], ['# escape=`', 'LABEL a=1 b=2', OWN]],
    ['a variable in another label', ['LABEL v=$VERSION'], ['LABEL v=$VERSION', OWN]],
    [
      'an instruction the daemon refuses is its to answer',
      ['RUN rm -rf /', 'LABEL x'],
      ['RUN rm -rf /', 'LABEL x', OWN],
    ],
    [
      'a similar key is another label',
      ['LABEL dockscope.owner2=ci-b Dockscope.owner=ci-b'],
      ['LABEL dockscope.owner2=ci-b Dockscope.owner=ci-b', OWN],
    ],
  ])('forwarded in canonical form, the owner label last: %s', (_name, values, expected) => {
    expect(ownedChanges(values, O)).toEqual(expected);
  });

  it('the query keeps its other parameters', () => {
    const q = withOwnedChanges(new URLSearchParams('container=abc&changes=LABEL+a%3Db&repo=r'), O);
    expect([...q]).toEqual([
      ['container', 'abc'],
      ['repo', 'r'],
      ['changes', 'LABEL a=b'],
      ['changes', OWN],
    ]);
  });
});
