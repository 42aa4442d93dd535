import { describe, expect, it } from 'vitest';
import { BuildSessions, sessionIdOf, withSessionMethods } from '../../../src/server/build-sessions.ts';
import type { DockerApiError } from '../../../src/server/errors.ts';

const noop = () => {};
const refusedWith = (work: () => unknown): DockerApiError => {
  try {
    work();
  } catch (error) {
    return error as DockerApiError;
  }
  throw new Error('not refused');
};

describe('BuildKit sessions are bound to the client that opened them', () => {
  it('a build of the opener claims the session; another client is told it is not theirs', async () => {
    const sessions = new BuildSessions(4, 20);
    const session = sessions.open('s1', 'ci-a', noop);
    session.upgraded();
    expect(await sessions.claimsFor('ci-a').claimSession('s1')).toBe('claimed');
    expect(await sessions.claimsFor('ci-b').claimSession('s1')).toBe('other');
    session.close();
  });

  it('a second open of a held id is refused, for the opener and for anyone else', () => {
    const sessions = new BuildSessions(4, 20);
    sessions.open('s1', 'ci-a', noop);
    for (const client of ['ci-a', 'ci-b']) {
      const error = refusedWith(() => sessions.open('s1', client, noop));
      expect([error.status, error.message]).toEqual([
        403,
        'dockscope: a BuildKit session with this id is already open',
      ]);
    }
  });

  it('the id is free again when its connection closes, unless a build that named it still runs', async () => {
    const sessions = new BuildSessions(4, 20);
    const session = sessions.open('s1', 'ci-a', noop);
    session.upgraded();
    const build = sessions.claimsFor('ci-a');
    expect(await build.claimSession('s1')).toBe('claimed');
    session.close();
    // Still bound to ci-a while its build runs: nobody else can open the id the build will use.
    expect(refusedWith(() => sessions.open('s1', 'ci-b', noop)).status).toBe(403);
    build.release();
    expect(sessions.size).toBe(0);
    sessions.open('s1', 'ci-b', noop).close();
  });

  it('a build waits (bounded) for the session the CLI opens alongside it to be upgraded, and gets none past the wait', async () => {
    const sessions = new BuildSessions(4, 1000);
    let upgradedAt = 0;
    const waiting = sessions.claimsFor('ci-a').claimSession('late');
    setTimeout(() => {
      const session = sessions.open('late', 'ci-a', noop);
      setTimeout(() => {
        upgradedAt = performance.now();
        session.upgraded();
      }, 20);
    }, 20);
    expect(await waiting).toBe('claimed');
    expect(upgradedAt).toBeGreaterThan(0);
    const started = performance.now();
    expect(await new BuildSessions(4, 50).claimsFor('ci-a').claimSession('never')).toBe('none');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("a refused build ends its own client's session once its answer went out, never another's", () => {
    const sessions = new BuildSessions(4, 20);
    const ended: string[] = [];
    sessions.open('s1', 'ci-a', () => ended.push('s1'));
    const other = sessions.claimsFor('ci-b');
    other.endSession('s1');
    other.release();
    expect(ended).toEqual([]);
    const own = sessions.claimsFor('ci-a');
    own.endSession('s1');
    expect(ended).toEqual([]);
    own.release();
    expect(ended).toEqual(['s1']);
  });

  it('a client may hold MAX_STREAMS_PER_CLIENT sessions at once (429 past that)', () => {
    const sessions = new BuildSessions(2, 20);
    const first = sessions.open('a1', 'ci-a', noop);
    sessions.open('a2', 'ci-a', noop);
    expect(refusedWith(() => sessions.open('a3', 'ci-a', noop)).status).toBe(429);
    sessions.open('b1', 'ci-b', noop);
    first.close();
    sessions.open('a3', 'ci-a', noop);
  });

  it('build ids: held by the client whose build runs; cancel only its own; free when the builds end', () => {
    const sessions = new BuildSessions(4, 20);
    const a = sessions.claimsFor('ci-a');
    expect(a.claimBuild('b1')).toBe('claimed');
    expect(sessions.claimsFor('ci-a').claimBuild('b1')).toBe('claimed');
    expect(sessions.claimsFor('ci-b').claimBuild('b1')).toBe('other');
    expect(sessions.claimsFor('ci-a').ownsBuild('b1')).toBe(true);
    expect(sessions.claimsFor('ci-b').ownsBuild('b1')).toBe(false);
    a.release();
    // The second claim of ci-a was never released: still ci-a's.
    expect(sessions.claimsFor('ci-b').claimBuild('b1')).toBe('other');
  });
});

describe('the session id is read as the daemon reads it', () => {
  it.each<[string, Record<string, string>, string | null]>([
    [
      'one id',
      { 'x-docker-expose-session-uuid': 'njluyynxf75xa7mfuqcltipfu', upgrade: 'h2c' },
      'njluyynxf75xa7mfuqcltipfu',
    ],
    ['none', { upgrade: 'h2c' }, null],
    [
      'two (Node joins them; Go would take the first)',
      { 'x-docker-expose-session-uuid': 'a, b', upgrade: 'h2c' },
      null,
    ],
    ['an Upgrade other than h2c', { 'x-docker-expose-session-uuid': 'a', upgrade: 'tcp' }, null],
  ])('%s', (_, headers, id) => {
    if (id !== null) expect(sessionIdOf(headers)).toBe(id);
    else expect(refusedWith(() => sessionIdOf(headers)).status).toBe(400);
  });

  it('the gRPC methods go on as the separate lines the daemon reads', () => {
    const headers: Record<string, string | string[]> = { 'x-docker-expose-session-grpc-method': 'a, b' };
    withSessionMethods(headers, { 'x-docker-expose-session-grpc-method': ['a', 'b'] });
    expect(headers['x-docker-expose-session-grpc-method']).toEqual(['a', 'b']);
  });
});
