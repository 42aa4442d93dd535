import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { DockerApiError, withRule } from '../errors.ts';

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
  /**
   * `HostConfig.CgroupParent`: the container's cgroup made under a parent the client names, outside the
   * daemon's own (whose limits an administrator may rely on) or inside another container's (whose
   * limits it then shares: an out-of-memory kill there is the other's).
   */
  readonly cgroupParent: boolean;
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
  cgroupParent: false,
  fetch: false,
  swarm: false,
  plugins: false,
});

type CreateRuleName = keyof CreateRules | 'volumes' | 'mounts';

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

/**
 * `no-new-privileges` in each spelling the daemon reads that turns it on: only ever more confinement
 * (`=false` would undo a daemon-wide `no-new-privileges`).
 */
export const NO_NEW_PRIVILEGES = /^no-new-privileges(?:[:=]true)?$/;

const LOG_DRIVERS = new Set(['', 'json-file', 'local', 'none']);

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
export function checkLogOptions(field: string, driver: string, keys: readonly string[]): void {
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
