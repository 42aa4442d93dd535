import type { DecodedObject } from '../../body/go-decode.ts';
import { serializeDecoded } from '../../body/go-decode.ts';
import type { NamedVolume } from '../container-create-rules.ts';
import type { DecideContext, DecideInput, Forwarding } from '../forward.ts';
import { asMissing, prefix, withQuery } from '../forward.ts';
import type { Ownership } from '../ownership.ts';
import { nameTaken, withOwnerLabel } from '../ownership.ts';
import type { OwnedScope } from './scope.ts';
import { isShown, labelTopLevel, ownerQuery, pinnedOr, whose } from './scope.ts';

/**
 * Volumes of a client with an owner: its own only (by the owner label on the volume); another's, and
 * one of nobody's, answer exactly as a missing one. Volumes are named, and the name is what a request
 * names them by, so a volume is pinned to its name.
 */
export const volumes: OwnedScope = {
  type: 'volume',
  eventsKeep: true,
  sharesUnlabelled: false,
  labels: (name, directory) => directory.daemon.volumeLabels(name),
  // Volume events carry the driver, not the labels.
  eventLabels: () => undefined,
  async pin(name, owner, ctx, i = 0) {
    const labels = await ctx.resolver.daemon.volumeLabels(name);
    return pinnedOr(isShown(volumes, labels, owner) ? name : null, name, i);
  },
  listQuery: ownerQuery,
  label: labelTopLevel,
  eventKey: (name) => `volume:${name}`,
};

/** `GET` or `DELETE /volumes/{name}`. */
export async function decideVolume(
  input: DecideInput,
  name: string,
  ctx: DecideContext,
): Promise<Forwarding> {
  const treatment = input.method === 'DELETE' ? 'cutErrorIds' : 'relay';
  if (!ctx.owner) return { path: input.raw, treatment };
  const pinned = await volumes.pin(name, ctx.owner, ctx);
  if (!pinned.missing) return { path: input.raw, treatment };
  return asMissing(withQuery(`${prefix(input.target)}/volumes/${pinned.ref}`, input.target.query), [
    pinned.missing,
  ]);
}

/**
 * `POST /volumes/create` of an owner: labelled, and refused when the name is another's (the daemon
 * answers a create of an existing name with that volume). The body to forward.
 */
export async function ownedVolumeCreate(
  body: DecodedObject,
  owner: Ownership,
  ctx: DecideContext,
): Promise<string> {
  volumes.label(body, owner);
  if (typeof body.Name === 'string' && body.Name !== '') {
    const labels = await ctx.resolver.daemon.volumeLabels(body.Name);
    if (labels !== null && whose(labels, owner) !== 'own') throw nameTaken('volume', body.Name);
  }
  return serializeDecoded(body);
}

/**
 * A named volume a container create would make on the way, made first with the owner label (the
 * daemon would make it without). Another client may make the name in between: the daemon then
 * answers with its volume, and the create is refused as for a taken name.
 */
export async function makeOwnedVolume(
  volume: NamedVolume,
  owner: Ownership,
  ctx: DecideContext,
): Promise<void> {
  const made = await ctx.resolver.daemon.createVolume(
    serializeDecoded({
      Name: volume.name,
      ...(volume.driver ? { Driver: volume.driver } : {}),
      ...(volume.options ? { DriverOpts: volume.options } : {}),
      Labels: withOwnerLabel(volume.labels, owner, `${volume.field} labels`),
    }),
  );
  if (whose(made, owner) !== 'own') throw nameTaken('volume', volume.name);
}
