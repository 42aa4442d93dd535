import { describe, expect, it } from 'vitest';
import {
  callerContainerRules,
  callerContainerSchema,
  visibilityTexts,
} from '../../../src/config/file-identity.ts';

const at = (...keys: PropertyKey[]) => ['clients', 'ci', 'match', 'container', ...keys];
const fail = (path: readonly PropertyKey[], message: string): never => {
  throw new Error(`${path.map(String).join('.')}: ${message}`);
};

function rules(input: unknown) {
  try {
    const parsed = callerContainerSchema.safeParse(input);
    if (!parsed.success) return { invalid: parsed.error.issues.map((i) => i.message) };
    return { value: callerContainerRules(parsed.data, at, fail) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('match.container of a client in the configuration file (issue #23)', () => {
  it.each([
    [
      { names: 'web' },
      { containers: { names: ['web'], labels: [], match: 'substring' }, profileLabel: false },
    ],
    [
      { names: ['web', 'api'], match: 'exact' },
      { containers: { names: ['web', 'api'], labels: [], match: 'exact' }, profileLabel: false },
    ],
    [
      { labels: 'team=a', profileLabel: true },
      {
        containers: { names: [], labels: [{ key: 'team', value: 'a' }], match: 'substring' },
        profileLabel: true,
      },
    ],
    [
      { labels: ['team=a,tier', 'x=y'] },
      {
        containers: {
          names: [],
          labels: [{ key: 'team', value: 'a' }, { key: 'tier' }, { key: 'x', value: 'y' }],
          match: 'substring',
        },
        profileLabel: false,
      },
    ],
    // The profile label alone: any container that carries this client's name.
    [{ profileLabel: true }, { containers: 'all', profileLabel: true }],
  ])('%j compiles to %j', (input, expected) => {
    expect(rules(input)).toEqual({ value: expected });
  });

  it.each([
    [{}, ['give "names", "labels" and/or "profileLabel: true"']],
    [{ profileLabel: false }, ['give "names", "labels" and/or "profileLabel: true"']],
    [{ names: [] }, null],
    [{ names: '' }, null],
    [{ names: 'web', image: 'x' }, null],
    [{ names: 'web', match: 'fuzzy' }, null],
  ])('%j is refused by the schema', (input, messages) => {
    const out = rules(input);
    expect(out).toHaveProperty('invalid');
    if (messages) expect((out as { invalid: string[] }).invalid).toEqual(messages);
  });

  it.each([
    [{ labels: ['team=a', '=x'] }, 'clients.ci.match.container.labels.1: entry "=x" has an empty label key'],
    [
      { labels: 'team=' },
      'clients.ci.match.container.labels.0: entry "team=" has an empty value (write just "team" to match any value)',
    ],
    [
      { names: ['web', '(unclosed'], match: 'regex' },
      /^clients\.ci\.match\.container: entry 2 is not a valid regex: /,
    ],
    [{ labels: 'team=[', match: 'regex' }, /^clients\.ci\.match\.container: entry 2 is not a valid regex: /],
  ])('%j fails the start where it is wrong', (input, expected) => {
    const out = rules(input) as { error: string };
    if (typeof expected === 'string') expect(out.error).toBe(expected);
    else expect(out.error).toMatch(expected);
  });

  it('visibilityTexts: a regex that is fine in another mode is not compiled as one', () => {
    expect(visibilityTexts({ names: ['(x'] }, at, fail)).toEqual({ mode: 'substring', labels: [] });
    expect(visibilityTexts({ names: ['(x'], match: 'glob' }, at, fail)).toEqual({ mode: 'glob', labels: [] });
    expect(visibilityTexts({ labels: ['k'], match: 'exact' }, at, fail)).toEqual({
      mode: 'exact',
      labels: [{ key: 'k' }],
    });
  });
});
