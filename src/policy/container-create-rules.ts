import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import type { CreateRules } from './create-rules.ts';
import {
  BUILTIN_NETWORK_MODES,
  checkCapabilities,
  checkDevices,
  checkHostNamespace,
  checkLogDriver,
  checkLogOptions,
  checkNetworkModeOptions,
  checkSysctls,
  createRuleRefusal,
  NAMESPACE_FIELDS,
  NO_NEW_PRIVILEGES,
} from './create-rules.ts';
import { checkBind, checkHostPath, checkMount, checkVolumeDriver, VOLUME_NAME } from './mount-rules.ts';
import { firstUnmasked } from './system-paths.ts';

const strings = (v: Decoded | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** A named volume a container would use: the caller checks the client may use it. */
export interface NamedVolume {
  readonly field: string;
  readonly name: string;
  /** How the daemon would create it if it does not exist (driver, its options, labels). */
  readonly driver?: string;
  readonly options?: DecodedObject;
  readonly labels?: DecodedObject;
  /** Mounted read-only (`:ro`, `ReadOnly: true`): how a bind-type volume's host path is judged. */
  readonly readOnly?: boolean;
  /** Mounted through a joined container (it exists: it is never created for the client). */
  readonly inherited?: boolean;
}

/** A user-defined network a container would join: by its mode, or by an endpoint's key. */
export interface NamedNetwork {
  readonly field: string;
  readonly name: string;
  readonly where: 'mode' | 'endpoint';
}

/** What a create names that only the daemon can judge: named volumes and user-defined networks. */
export interface Deferred {
  readonly volumes: NamedVolume[];
  readonly networks: NamedNetwork[];
}

function endpointsOf(body: DecodedObject): DecodedObject | null {
  return isObject(body.NetworkingConfig) && isObject(body.NetworkingConfig.EndpointsConfig)
    ? body.NetworkingConfig.EndpointsConfig
    : null;
}

/**
 * The named volumes and user-defined networks a create body names, read as the rules read them: for
 * the look-ups only the daemon can answer (who uses a volume, whose a network is).
 */
export function namedObjects(body: DecodedObject): Deferred {
  const deferred: Deferred = { volumes: [], networks: [] };
  for (const name of Object.keys(endpointsOf(body) ?? {})) {
    // The daemon knows its own networks by their exact names: `Bridge` is anyone's network.
    if (!BUILTIN_NETWORK_MODES.has(name)) {
      deferred.networks.push({
        field: `NetworkingConfig.EndpointsConfig[${JSON.stringify(name)}]`,
        name,
        where: 'endpoint',
      });
    }
  }
  const host = isObject(body.HostConfig) ? body.HostConfig : null;
  if (!host) return deferred;
  const H = 'HostConfig.';
  const mode = host.NetworkMode;
  if (typeof mode === 'string' && !mode.startsWith('container:') && !BUILTIN_NETWORK_MODES.has(mode)) {
    deferred.networks.push({ field: `${H}NetworkMode`, name: mode, where: 'mode' });
  }
  const volumeDriver =
    typeof host.VolumeDriver === 'string' && host.VolumeDriver !== '' ? host.VolumeDriver : undefined;
  for (const [i, entry] of strings(host.Binds).entries()) {
    const parts = entry.split(':');
    const source = parts[0] ?? '';
    if (parts.length >= 2 && !source.startsWith('/') && VOLUME_NAME.test(source)) {
      deferred.volumes.push({
        field: `${H}Binds[${i}]`,
        name: source,
        ...(volumeDriver ? { driver: volumeDriver } : {}),
        readOnly: (parts[2] ?? '').split(',').includes('ro'),
      });
    }
  }
  for (const [i, mount] of (Array.isArray(host.Mounts) ? host.Mounts : []).entries()) {
    if (
      !isObject(mount) ||
      mount.Type !== 'volume' ||
      typeof mount.Source !== 'string' ||
      mount.Source === ''
    )
      continue;
    const options = isObject(mount.VolumeOptions) ? mount.VolumeOptions : null;
    const driver = isObject(options?.DriverConfig) ? options.DriverConfig : null;
    deferred.volumes.push({
      field: `${H}Mounts[${i}].Source`,
      name: mount.Source,
      ...(typeof driver?.Name === 'string' && driver.Name !== '' ? { driver: driver.Name } : {}),
      ...(isObject(driver?.Options) ? { options: driver.Options } : {}),
      ...(isObject(options?.Labels) ? { labels: options.Labels } : {}),
      readOnly: mount.ReadOnly === true,
    });
  }
  return deferred;
}

/** Judges a decoded container create body (named volumes and networks: see `namedObjects`). */
export function checkContainerCreate(rules: CreateRules, body: DecodedObject): void {
  for (const name of Object.keys(endpointsOf(body) ?? {})) {
    const field = `NetworkingConfig.EndpointsConfig[${JSON.stringify(name)}]`;
    if (name.toLowerCase() === 'host') checkHostNamespace(rules, 'network', field);
  }
  const host = isObject(body.HostConfig) ? body.HostConfig : null;
  if (!host) return;
  const H = 'HostConfig.';
  if (host.Privileged === true && !rules.privileged) {
    throw createRuleRefusal(
      'privileged',
      `${H}Privileged`,
      'a privileged container has every device and capability of the host',
    );
  }
  for (const [key, ns] of NAMESPACE_FIELDS) {
    const mode = host[key];
    if (typeof mode !== 'string') continue;
    // The daemon compares with "host" exactly; any other case is no mode it knows, refused alike.
    if (mode.toLowerCase() === 'host') checkHostNamespace(rules, ns, `${H}${key}`);
    // Podman reads `ns:<path>` in every one of these fields as "join the namespace at this path",
    // the host's (`ns:/proc/1/ns/pid`, measured) or a hidden container's; dockerd refuses the
    // spelling. Refused whatever the rules allow: a path can name any namespace.
    if (mode.trimStart().toLowerCase().startsWith('ns:')) {
      throw createRuleRefusal(
        'hostNamespaces',
        `${H}${key}`,
        `it joins the ${ns} namespace at a path of the host (Podman's "ns:" mode)`,
      );
    }
  }
  checkNetworkModeOptions(rules, host.NetworkMode);
  for (const [i, entry] of strings(host.Binds).entries()) checkBind(rules, `${H}Binds[${i}]`, entry);
  if (Array.isArray(host.Mounts)) {
    for (const [i, mount] of host.Mounts.entries()) checkMount(rules, `${H}Mounts[${i}]`, mount);
  }
  checkVolumeDriver(rules, `${H}VolumeDriver`, host.VolumeDriver);
  checkDevices(rules, host, H);
  const log = isObject(host.LogConfig) ? host.LogConfig : null;
  checkLogDriver(rules, `${H}LogConfig.Type`, typeof log?.Type === 'string' ? log.Type : '');
  checkLogOptions(
    `${H}LogConfig.Config`,
    typeof log?.Type === 'string' ? log.Type : '',
    isObject(log?.Config) ? Object.keys(log.Config) : [],
  );
  const runtime = typeof host.Runtime === 'string' ? host.Runtime : '';
  if (runtime !== '' && runtime !== 'runc' && !rules.runtimes.includes(runtime)) {
    throw createRuleRefusal(
      'runtimes',
      `${H}Runtime`,
      `the runtime ${JSON.stringify(runtime)} is not allowed`,
    );
  }
  if (isObject(host.Annotations) && Object.keys(host.Annotations).length > 0 && !rules.annotations) {
    throw createRuleRefusal('annotations', `${H}Annotations`, 'OCI annotations reach the runtime');
  }
  if (typeof host.CgroupParent === 'string' && host.CgroupParent !== '' && !rules.cgroupParent) {
    throw createRuleRefusal(
      'cgroupParent',
      `${H}CgroupParent`,
      "it puts the container's cgroup under a parent of the client's choosing (outside the daemon's, or in another container's)",
    );
  }
  checkCapabilities(rules, `${H}CapAdd`, strings(host.CapAdd));
  // A 19.03 daemon gives exactly `Capabilities` (the default set replaced): each must be allowed.
  checkCapabilities(rules, `${H}Capabilities`, strings(host.Capabilities));
  // A 1.13 daemon binds this host file into the container as its init.
  if (typeof host.InitPath === 'string' && host.InitPath !== '') {
    checkHostPath(rules, `${H}InitPath`, host.InitPath, true);
  }
  for (const opt of strings(host.SecurityOpt)) {
    if (NO_NEW_PRIVILEGES.test(opt) || rules.securityOpt.includes(opt)) continue;
    throw createRuleRefusal(
      'securityOpt',
      `${H}SecurityOpt`,
      `the security option ${JSON.stringify(opt.length > 64 ? `${opt.slice(0, 64)}...` : opt)} is not one this client may set`,
    );
  }
  // `--security-opt systempaths=unconfined` arrives as empty MaskedPaths and ReadonlyPaths: the
  // daemon then masks nothing in /proc and /sys. A list that keeps every default path passes (a
  // recreate from an inspect sends the daemon's own list: system-paths.ts).
  for (const key of ['MaskedPaths', 'ReadonlyPaths'] as const) {
    if (host[key] === undefined || rules.securityOpt.includes('systempaths=unconfined')) continue;
    const left = firstUnmasked(key, host[key]);
    if (left !== null) {
      throw createRuleRefusal(
        'securityOpt',
        `${H}${key}`,
        `it changes which host paths are masked (systempaths): it leaves out ${left}`,
      );
    }
  }
  if (isObject(host.Sysctls)) checkSysctls(rules, `${H}Sysctls`, Object.keys(host.Sysctls));
}
