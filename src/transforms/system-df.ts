import { isObject } from '../policy/container-facts.ts';

/**
 * Keeps only visible containers in `GET /system/df`'s `Containers` list, scoped as in the container
 * list (`scope` rewrites an entry), and counts image and volume users among them only: the daemon's
 * counts (`Images[].Containers`, `Volumes[].UsageData.RefCount`) include hidden containers, as the
 * `/info` counts do.
 */
export async function filterSystemDf(
  df: unknown,
  isVisible: (summary: unknown) => boolean,
  scope: (summary: Record<string, unknown>) => Promise<void> = async () => {},
  /** With ownership: whether a volume (by its labels) is the client's; others are left out. */
  volumeVisible?: (labels: unknown) => boolean,
  /** With ownership: whether an image (by its labels) is the client's or nobody's; others are left out. */
  imageVisible?: (labels: unknown) => boolean,
): Promise<unknown> {
  if (!isObject(df) || !Array.isArray(df.Containers)) return df;
  if (volumeVisible && Array.isArray(df.Volumes)) {
    df.Volumes = df.Volumes.filter((v) => isObject(v) && volumeVisible(v.Labels));
  }
  if (imageVisible && Array.isArray(df.Images)) {
    df.Images = df.Images.filter((image) => isObject(image) && imageVisible(image.Labels));
  }
  const kept = df.Containers.filter(isVisible);
  df.Containers = kept;
  const byImage = new Map<string, number>();
  const byVolume = new Map<string, number>();
  for (const summary of kept) {
    if (!isObject(summary)) continue;
    await scope(summary);
    if (typeof summary.ImageID === 'string')
      byImage.set(summary.ImageID, (byImage.get(summary.ImageID) ?? 0) + 1);
    for (const mount of Array.isArray(summary.Mounts) ? summary.Mounts : []) {
      if (isObject(mount) && mount.Type === 'volume' && typeof mount.Name === 'string') {
        byVolume.set(mount.Name, (byVolume.get(mount.Name) ?? 0) + 1);
      }
    }
  }
  for (const image of Array.isArray(df.Images) ? df.Images : []) {
    if (
      isObject(image) &&
      typeof image.Id === 'string' &&
      typeof image.Containers === 'number' &&
      image.Containers >= 0
    ) {
      image.Containers = byImage.get(image.Id) ?? 0;
    }
  }
  for (const volume of Array.isArray(df.Volumes) ? df.Volumes : []) {
    const usage = isObject(volume) && isObject(volume.UsageData) ? volume.UsageData : null;
    if (
      usage &&
      typeof volume.Name === 'string' &&
      typeof usage.RefCount === 'number' &&
      usage.RefCount >= 0
    ) {
      usage.RefCount = byVolume.get(volume.Name) ?? 0;
    }
  }
  return df;
}
