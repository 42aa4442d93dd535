import { describe, expect, it } from 'vitest';
import type { Forwarding } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import type { VisibilityRules } from '../../../src/policy/matcher.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import type { StubObject } from '../support/stub-objects.ts';
import { stubObjects } from '../support/stub-objects.ts';

const OWNER = { key: 'dockscope.owner', owner: 'ci-a' };
const MINE = 'a'.repeat(25);
const THEIRS = 'b'.repeat(25);
const NOBODYS = 'c'.repeat(25);

/** A service, a secret and a config of each: the client's, another owner's, and nobody's. */
const objects: StubObject[] = (['services', 'secrets', 'configs'] as const).flatMap((kind) => [
  { kind, id: MINE, name: 'mine', labels: { 'dockscope.owner': 'ci-a' } },
  { kind, id: THEIRS, name: 'theirs', labels: { 'dockscope.owner': 'ci-b' } },
  { kind, id: NOBODYS, name: 'nobodys' },
]);

/** A request decided for a client with owner ci-a that sees every container (no rules, no create rules). */
async function run(
  method: string,
  raw: string,
  body = '',
  rules: VisibilityRules | 'all' = 'all',
): Promise<Forwarding> {
  const target = parseTarget(raw);
  const route = classify(method, target);
  if (!route) throw new Error(`no route for ${method} ${raw}`);
  const { resolver } = stubObjects(objects, rules);
  return decide(
    { method, target, route, raw, readBody: async () => body },
    { resolver, create: null, owner: OWNER },
  );
}

describe('decide: swarm objects of a client with an owner that sees every container (issue #24)', () => {
  it.each(['services', 'secrets', 'configs'])(
    'GET /%s asks the daemon for the owner’s only',
    async (kind) => {
      const forward = await run('GET', `/v1.41/${kind}?filters=${encodeURIComponent('{"name":{"x":true}}')}`);
      expect(forward.treatment).toBe('filterSwarmList');
      const filters = JSON.parse(new URL(forward.path, 'http://x').searchParams.get('filters') ?? '');
      expect(filters).toEqual({ name: { x: true }, label: { 'dockscope.owner=ci-a': true } });
    },
  );

  it.each([
    ['services', 'mine', 'pinned'],
    ['services', 'theirs', 'missing'],
    ['services', 'nobodys', 'missing'],
    ['secrets', 'mine', 'pinned'],
    ['secrets', 'theirs', 'missing'],
    ['configs', THEIRS.slice(0, 4), 'missing'],
    ['configs', 'gone', 'missing'],
  ] as const)('DELETE /%s/%s: %s', async (kind, ref, outcome) => {
    const forward = await run('DELETE', `/v1.41/${kind}/${ref}`);
    if (outcome === 'pinned') expect(forward).toEqual({ path: `/v1.41/${kind}/${MINE}`, treatment: 'relay' });
    else {
      expect(forward.treatment).toBe('restoreMissing');
      expect(forward.missing?.map((m) => m.typed)).toEqual([ref]);
      expect(forward.path).not.toContain(ref);
    }
  });

  it('a secret or config create is sent labelled; another owner’s value is refused', async () => {
    const forward = await run(
      'POST',
      '/v1.41/secrets/create',
      '{"name":"s","Data":"eA==","labels":{"x":"1"}}',
    );
    // The spec as the daemon decodes it (Go's key folding), with the owner label.
    expect(JSON.parse(forward.body ?? '')).toEqual({
      Name: 's',
      Data: 'eA==',
      Labels: { x: '1', 'dockscope.owner': 'ci-a' },
    });
    await expect(
      run('POST', '/v1.41/configs/create', '{"Name":"c","Data":"eA==","Labels":{"dockscope.owner":"ci-b"}}'),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('an update of its own config is labelled again; of another’s, answered as missing', async () => {
    const own = await run('POST', `/v1.41/configs/mine/update?version=3`, '{"Name":"mine","Labels":{}}');
    expect(own.path).toBe(`/v1.41/configs/${MINE}/update?version=3`);
    expect(JSON.parse(own.body ?? '')).toEqual({ Name: 'mine', Labels: { 'dockscope.owner': 'ci-a' } });
    const theirs = await run(
      'POST',
      `/v1.41/configs/theirs/update?version=3`,
      '{"Name":"theirs","Labels":{}}',
    );
    expect(theirs.treatment).toBe('restoreMissing');
  });

  it('a service create is labelled (its task containers too) and may not give its tasks another’s secret', async () => {
    const spec = (secret: string) =>
      JSON.stringify({
        Name: 'svc',
        TaskTemplate: {
          ContainerSpec: { Image: 'busybox', Secrets: [{ SecretID: secret, SecretName: 'x' }] },
        },
      });
    const forward = await run('POST', '/v1.41/services/create', spec(MINE));
    const body = JSON.parse(forward.body ?? '');
    expect(body.Labels).toEqual({ 'dockscope.owner': 'ci-a' });
    expect(body.TaskTemplate.ContainerSpec.Labels).toEqual({ 'dockscope.owner': 'ci-a' });
    for (const other of [THEIRS, NOBODYS]) {
      await expect(run('POST', '/v1.41/services/create', spec(other))).rejects.toMatchObject({
        status: 403,
        message: expect.stringContaining('names a secret this client may not see'),
      });
    }
  });

  it('with container rules too, its own service is shown only when the rules allow it', async () => {
    const rules = { names: ['nothing-matches'], labels: [] };
    expect((await run('GET', '/v1.41/services/mine', '', rules)).treatment).toBe('restoreMissing');
    expect((await run('GET', '/v1.41/services/mine')).treatment).toBe('judgeSwarmInspect');
  });
});
