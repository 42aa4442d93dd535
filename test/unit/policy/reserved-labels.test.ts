import { describe, expect, it } from 'vitest';
import { DockerApiError } from '../../../src/errors.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import type { DecideContext } from '../../../src/policy/decide.ts';
import { decide } from '../../../src/policy/decide.ts';
import { classify } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import { stubResolver } from '../support/stub-resolver.ts';

const owner = { key: 'dockscope.owner', owner: 'ci' };
const restricted = (): DecideContext => ({
  resolver: stubResolver([]).resolver,
  create: NO_WAY_OUT,
  owner: null,
});
const trusted = (): DecideContext => ({
  resolver: stubResolver([], { names: [], labels: [] }).resolver,
  create: null,
  owner: null,
});

async function create(labels: Record<string, string>, ctx: DecideContext) {
  const raw = '/v1.41/containers/create?name=web-1';
  const target = parseTarget(raw);
  const route = classify('POST', target);
  if (!route) throw new Error('no route');
  const body = JSON.stringify({ Image: 'busybox', Labels: labels });
  return decide({ method: 'POST', target, route, raw, readBody: async () => body }, ctx);
}

async function refusalOf(labels: Record<string, string>, ctx: DecideContext): Promise<DockerApiError | null> {
  try {
    await create(labels, ctx);
    return null;
  } catch (error) {
    if (error instanceof DockerApiError) return error;
    throw error;
  }
}

describe('no one labels themselves into a profile (issue #23)', () => {
  it.each(['dockscope.client', 'DockScope.Client', 'dockscope.anything', 'DOCKSCOPE.owner'])(
    'a restricted client’s create with %s is refused (403, rule labels)',
    async (key) => {
      const error = await refusalOf({ [key]: 'ops' }, restricted());
      expect(error?.status).toBe(403);
      expect(error?.rule).toBe('labels');
      expect(error?.message).toBe(
        `dockscope: Labels sets the label ${JSON.stringify(key)}: labels under dockscope. are dockscope's own, and this client may not set them`,
      );
    },
  );
  it('other labels pass, and so does the own owner label of an owner (ownership judges its value)', async () => {
    expect(await refusalOf({ 'dockscopex.client': 'ops', app: 'web' }, restricted())).toBeNull();
    const ctx = { ...restricted(), owner };
    expect(await refusalOf({ 'dockscope.owner': 'ci' }, ctx)).toBeNull();
    expect((await refusalOf({ 'dockscope.owner': 'other' }, ctx))?.message).toContain(
      'which dockscope sets to this client',
    );
    expect((await refusalOf({ 'dockscope.client': 'ops' }, ctx))?.rule).toBe('labels');
  });
  it('a client trusted with everything (all containers, no create rules, no owner) may set them', async () => {
    expect(await refusalOf({ 'dockscope.client': 'ops' }, trusted())).toBeNull();
  });
});
