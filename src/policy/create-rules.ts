import { posix } from 'node:path';
import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isDecodedObject as isObject } from '../body/go-decode.ts';
import { DockerApiError, withRule } from '../errors.ts';
import { firstUnmasked } from './system-paths.ts';

/**
 * Create rules: what a client may ask the daemon to give a container beyond the container itself.
 * Each of these is a way out to the host (a privileged container, the host's namespaces, a host path,
 * a device, a capability, unconfined security options, a host sysctl) or into another client's data
 * (a named volume). With rules in force every way out is refused unless the client's rules allow it.
 */
export const HOST_NAMESPACES = ['network', 'pid', 'ipc', 'uts', 'userns', 'cgroupns'] as const;
export type HostNamespace = (typeof HOST_NAMESPACES)[number];

export interface HostPathRule {
  /** An absolute, clean path: binds of it and of everything under it are allowed. */
  readonly path: string;
  /** Only read-only binds. */
  readonly readOnly: boolean;
}

export interface CreateRules {
  readonly privileged: boolean;
  readonly hostNamespaces: readonly HostNamespace[];
  readonly hostPaths: readonly HostPathRule[];
  readonly devices: boolean;
  /** Capabilities that may be added, as `CAP_NAME` (or `ALL`). */
  readonly capAdd: readonly string[];
  /** Security options allowed besides `no-new-privileges`, exactly as written. */
  readonly securityOpt: readonly string[];
  /** Sysctl keys that may be set; an entry ending in `*` allows every key it starts. */
  readonly sysctls: readonly string[];
  /** Volume drivers besides `local`. */
  readonly volumeDrivers: readonly string[];
  /**
   * Network and IPAM drivers besides `bridge` and `default`. The daemon loads a driver it does not
   * know as a plugin, even from a path (`../../x`), so driver names are never free.
   */
  readonly networkDrivers: readonly string[];
  /** Logging drivers besides `json-file`, `local` and `none` (others send output over the host's network). */
  readonly logDrivers: readonly string[];
  /** OCI runtimes besides the default (`runc`). */
  readonly runtimes: readonly string[];
  /** OCI annotations on containers (`HostConfig.Annotations`: the runtime reads some of them). */
  readonly annotations: boolean;
  /** Letting the daemon fetch a URL from the host's network: `/build?remote=`, `/images/create?fromSrc=`. */
  readonly fetch: boolean;
  /** Swarm services, joining or making a swarm (services run containers dockscope never sees). */
  readonly swarm: boolean;
  /** Installing, upgrading, configuring or enabling plugins (plugins run with host privileges). */
  readonly plugins: boolean;
}

/** Rules in force that allow no way out: the default whenever a client's containers are restricted. */
export const NO_WAY_OUT: CreateRules = Object.freeze({
  privileged: false,
  hostNamespaces: [],
  hostPaths: [],
  devices: false,
  capAdd: [],
  securityOpt: [],
  sysctls: [],
  volumeDrivers: [],
  networkDrivers: [],
  logDrivers: [],
  runtimes: [],
  annotations: false,
  fetch: false,
  swarm: false,
  plugins: false,
});

export type CreateRuleName = keyof CreateRules | 'volumes' | 'mounts';

/** The refusal: 403, naming the rule and the field so that the user knows what to change. */
export function createRuleRefusal(rule: CreateRuleName, field: string, what: string): DockerApiError {
  return withRule(
    new DockerApiError(403, `dockscope: create rule "${rule}" refuses ${field}: ${what}`, 'refused'),
    `create rule ${rule}`,
  );
}

/** `sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are one capability to the daemon (oci.NormalizeLegacyCapabilities). */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

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

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The modes of a `Binds` entry the daemon's Linux parser knows (volume/mounts/parser_linux.go). */
const BIND_MODES: ReadonlySet<string> = new Set([
  ...['rw', 'ro', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'],
  ...['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'],
]);

/**
 * A `Binds` entry as the daemon's Linux parser reads it: `dst`, `src:dst` or `src:dst:mode`. A source
 * starting with `/` is a host path, anything else a volume name.
 */
function checkBind(rules: CreateRules, field: string, entry: string): void {
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

/**
 * `no-new-privileges` in each spelling the daemon reads that turns it on: only ever more confinement
 * (`=false` would undo a daemon-wide `no-new-privileges`).
 */
export const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=]true)?$/;

const LOG_DRIVERS = new Set(['', 'json-file', 'local', 'none']);
const NETWORK_DRIVERS = new Set(['', 'bridge']);
const IPAM_DRIVERS = new Set(['', 'default']);
/** Network options that attach a network to an existing interface or bridge of the host. */
const HOST_INTERFACE_OPTIONS = ['com.docker.network.bridge.name', 'parent'];

/** A decoded network create body: its drivers and the options that reach host interfaces. */
export function checkNetworkCreate(rules: CreateRules, body: DecodedObject): void {
  const driver = typeof body.Driver === 'string' ? body.Driver : '';
  if (!NETWORK_DRIVERS.has(driver) && !rules.networkDrivers.includes(driver)) {
    throw createRuleRefusal(
      'networkDrivers',
      'Driver',
      `the network driver ${JSON.stringify(driver)} is not allowed`,
    );
  }
  const ipam = isObject(body.IPAM) ? body.IPAM : null;
  const ipamDriver = typeof ipam?.Driver === 'string' ? ipam.Driver : '';
  if (!IPAM_DRIVERS.has(ipamDriver) && !rules.networkDrivers.includes(ipamDriver)) {
    throw createRuleRefusal(
      'networkDrivers',
      'IPAM.Driver',
      `the IPAM driver ${JSON.stringify(ipamDriver)} is not allowed`,
    );
  }
  const options = isObject(body.Options) ? body.Options : null;
  for (const key of HOST_INTERFACE_OPTIONS) {
    if (options?.[key] !== undefined && !rules.networkDrivers.includes(driver)) {
      throw createRuleRefusal(
        'networkDrivers',
        `Options[${JSON.stringify(key)}]`,
        'it attaches the network to an existing interface of the host',
      );
    }
  }
}

/** The namespace modes of HostConfig: `host` joins the host's. */
export const NAMESPACE_FIELDS: readonly [string, HostNamespace][] = [
  ['NetworkMode', 'network'],
  ['PidMode', 'pid'],
  ['IpcMode', 'ipc'],
  ['UTSMode', 'uts'],
  ['UsernsMode', 'userns'],
  ['CgroupnsMode', 'cgroupns'],
];

/** Network modes that are no user-defined network (`container:` modes are judged as references). */
export const BUILTIN_NETWORK_MODES: ReadonlySet<string> = new Set(['', 'default', 'bridge', 'none', 'host']);

export function checkHostNamespace(rules: CreateRules, ns: HostNamespace, field: string): void {
  if (!rules.hostNamespaces.includes(ns)) {
    throw createRuleRefusal('hostNamespaces', field, `it joins the host's ${ns} namespace`);
  }
}

/** Device fields of HostConfig and of an update's resources. */
export function checkDevices(rules: CreateRules, host: DecodedObject, at: string): void {
  if (rules.devices) return;
  for (const key of ['Devices', 'DeviceCgroupRules', 'DeviceRequests']) {
    const value = host[key];
    if (Array.isArray(value) && value.length > 0) {
      throw createRuleRefusal('devices', `${at}${key}`, "it gives the container the host's devices");
    }
  }
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

/**
 * Podman reads a network mode with options, `<mode>:<options>`, and its own modes `slirp4netns` and
 * `pasta`: `slirp4netns:allow_host_loopback=true` reaches the host's loopback (measured on 4.3: a
 * listener on 127.0.0.1, which may be the socket proxy), containers.conf's network_cmd_options can
 * turn that on for the bare mode, and pasta maps its gateway to the host by default. No Docker
 * network name holds a ':' (`container:` is judged as a reference, `ns:` above), so such a mode is
 * refused unless the client may use the host's network.
 */
export function checkNetworkModeOptions(
  rules: CreateRules,
  mode: Decoded | undefined,
  field = 'HostConfig.NetworkMode',
): void {
  if (typeof mode !== 'string' || rules.hostNamespaces.includes('network')) return;
  const [name = ''] = mode.split(':', 1);
  if ((mode.includes(':') && name !== 'container') || name === 'slirp4netns' || name === 'pasta') {
    throw createRuleRefusal(
      'hostNamespaces',
      field,
      `Podman reads ${JSON.stringify(mode.length > 64 ? `${mode.slice(0, 64)}...` : mode)} as a network mode of its own, which may reach the host's network`,
    );
  }
}

/** A logging driver other than the built-in local ones sends output from the host's network. */
export function checkLogDriver(rules: CreateRules, field: string, driver: string): void {
  if (!LOG_DRIVERS.has(driver) && !rules.logDrivers.includes(driver)) {
    throw createRuleRefusal(
      'logDrivers',
      field,
      `the logging driver ${JSON.stringify(driver)} is not allowed`,
    );
  }
}

/** The options dockerd's json-file and local drivers take, and those of every driver (mode, buffer). */
const LOG_OPTIONS: ReadonlySet<string> = new Set([
  ...['max-size', 'max-file', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'],
  ...['mode', 'max-buffer-size'],
]);

/**
 * Podman reads the log option `path` (in any letter case, and in a key `path=…`: it joins each option
 * as `key=value` and splits it again at the first `=`) as the file the container's output is written
 * to, on the host, as root: measured on 4.3 with json-file and the default driver. dockerd refuses any
 * option its built-in drivers do not know, so for those only dockerd's options pass; for a driver the
 * rules allow, only `path` is refused.
 */
function checkLogOptions(field: string, driver: string, keys: readonly string[]): void {
  for (const key of keys) {
    const name = (key.split('=', 1)[0] ?? '').trim().toLowerCase();
    const builtin = LOG_DRIVERS.has(driver);
    if (builtin ? LOG_OPTIONS.has(key) : name !== 'path') continue;
    throw createRuleRefusal(
      'logDrivers',
      field,
      `the log option ${JSON.stringify(key.length > 64 ? `${key.slice(0, 64)}...` : key)} is not allowed (${builtin ? "dockerd's built-in drivers do not take it" : 'Podman writes the output to that path of the host'})`,
    );
  }
}

/** Added capabilities, in any spelling the daemon reads (normalizeCapability). */
export function checkCapabilities(rules: CreateRules, field: string, caps: readonly string[]): void {
  const allowed = new Set(rules.capAdd.map(normalizeCapability));
  for (const cap of caps) {
    const normal = normalizeCapability(cap);
    if (!allowed.has(normal) && !allowed.has('ALL')) {
      throw createRuleRefusal('capAdd', field, `the capability ${normal} is not one this client may add`);
    }
  }
}

export function checkSysctls(rules: CreateRules, field: string, keys: readonly string[]): void {
  for (const key of keys) {
    const allowed = rules.sysctls.some((s) => (s.endsWith('*') ? key.startsWith(s.slice(0, -1)) : key === s));
    if (!allowed) {
      throw createRuleRefusal(
        'sysctls',
        field,
        `the sysctl ${JSON.stringify(key)} is not one this client may set`,
      );
    }
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
