import type { DecodedObject } from '../../body/go-decode.ts';
import { RawJson, serializeDecoded } from '../../body/go-decode.ts';
import { DockerApiError, errors } from '../../errors.ts';
import type { DaemonClient, NetworkFacts } from '../../upstream/daemon-client.ts';
import { isObject } from '../container-facts.ts';
import type { DecideContext, DecideInput } from '../forward.ts';
import { prefix, withQuery } from '../forward.ts';
import type { MissingRef } from '../missing.ts';
import type { Ownership } from '../ownership.ts';
import type { OwnedScope } from './scope.ts';
import { isShown, labelTopLevel, ownerQuery, pinnedOr } from './scope.ts';

/**
 * Networks of a client with an owner: its own only; another's, and one of nobody's (the daemon's
 * `bridge`), answer exactly as a missing one. A reference is pinned to the network's full id.
 */
export const networks: OwnedScope = {
  type: 'network',
  eventsKeep: true,
  sharesUnlabelled: false,
  async labels(ref, directory) {
    const found = await directory.daemon.network(ref);
    return found && !('ambiguous' in found) ? found.labels : null;
  },
  // Network events carry the name and type, not the labels.
  eventLabels: () => undefined,
  async pin(ref, owner, ctx, i = 0) {
    return pinnedOr((await ownersNetwork(ref, owner, ctx))?.id ?? null, ref, i);
  },
  listQuery: ownerQuery,
  label: labelTopLevel,
  eventKey: (id) => `network:${id}`,
};

/**
 * The owner's network a reference names, or null when it names none of the owner's. An id prefix
 * several networks share (the daemon refuses it, counting the others' too) is resolved among the
 * owner's networks: one is that one, none is a missing network, several is the daemon's refusal
 * counting the owner's only.
 */
export async function ownersNetwork(
  ref: string,
  owner: Ownership,
  ctx: DecideContext,
  /** The daemon's answer for `ref`, when the caller has already asked for it. */
  known?: Awaited<ReturnType<DaemonClient['network']>>,
): Promise<NetworkFacts | null> {
  const daemon = ctx.resolver.daemon;
  const found = known !== undefined ? known : await daemon.network(ref);
  if (found === null) return null;
  if (!('ambiguous' in found)) return isShown(networks, found.labels, owner) ? found : null;
  const mine = (await daemon.networksLabelled(`${owner.key}=${owner.owner}`)).filter(
    (n) => n.id.startsWith(ref) || n.name === ref,
  );
  if (mine.length > 1) {
    throw new DockerApiError(
      400,
      `network ${ref} is ambiguous (${mine.length} matches found based on ID prefix)`,
      'invalid',
    );
  }
  return mine[0] ?? null;
}

/**
 * A route naming a network (`GET`/`DELETE /networks/{id}`, connect, disconnect): the client's own is
 * pinned to its full id; another's answers as a missing one.
 */
export async function ownedNetwork(
  input: DecideInput,
  ref: string,
  owner: Ownership,
  ctx: DecideContext,
): Promise<{ readonly path: (rest: string) => string; readonly missing: MissingRef | null }> {
  const pinned = await networks.pin(ref, owner, ctx);
  return {
    path: (rest) => withQuery(`${prefix(input.target)}/networks/${pinned.ref}${rest}`, input.target.query),
    missing: pinned.missing,
  };
}

/**
 * `POST /networks/create` of an owner: labelled, sent with `CheckDuplicate` (without it older daemons
 * make a second network of a taken name, and say whose), and made from no network but the owner's.
 * The body to forward.
 */
export async function ownedNetworkCreate(
  body: DecodedObject,
  owner: Ownership,
  ctx: DecideContext,
): Promise<string> {
  networks.label(body, owner);
  body.CheckDuplicate = true;
  const from = isObject(body.ConfigFrom) ? body.ConfigFrom.Network : undefined;
  if (from instanceof RawJson || (from !== undefined && typeof from !== 'string')) {
    throw errors.badRequest('ConfigFrom.Network must be a network name');
  }
  if (typeof from === 'string' && from !== '' && !(await ownersNetwork(from, owner, ctx))) {
    throw errors.refused(
      `ConfigFrom names ${JSON.stringify(from)}, which is not one of this client's networks`,
    );
  }
  return serializeDecoded(body);
}
