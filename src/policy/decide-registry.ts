import { AUTH_CONFIG } from '../body/daemon-types.ts';

import { serializeDecoded } from '../body/go-decode.ts';
import { errors } from '../errors.ts';
import type { DecideContext, DecideInput } from './forward.ts';
import { decodeFor } from './read-body.ts';
import { checkRegistry, registryOfReference, registryOfServerAddress } from './registry-host.ts';
import { checkRegistryList, isListed } from './registry-lists.ts';

const DISTRIBUTION = /^\/distribution\/(.+)\/json$/;
const PLUGIN_PUSH = /^\/plugins\/(.+)\/push$/;

/**
 * The registry a request makes the daemon contact: pulls, pushes, distribution inspects, searches
 * and logins. A client's registry lists decide first (registry-lists.ts: one it names is allowed, one
 * it does not is refused); a registry no list names is judged under the create rules' `fetch`
 * (registry-host.ts: not on the host's loopback). Returns the canonical body to forward for a login
 * (decoded as the daemon decodes it, so the server address judged is the one it reads), else undefined.
 */
export async function checkRegistryRoute(
  input: DecideInput,
  ctx: Pick<DecideContext, 'create' | 'resolver' | 'registries'>,
): Promise<string | undefined> {
  const { create } = ctx;
  const lists = ctx.registries ?? null;
  if ((!create || create.fetch) && !lists) return undefined;
  const contact = async (kind: 'pull' | 'push' | 'login', registry: string, field: string) => {
    if (lists) checkRegistryList(lists, kind, registry, field);
    if (isListed(lists, kind, registry)) return;
    await checkRegistry(create, registry, field);
  };
  const { route, target } = input;
  if (route.kind === 'imageCreate') {
    const from = target.query.get('fromImage') ?? '';
    if (from !== '') await contact('pull', registryOfReference(from), 'the fromImage query');
    return undefined;
  }
  if (route.kind === 'imagePush') {
    await contact('push', registryOfReference(route.name), 'the pushed image name');
    return undefined;
  }
  if (route.kind === 'build') {
    // `cachefrom` images are looked up in their registries before the build (review of #19).
    const cacheFrom = target.query.get('cachefrom');
    if (cacheFrom) {
      let refs: unknown;
      try {
        refs = JSON.parse(cacheFrom);
      } catch {
        throw errors.badRequest('the cachefrom query must be a JSON list of image names');
      }
      if (!Array.isArray(refs) || refs.some((r) => typeof r !== 'string'))
        throw errors.badRequest('the cachefrom query must be a JSON list of image names');
      for (const ref of refs as string[])
        await contact('pull', registryOfReference(ref), 'the cachefrom query');
    }
    return undefined;
  }
  // Plugins come from registries too: privileges and pull/upgrade read `remote`, a push the name.
  const remote = target.query.get('remote');
  if ((route.kind === 'hostAccess' || route.kind === 'plain') && target.path.startsWith('/plugins')) {
    if (remote && /^\/plugins\/(privileges|pull|.+\/upgrade)$/.test(target.path)) {
      await contact('pull', registryOfReference(remote), 'the remote query');
    }
    const push = input.method === 'POST' ? PLUGIN_PUSH.exec(target.path) : null;
    if (push) await contact('push', registryOfReference(push[1] ?? ''), 'the plugin name');
    return undefined;
  }
  if (route.kind !== 'plain') return undefined;
  if (input.method === 'POST' && target.path === '/auth') {
    const body = await decodeFor(ctx, await input.readBody(), AUTH_CONFIG);
    const address = typeof body.serveraddress === 'string' ? body.serveraddress : '';
    await contact('login', registryOfServerAddress(address), 'serveraddress');
    return serializeDecoded(body);
  }
  if (input.method === 'GET' && target.path === '/images/search') {
    const term = target.query.get('term') ?? '';
    await contact('pull', registryOfReference(term), 'the term query');
    return undefined;
  }
  const distribution = input.method === 'GET' ? DISTRIBUTION.exec(target.path) : null;
  if (distribution) await contact('pull', registryOfReference(distribution[1] ?? ''), 'the image name');
  return undefined;
}
