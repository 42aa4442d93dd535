import { CONFIG_FIELDS, HOST_CONFIG, HOST_CONFIG_FIELDS, NETWORKING_CONFIG } from './daemon-types.ts';
import type { Decoded, DecodedObject, StructSchema } from './go-decode.ts';
import { fieldFor, isDecodedObject, newObject, RawJson, string, struct } from './go-decode.ts';

/**
 * runconfig.ContainerConfigWrapper (moby v20.10 to v26.1, runconfig/config_unix.go): the create body
 * embeds *container.Config and *container.HostConfig, so HostConfig fields written at the top level
 * are decoded too, beside the inner `HostConfig` object and a deprecated `Cpuset`. Go promotes the
 * embedded fields: Config's and HostConfig's sit at depth 1 (their names never clash), Resources' at
 * depth 2, the wrapper's own (`HostConfig`, `Cpuset`, `NetworkingConfig`) at depth 0.
 */
export const CONTAINER_CREATE_EMBEDDED: StructSchema = struct('the container create body', {
  ...HOST_CONFIG_FIELDS,
  ...CONFIG_FIELDS,
  HostConfig: HOST_CONFIG,
  NetworkingConfig: NETWORKING_CONFIG,
  Cpuset: string,
});

/** Top-level keys that are HostConfig fields (of the embedded one), not Config or wrapper fields. */
export function isTopLevelHostKey(key: string): boolean {
  const field = fieldFor(CONTAINER_CREATE_EMBEDDED.fields, key);
  return field !== undefined && Object.hasOwn(HOST_CONFIG_FIELDS, field) && !isWrapperOwn(field);
}

function isWrapperOwn(field: string): boolean {
  return Object.hasOwn(CONFIG_FIELDS, field) || ['HostConfig', 'NetworkingConfig', 'Cpuset'].includes(field);
}

/** The fields getHostConfig copies from the top level when the inner one is zero. */
const COPIED = ['Memory', 'MemorySwap', 'CpuShares', 'CpusetCpus', 'VolumeDriver'] as const;

/** Go's zero value for these fields: absent (or null), 0 for the int64s, "" for the strings. */
export function isZero(value: Decoded | undefined): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (value instanceof RawJson) {
    const node = value.node;
    if (node.type === 'null') return true;
    if (node.type === 'number') return Number(node.raw) === 0;
    if (node.type === 'string') return node.value === '';
  }
  return false;
}

/**
 * The create body as the daemon's getHostConfig makes it, in canonical form: every host setting
 * inside `HostConfig`, nothing at the top level. With an inner `HostConfig`, top-level host fields are
 * ignored except `Memory`, `MemorySwap`, `CpuShares`, `CpusetCpus` and `VolumeDriver`, copied in where
 * the inner one is zero; with none, the top-level fields are the host config (`hostPresent`: a
 * top-level host key was given, even as null, which makes Go allocate the embedded HostConfig). Then
 * `Cpuset` fills `CpusetCpus` when that is still empty. (Docker 27+ has no field for any of them: the
 * body is decoded without them, see body-rules.ts.)
 */
export function mergeTopLevelHostConfig(decoded: DecodedObject, hostPresent: boolean): DecodedObject {
  const out = newObject();
  const top = newObject();
  for (const [key, value] of Object.entries(decoded)) {
    if (isWrapperOwn(key)) out[key] = value;
    else top[key] = value;
  }
  const cpuset = out.Cpuset;
  delete out.Cpuset;
  const inner = isDecodedObject(out.HostConfig) ? out.HostConfig : null;
  let host: DecodedObject | null;
  if (inner === null) host = hostPresent ? top : null;
  else {
    host = inner;
    for (const key of COPIED) {
      const given = top[key];
      if (given !== undefined && !isZero(given) && isZero(inner[key])) inner[key] = given;
    }
  }
  if (host !== null) {
    if (typeof cpuset === 'string' && cpuset !== '' && isZero(host.CpusetCpus)) host.CpusetCpus = cpuset;
    out.HostConfig = host;
  }
  return out;
}
