import { describe, expect, it } from 'vitest';
import type { Client } from '../../../src/policy/clients.ts';
import { compileRouteRules } from '../../../src/routes/templates.ts';
import { completion } from '../../../src/server/completion.ts';
import type { RequestFacts, Transport } from '../../../src/server/judge.ts';
import { judge, STEPS } from '../../../src/server/judge.ts';
import { id, stubResolver } from '../support/stub-resolver.ts';

const WEB = id('a');

function client(allow: string[] | undefined, learning = false): Client {
  return {
    name: 'reader',
    resolver: stubResolver([{ id: WEB, name: 'web' }], { names: ['web'], labels: [] }).resolver,
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

const facts = (transport: Transport, method: string, url: string, p: Client, headers = {}): RequestFacts => ({
  transport,
  method,
  url,
  headers,
  identify: () => p,
  upstreamTimeoutMs: 1000,
});

describe('judge: one ordered list of named steps for plain requests, upgrades and explain', () => {
  it('each transport runs its steps in the one order', () => {
    const of = (t: Transport) => STEPS.filter((s) => s.on.includes(t)).map((s) => s.name);
    expect(of('plain')).toEqual(['identify', 'classify', 'lists', 'plain session', 'decide', 'timing']);
    expect(of('upgrade')).toEqual([
      'upgrade framing',
      'identify',
      'classify',
      'lists',
      'hijack route',
      'decide',
      'timing',
    ]);
    expect(of('explain')).toEqual([
      'identify',
      'classify',
      'lists',
      'plain session',
      'refused route',
      'timing',
    ]);
  });

  it.each<[string, string, string, number, string]>([
    ['GET', '/v1.23/info', 'classify', 400, 'client version 1.23 is too old'],
    ['GET', '/nope', 'classify', 403, 'is not an Engine API route dockscope knows'],
    [
      'POST',
      '/containers/web/kill',
      'lists',
      403,
      'is not allowed for client "reader" (allow: no entry matches)',
    ],
    ['POST', '/session', 'plain session', 400, 'a BuildKit session is an h2c upgrade'],
  ])(
    '%s %s stops at the same step, with the same error, on the server as in explain',
    async (method, url, step, status, text) => {
      const p = client(['read-only', 'POST /session', 'POST /build']);
      for (const transport of ['plain', 'explain'] as const) {
        const { refusal } = await judge(facts(transport, method, url, p));
        expect([refusal?.step, refusal?.error.status]).toEqual([step, status]);
        expect(refusal?.error.message).toContain(text);
      }
    },
  );

  it("a route refused on purpose: explain's own step gives the error the server's decision gives", async () => {
    const p = client(undefined);
    const served = await judge(facts('plain', 'GET', '/grpc', p));
    const explained = await judge(facts('explain', 'GET', '/grpc', p));
    expect([served.refusal?.step, explained.refusal?.step]).toEqual(['decide', 'refused route']);
    expect(explained.refusal?.error).toEqual(served.refusal?.error);
  });

  it('an upgrade is judged whole before anything is forwarded: only hijack routes, no chunked body', async () => {
    const p = client(undefined);
    const logs = await judge(facts('upgrade', 'GET', '/containers/web/logs', p));
    expect([logs.refusal?.step, logs.refusal?.error.message]).toEqual([
      'hijack route',
      'dockscope: Upgrade is only supported on attach, exec start and BuildKit sessions',
    ]);
    // Refused before decide: none of its look-ups (or an owner's volume create) ran for it.
    expect(logs.forwarding).toBeUndefined();
    const chunked = await judge(
      facts('upgrade', 'POST', '/exec/e/start', p, { 'transfer-encoding': 'chunked' }),
    );
    expect(chunked.refusal?.step).toBe('upgrade framing');
    const attach = await judge(facts('upgrade', 'POST', '/containers/web/attach?stream=1', p));
    expect(attach.refusal).toBeUndefined();
    expect(attach.forwarding?.path).toBe(`/containers/${WEB}/attach?stream=1`);
  });

  it('a fault of a step is its refusal: a 500 that echoes nothing', async () => {
    const j = await judge({
      ...facts('plain', 'GET', '/_ping', client(undefined)),
      identify: () => {
        throw new Error('secret detail');
      },
    });
    expect([j.refusal?.step, j.refusal?.error.status]).toEqual(['identify', 500]);
    expect(j.refusal?.error.message).not.toContain('secret');
  });
});

describe('completion: the one record of a judged request', () => {
  const ids = { reqId: 7, listener: 'lan', method: 'GET', path: '/containers/web/json' };

  it("holds the judgement's client, route, template and rule, and how the request ended", async () => {
    const j = await judge(facts('plain', 'GET', '/v1.41/containers/web/json', client(['read-only'])));
    expect(completion(ids, j, { decision: 'filtered', status: 200, complete: true, ms: 1.234 })).toEqual({
      ...ids,
      client: 'reader',
      route: 'container',
      template: 'GET /containers/{id}/json',
      decision: 'filtered',
      reason: undefined,
      rule: 'allow: GET /containers/{id}/json (group read-only)',
      status: 200,
      complete: true,
      dropped: undefined,
      ms: 1.2,
      upgrade: undefined,
      learning: undefined,
    });
  });

  it("a learning client's request its lists would refuse is a would-deny; a refusal names its rule", async () => {
    const learner = await judge(facts('plain', 'POST', '/containers/web/kill', client(['ping'], true)));
    const record = completion(ids, learner, { decision: 'allowed', status: 204, complete: true, ms: 1 });
    expect([record.decision, record.rule, record.learning]).toEqual([
      'would-deny',
      'allow: no entry matches',
      true,
    ]);
    const refused = await judge(facts('plain', 'POST', '/containers/web/kill', client(['ping'])));
    const denied = completion(ids, refused, { decision: 'refused', status: 403, complete: true, ms: 1 });
    expect([denied.decision, denied.rule, denied.template]).toEqual([
      'refused',
      'allow: no entry matches',
      'POST /containers/{id}/kill',
    ]);
  });
});
