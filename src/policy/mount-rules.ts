import { posix } from 'node:path';
import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import type { CreateRules, HostPathRule } from './create-rules.ts';
import { createRuleRefusal } from './create-rules.ts';

/** Create rules for what reaches the host's file systems: host paths, binds, mounts, volume drivers. */

/** A host path's rule, or null when no prefix covers it. */
function hostPathRule(rules: CreateRules, path: string): HostPathRule | null {
  let best: HostPathRule | null = null;
  for (const rule of rules.hostPaths) {
    const under = rule.path === '/' || path === rule.path || path.startsWith(`${rule.path}/`);
    // The most specific prefix decides (a read-only subtree inside a writable one stays read-only).
    if (under && (best === null || rule.path.length > best.path.length)) best = rule;
  }
  return best;
}

/** Checks a host path the daemon would mount; paths must be absolute and in clean form. */
export function checkHostPath(rules: CreateRules, field: string, path: string, readOnly: boolean): void {
  // A path the daemon would clean or resolve differently from the text ("/srv/../etc", "//etc") is
  // not judged by its text: it is refused.
  if (!path.startsWith('/') || posix.normalize(path) !== path || (path.length > 1 && path.endsWith('/'))) {
    throw createRuleRefusal(
      'hostPaths',
      field,
      `the host path ${JSON.stringify(path)} is not absolute and clean`,
    );
  }
  const rule = hostPathRule(rules, path);
  if (rule === null) {
    throw createRuleRefusal(
      'hostPaths',
      field,
      `the host path ${path} is not under a path this client may bind${rules.hostPaths.length === 0 ? ' (it may bind none)' : ''}`,
    );
  }
  if (rule.readOnly && !readOnly) {
    throw createRuleRefusal('hostPaths', field, `the host path ${path} may only be bound read-only`);
  }
}

/** A volume name as the daemon's bind parser accepts one (anything else with no leading `/` is refused). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The modes of a `Binds` entry the daemon's Linux parser knows (volume/mounts/parser_linux.go). */
const BIND_MODES: ReadonlySet<string> = new Set([
  ...['rw', 'ro', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'],
  ...['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'],
]);

/**
 * A `Binds` entry as the daemon's Linux parser reads it: `dst`, `src:dst` or `src:dst:mode`. A source
 * starting with `/` is a host path, anything else a volume name.
 */
export function checkBind(rules: CreateRules, field: string, entry: string): void {
  const parts = entry.split(':');
  if (parts.length === 1) return; // an anonymous volume
  if (parts.length > 3)
    throw createRuleRefusal('hostPaths', field, `${JSON.stringify(entry)} is not src:dst[:mode]`);
  const [source = '', , mode = ''] = parts;
  // Podman reads more bind options than dockerd, `U` among them: it chowns the host path, read-only
  // or not (measured on 4.3). dockerd refuses any other mode, so only its own are let through.
  const unknown = mode === '' ? undefined : mode.split(',').find((m) => !BIND_MODES.has(m));
  if (unknown !== undefined) {
    throw createRuleRefusal(
      'hostPaths',
      field,
      `the bind option ${JSON.stringify(unknown)} is not one dockerd knows`,
    );
  }
  if (source.startsWith('/')) {
    checkHostPath(rules, field, source, mode.split(',').includes('ro'));
    return;
  }
  if (!VOLUME_NAME.test(source)) {
    throw createRuleRefusal(
      'volumes',
      field,
      `${JSON.stringify(source)} is neither a host path nor a volume name`,
    );
  }
}

/**
 * The local driver's options mount a file system: `o=bind` (or `type=none`) with `device` binds a host
 * path; another `type` with a `device` mounts a block device or a network file system.
 */
export function checkLocalVolumeOptions(
  rules: CreateRules,
  field: string,
  options: DecodedObject | null | undefined,
  mountedReadOnly = false,
): void {
  if (!options) return;
  const type = typeof options.type === 'string' ? options.type : '';
  const o = typeof options.o === 'string' ? options.o.split(',').map((x) => x.trim()) : [];
  const device = typeof options.device === 'string' ? options.device : undefined;
  if (o.includes('bind') || o.includes('rbind') || type === 'none' || type === 'bind') {
    checkHostPath(rules, `${field}.device`, device ?? '', mountedReadOnly || o.includes('ro'));
    return;
  }
  if (type === 'tmpfs') return;
  if ((device !== undefined || type !== '') && !rules.devices) {
    throw createRuleRefusal(
      'devices',
      field,
      `a local volume of type ${JSON.stringify(type)} mounts a device or file system of the host`,
    );
  }
}

export function checkVolumeDriver(rules: CreateRules, field: string, driver: Decoded | undefined): void {
  if (typeof driver !== 'string' || driver === '' || driver === 'local') return;
  if (!rules.volumeDrivers.includes(driver)) {
    throw createRuleRefusal(
      'volumeDrivers',
      field,
      `the volume driver ${JSON.stringify(driver)} is not allowed`,
    );
  }
}

export function checkMount(rules: CreateRules, field: string, mount: Decoded): void {
  if (!isObject(mount)) return;
  const type = mount.Type;
  const source = typeof mount.Source === 'string' ? mount.Source : '';
  switch (type) {
    case 'bind': {
      const bind = isObject(mount.BindOptions) ? mount.BindOptions : null;
      // A read-only bind with ReadOnlyNonRecursive leaves the mounts below it writable.
      const readOnly = mount.ReadOnly === true && bind?.ReadOnlyNonRecursive !== true;
      checkHostPath(rules, `${field}.Source`, source, readOnly);
      return;
    }
    case 'volume': {
      const options = isObject(mount.VolumeOptions) ? mount.VolumeOptions : null;
      const driver = isObject(options?.DriverConfig) ? options.DriverConfig : null;
      checkVolumeDriver(rules, `${field}.VolumeOptions.DriverConfig.Name`, driver?.Name);
      if (driver?.Name === undefined || driver.Name === '' || driver.Name === 'local') {
        checkLocalVolumeOptions(
          rules,
          `${field}.VolumeOptions.DriverConfig.Options`,
          isObject(driver?.Options) ? driver.Options : null,
        );
      }
      return;
    }
    case 'tmpfs':
    case 'image':
      return;
    default:
      throw createRuleRefusal(
        'mounts',
        `${field}.Type`,
        `the mount type ${JSON.stringify(type)} is not one dockscope judges`,
      );
  }
}

/** A decoded volume create body: its driver and, for the local driver, its mount options. */
export function checkVolumeCreate(rules: CreateRules, body: DecodedObject): void {
  if (body.ClusterVolumeSpec !== undefined && !rules.swarm) {
    throw createRuleRefusal('swarm', 'ClusterVolumeSpec', 'cluster volumes are swarm objects');
  }
  checkVolumeDriver(rules, 'Driver', body.Driver);
  if (body.Driver === undefined || body.Driver === '' || body.Driver === 'local') {
    checkLocalVolumeOptions(rules, 'DriverOpts', isObject(body.DriverOpts) ? body.DriverOpts : null);
  }
}
