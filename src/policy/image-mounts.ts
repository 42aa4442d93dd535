import type { DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import { createRuleRefusal } from './create-rules.ts';
import { judgeImage } from './decide-image-names.ts';
import type { DecideContext } from './forward.ts';
import type { Ownership } from './ownership.ts';

/**
 * An image mount (`--mount type=image,source=<image>`: Podman, and dockerd from 28) puts the image's
 * files in the container: for an owner it must be its own image or nobody's, and is pinned to the id
 * judged. Another owner's and one the daemon lacks are refused alike: Podman creates the container
 * either way (measured on 4.3) and fails only at start, so no missing answer of the create exists.
 */
export async function pinImageMounts(
  host: DecodedObject | null,
  owner: Ownership,
  ctx: DecideContext,
): Promise<void> {
  if (!host || !Array.isArray(host.Mounts)) return;
  for (const [i, mount] of host.Mounts.entries()) {
    if (!isObject(mount) || mount.Type !== 'image') continue;
    const source = typeof mount.Source === 'string' ? mount.Source : '';
    const judged = source === '' ? null : await judgeImage(source, owner, ctx);
    if (judged === null || judged.whose === 'other') {
      throw createRuleRefusal(
        'mounts',
        `HostConfig.Mounts[${i}].Source`,
        `the image ${JSON.stringify(source.length > 64 ? `${source.slice(0, 64)}...` : source)} is not one this client may mount`,
      );
    }
    mount.Source = judged.facts.id;
  }
}
