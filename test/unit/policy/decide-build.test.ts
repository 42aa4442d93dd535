import { describe, expect, it } from 'vitest';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { decide } from '../../../src/policy/decide.ts';
import type { BuildClaims } from '../../../src/policy/decide-build.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { DockerApiError } from '../../../src/server/errors.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

/** Claims as one client sees them: its own session `mine`, another's `theirs`, its build `b-mine`. */
const claims = (): BuildClaims & { claimed: string[] } => {
  const claimed: string[] = [];
  return {
    claimed,
    claimSession: async (sid) => {
      claimed.push(`session ${sid}`);
      return sid === 'mine' ? 'claimed' : sid === 'theirs' ? 'other' : 'none';
    },
    claimBuild: (bid) => {
      claimed.push(`build ${bid}`);
      return bid === 'b-theirs' ? 'other' : 'claimed';
    },
    endSession: (sid) => claimed.push(`end ${sid}`),
    ownsBuild: (bid) => bid === 'b-mine',
  };
};

async function run(method: string, raw: string, builds: BuildClaims | undefined, rules = false) {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${raw}`);
  const s = stubResolver([{ id: id('a'), name: 'web' }], { names: ['web'], labels: [] });
  return decide(
    { method, target, route, raw, readBody: async () => '', ...(builds ? { builds } : {}) },
    { resolver: s.resolver, create: rules ? NO_WAY_OUT : null, owner: null },
  );
}

async function refusal(method: string, raw: string, builds: BuildClaims | undefined, rules = false) {
  try {
    await run(method, raw, builds, rules);
  } catch (error) {
    const e = error as DockerApiError;
    return `${e.status} ${e.message}`;
  }
  throw new Error('not refused');
}

const V2 = '/v1.41/build?version=2&remote=client-session&buildid=b-mine';

describe("decide: BuildKit builds name only their own client's session and build id (issue #25)", () => {
  it('a build naming its own session passes unchanged, and claims the session and the build id', async () => {
    const c = claims();
    expect(await run('POST', `${V2}&session=mine`, c)).toEqual({
      path: `${V2}&session=mine`,
      treatment: 'relay',
    });
    expect(c.claimed).toEqual(['session mine', 'build b-mine']);
  });

  it('a build refused for its query ends its own session (the CLI 20.10 would wait on it forever)', async () => {
    const c = claims();
    expect(await refusal('POST', `${V2}&session=mine&networkmode=container:web`, c)).toContain('403');
    expect(c.claimed).toEqual(['session mine', 'end mine']);
    const other = claims();
    await refusal('POST', `${V2}&session=theirs&networkmode=container:web`, other);
    expect(other.claimed).toEqual(['session theirs']);
  });

  it.each<[string, string]>([
    [`${V2}&session=theirs`, '403 dockscope: the build names a BuildKit session that another client opened'],
    [
      `${V2}&session=gone`,
      '403 dockscope: the build names a BuildKit session that is not open: open it through dockscope (POST /session) on this client',
    ],
    // The classic builder reads the same query: a session is a session whoever builds.
    ['/build?session=theirs', '403 dockscope: the build names a BuildKit session that another client opened'],
    ['/build?version=2&buildid=b-theirs', '403 dockscope: the buildid is held by a build of another client'],
    // An upload for build X feeds X's context: it is X that must be this client's.
    [
      '/build?version=2&buildid=upload-request:b-theirs',
      '403 dockscope: the buildid is held by a build of another client',
    ],
  ])('%s is refused', async (raw, message) => {
    expect(await refusal('POST', raw, claims())).toBe(message);
  });

  it("without the server's claims (no sessions known), a build naming a session is refused", async () => {
    expect(await refusal('POST', `${V2}&session=mine`, undefined)).toContain('is not open');
    expect(await refusal('POST', '/build?buildid=b1', undefined)).toContain('403 dockscope: the buildid');
    expect(await refusal('POST', '/build?session=mine', undefined)).toContain('is not open');
    expect((await run('POST', '/build?t=x', undefined)).treatment).toBe('relay');
  });

  it('a version=2 build is judged as a classic one: container: networks, host under rules, remote URLs', async () => {
    expect(await refusal('POST', `${V2}&session=mine&networkmode=container:web`, claims())).toBe(
      "403 dockscope: building in another container's network is refused",
    );
    expect(await refusal('POST', `${V2}&session=mine&networkmode=host`, claims(), true)).toContain(
      'create rule "hostNamespaces" refuses the networkmode query',
    );
    expect(
      await refusal('POST', '/build?version=2&remote=https://example.com/x.git', claims(), true),
    ).toContain('create rule "fetch" refuses the remote query');
    // The session's and an upload's context are the client's own, not a fetch.
    expect((await run('POST', `${V2}&session=mine`, claims(), true)).treatment).toBe('relay');
    expect(
      (await run('POST', '/build?version=2&remote=upload-request&buildid=b-mine', claims(), true)).treatment,
    ).toBe('relay');
  });

  it('/build/cancel cancels only a running build of this client', async () => {
    expect(await run('POST', '/v1.41/build/cancel?id=b-mine', claims())).toEqual({
      path: '/v1.41/build/cancel?id=b-mine',
      treatment: 'relay',
    });
    for (const raw of ['/build/cancel?id=b-theirs', '/build/cancel', '/build/cancel?id=']) {
      expect(await refusal('POST', raw, claims())).toBe(
        '403 dockscope: the id names no running build of this client',
      );
    }
  });

  it('POST /session passes the decision (the lists judged it; the server binds it)', async () => {
    expect(await run('POST', '/session', undefined)).toEqual({ path: '/session', treatment: 'relay' });
  });
});
