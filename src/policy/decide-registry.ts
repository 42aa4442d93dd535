import { AUTH_CONFIG } from '../body/daemon-types.ts';

import { serializeDecoded } from '../body/go-decode.ts';
import type { DecideContext, DecideInput } from './decide.ts';
import { decodeFor } from './read-body.ts';
import { checkRegistry, registryOfReference, registryOfServerAddress } from './registry-host.ts';

const DISTRIBUTION = /^\/distribution\/(.+)\/json$/;

/**
 * The registry a request makes the daemon contact, judged under the create rules' `fetch`
 * (registry-host.ts): pulls, pushes, distribution inspects, searches and logins. Returns the canonical
 * body to forward for a login (decoded as the daemon decodes it, so the server address judged is the
 * one it reads), else undefined.
 */
export async function checkRegistryRoute(
  input: DecideInput,
  ctx: Pick<DecideContext, 'create' | 'resolver'>,
): Promise<string | undefined> {
  const { create } = ctx;
  if (!create || create.fetch) return undefined;
  const { route, target } = input;
  if (route.kind === 'imageCreate') {
    const from = target.query.get('fromImage') ?? '';
    if (from !== '') await checkRegistry(create, registryOfReference(from), 'the fromImage query');
    return undefined;
  }
  if (route.kind === 'imagePush') {
    await checkRegistry(create, registryOfReference(route.name), 'the pushed image name');
    return undefined;
  }
  if (route.kind !== 'plain') return undefined;
  if (input.method === 'POST' && target.path === '/auth') {
    const body = await decodeFor(ctx, await input.readBody(), AUTH_CONFIG);
    const address = typeof body.serveraddress === 'string' ? body.serveraddress : '';
    await checkRegistry(create, registryOfServerAddress(address), 'serveraddress');
    return serializeDecoded(body);
  }
  if (input.method === 'GET' && target.path === '/images/search') {
    const term = target.query.get('term') ?? '';
    await checkRegistry(create, registryOfReference(term), 'the term query');
    return undefined;
  }
  const distribution = input.method === 'GET' ? DISTRIBUTION.exec(target.path) : null;
  if (distribution) await checkRegistry(create, registryOfReference(distribution[1] ?? ''), 'the image name');
  return undefined;
}
