import { isObject } from '../policy/container-facts.ts';
import { JsonArrayFilter } from './json-array-filter.ts';
import { HIDDEN_REF } from './references.ts';

type IsVisibleId = (containerId: string) => Promise<boolean>;
type ContainerState = (containerId: string) => Promise<'visible' | 'hidden' | 'missing'>;

/**
 * An image made by `docker commit` (or by the classic builder) names the container it was made from
 * (`Container`, up to API 1.44) and carries that container's configuration: `ContainerConfig`, and in
 * `Config` its command, host name (the container's short id), environment and labels. When that
 * container is not one the client may see, `Container`, `ContainerConfig` and the host name are
 * blanked; when it still exists (a hidden container), so is all of `Config`. An image whose source
 * container is gone keeps its `Config`: it is what every classic-built or pulled image carries (compose
 * reads its volumes and ports), and it belongs to no container that could be hidden any more.
 * With SCRUB_ENVS every image environment is blanked, as container environments are.
 */
export async function filterImageInspect(
  image: unknown,
  stateOf: ContainerState,
  scrubEnvs: boolean,
): Promise<unknown> {
  if (!isObject(image)) return image;
  let config = isObject(image.Config) ? image.Config : null;
  const containerConfig = isObject(image.ContainerConfig) ? image.ContainerConfig : null;
  const source = image.Container;
  const state = typeof source === 'string' && source !== '' ? await stateOf(source) : 'visible';
  if (state !== 'visible') {
    image.Container = '';
    if (containerConfig) image.ContainerConfig = blankConfig(containerConfig);
    if (config && state === 'hidden') {
      config = blankConfig(config);
      image.Config = config;
    }
    if (config) config.Hostname = '';
  }
  if (scrubEnvs) {
    if (config) config.Env = [];
    if (isObject(image.ContainerConfig)) image.ContainerConfig.Env = [];
  }
  return image;
}

/** The same keys, all empty: clients decode the field as a container config. */
export function blankConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] =
      typeof value === 'string' ? '' : typeof value === 'boolean' ? false : Array.isArray(value) ? [] : null;
  }
  return out;
}

/** How many images of a history dockscope looks at, at most (each is one inspect upstream). */
export const MAX_HISTORY_LOOKUPS = 64;

/**
 * An image's history shows, for a committed layer, the command of the container it was committed from
 * (`CreatedBy`) and the commit message. For each entry dockscope asks the image's source container
 * (one inspect per local image; `<missing>` entries are layers of pulled images and name none); a
 * layer from a container the client may not see keeps neither. Past MAX_HISTORY_LOOKUPS entries, the
 * rest lose them too (fail closed).
 */
export async function filterImageHistory(
  history: unknown,
  sourceOf: (imageId: string) => Promise<string | null>,
  isVisibleId: IsVisibleId,
): Promise<unknown> {
  if (!Array.isArray(history)) return history;
  let lookups = 0;
  for (const entry of history) {
    if (!isObject(entry) || typeof entry.Id !== 'string' || entry.Id === '<missing>') continue;
    const source = lookups++ < MAX_HISTORY_LOOKUPS ? await sourceOf(entry.Id) : HIDDEN_REF;
    // An image made from no container keeps its history; one that cannot be read does not (fail closed).
    if (source === '' || (source !== null && source !== HIDDEN_REF && (await isVisibleId(source)))) continue;
    entry.CreatedBy = '';
    entry.Comment = '';
  }
  return history;
}

/**
 * `GET /images/json` of an owner: entries whose labels say they are another owner's are left out as
 * the list streams (only `Labels` of each entry is parsed; kept entries pass as the daemon sent them).
 */
export function imageListFilter(isShown: (labels: unknown) => boolean): JsonArrayFilter {
  return new JsonArrayFilter((entry) => isObject(entry) && isShown(entry.Labels), { fields: ['Labels'] });
}
