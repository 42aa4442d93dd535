import { isObject } from '../policy/container-facts.ts';

type IsVisibleId = (containerId: string) => Promise<boolean>;

/**
 * Removes hidden containers from a network's `Containers` map (keyed by container id). Keys that
 * are not a visible container (missing, hidden, or load-balancer endpoints) are dropped too.
 */
export async function filterNetwork(network: unknown, isVisibleId: IsVisibleId): Promise<unknown> {
  if (!isObject(network) || !isObject(network.Containers)) return network;
  const kept: Record<string, unknown> = {};
  for (const [id, endpoint] of Object.entries(network.Containers)) {
    if (await isVisibleId(id)) kept[id] = endpoint;
  }
  network.Containers = kept;
  return network;
}

export async function filterNetworkList(list: unknown, isVisibleId: IsVisibleId): Promise<unknown> {
  if (!Array.isArray(list)) return list;
  for (const network of list) await filterNetwork(network, isVisibleId);
  return list;
}
