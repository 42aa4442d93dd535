import { describe, expect, it } from 'vitest';
import { explainRequest } from '../../src/explain.ts';
import type { Client } from '../../src/policy/clients.ts';
import type { VisibilityRules } from '../../src/policy/matcher.ts';
import { compileRouteRules } from '../../src/routes/templates.ts';
import { id, stubResolver } from './support/stub-resolver.ts';

function profile(
  allow: string[] | undefined,
  learning = false,
  rules: VisibilityRules = { names: ['web'], labels: [] },
): Client {
  return {
    name: 'reader',
    resolver: stubResolver([{ id: id('a'), name: 'web' }], rules).resolver,
    scrubEnvs: false,
    create: null,
    limits: null,
    registries: null,
    owner: null,
    routes: compileRouteRules(allow, undefined),
    learning,
    usesToken: false,
  };
}

describe('dockscope explain: the server’s judgement of one request, in one line', () => {
  it('a request the lists allow: its route, lane, header timeout and template', async () => {
    const e = await explainRequest(profile(['read-only']), 'GET', '/v1.41/containers/json', 30_000);
    expect(e.exit).toBe(0);
    expect(e.line).toMatch(
      /^GET \/v1\.41\/containers\/json: route containerList, passes the allow\/deny lists of client "reader" \(.+\); container references are then judged on what the daemon says of them \(this client sees the containers its rules match\); \w+ lane, response headers awaited up to \d+(\.\d+)?s; recorded as .+$/,
    );
    expect(e.judgement.refusal).toBeUndefined();
  });

  it('a client that sees every container is told so', async () => {
    const e = await explainRequest(
      profile(undefined, false, { names: [], labels: [] }),
      'GET',
      '/_ping',
      30_000,
    );
    expect(e.exit).toBe(0);
    expect(e.line).toContain('(this client sees every container)');
  });

  it('a request the lists refuse names the rule and exits 1', async () => {
    const e = await explainRequest(profile(['read-only']), 'POST', '/v1.41/containers/web/kill', 30_000);
    expect(e.exit).toBe(1);
    expect(e.line).toMatch(
      /^POST \/v1\.41\/containers\/web\/kill: refused \(403\) for client "reader" by .+$/,
    );
  });

  it('in learn mode the refusal is served, and said to be', async () => {
    const e = await explainRequest(
      profile(['read-only'], true),
      'POST',
      '/v1.41/containers/web/kill',
      30_000,
    );
    expect(e.exit).toBe(0);
    expect(e.line).toContain('is served to client "reader" in learn mode, which its lists would refuse (');
  });

  it('a path no route knows is refused with its message, the dockscope: prefix cut', async () => {
    const e = await explainRequest(profile(undefined), 'GET', '/v1.41/nothing/here', 30_000);
    expect(e.exit).toBe(1);
    expect(e.line.startsWith('GET /v1.41/nothing/here: refused (')).toBe(true);
    expect(e.line).not.toContain('dockscope: ');
  });
});
