import { describe, expect, it } from 'vitest';
import { DOCKER } from '../../../../src/upstream/dialects/docker.ts';

describe('dockerd’s words (the Docker dialect)', () => {
  it.each([
    [{ kind: 'missingJoin', mode: 'network', ref: 'web' }, 400, 'No such container: web'],
    [{ kind: 'missingJoin', mode: 'cgroup', ref: 'a"b' }, 400, 'No such container: a"b'],
    [{ kind: 'missingNetwork', ref: 'net-1' }, 400, 'network net-1 not found'],
    [
      { kind: 'ambiguous', what: 'service', ref: 'ab', count: 2 },
      400,
      'service ab is ambiguous (2 matches found)',
    ],
  ] as const)('%j renders %i %j', (answer, status, message) => {
    const r = DOCKER.render(answer);
    expect([r.status, r.message]).toEqual([status, message]);
  });

  it.each([
    ['web', '{"message":"No such container: web"}\n'],
    ['a"b\\c', '{"message":"No such container: a\\"b\\\\c"}\n'],
    // HTML is not escaped (httputils.WriteJSON sets SetEscapeHTML(false)); U+2028 always is.
    ['<x>&', '{"message":"No such container: <x>&"}\n'],
    ['a\u2028b\nc', '{"message":"No such container: a\\u2028b\\nc"}\n'],
  ])('the body for %j is dockerd’s exact bytes', (ref, body) => {
    expect(DOCKER.render({ kind: 'missingJoin', mode: 'network', ref }).body).toBe(body);
  });

  it.each([
    [
      'Conflict. The container name "/web" is already in use by container "0123456789ab". You have to remove',
      'Conflict. The container name "/web" is already in use. You have to remove',
    ],
    [
      `{"message":"Conflict. The container name \\"/web\\" is already in use by container \\"${'f'.repeat(64)}\\". You"}`,
      '{"message":"Conflict. The container name \\"/web\\" is already in use. You"}',
    ],
    // Not an id: left as it is.
    ['in use by container "web"', 'in use by container "web"'],
  ])('inUseBy cuts the holder’s id from %j', (text, expected) => {
    expect(text.replace(DOCKER.inUseBy, '')).toBe(expected);
  });

  it('names its ambiguous container prefix answer, its event attributes and stale-event actions', () => {
    expect(DOCKER.ambiguousContainer.test('Error: Multiple IDs found with provided prefix: ab')).toBe(true);
    expect(DOCKER.ambiguousContainer.test('No such container: ab')).toBe(false);
    expect(DOCKER.eventAttributes.has('name')).toBe(true);
    expect(DOCKER.eventAttributes.has('com.example.secret')).toBe(false);
    expect(DOCKER.staleEvents).toEqual({
      filter: ['rename', 'destroy', 'die', 'connect', 'disconnect'],
      removed: 'destroy',
      died: 'die',
    });
    expect([DOCKER.name, DOCKER.display]).toEqual(['docker', 'Docker Engine']);
  });
});
