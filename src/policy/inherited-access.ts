import type { DecodedObject } from '../body/go-decode.ts';
import type { NamedVolume } from './container-create-rules.ts';
import { isObject } from './container-facts.ts';
import type { CreateRules, HostNamespace } from './create-rules.ts';
import {
  checkHostNamespace,
  checkNetworkModeOptions,
  createRuleRefusal,
  NAMESPACE_FIELDS,
  NO_NEW_PRIVILEGES,
  normalizeCapability,
} from './create-rules.ts';
import { checkHostPath, checkLocalVolumeOptions } from './mount-rules.ts';

/**
 * What a create gets from what already exists (issue #19, "judge every byte the daemon reads"): the
 * containers it joins, and the stored driver and options of the named volumes it mounts. The create
 * rules judge the request's own fields; a join or an existing volume brings the host access of
 * something the client did not write, so it is judged as if the client had asked for it.
 */

/** The ways a create joins another container: `container:` modes and `VolumesFrom` (links are no access). */
export type JoinKind = 'network' | 'pid' | 'ipc' | 'cgroup' | 'volumes';

/** The HostConfig key a namespace join is written in, and the `host` mode that key can carry. */
const NAMESPACE_JOINS: Readonly<
  Record<Exclude<JoinKind, 'volumes'>, readonly [string, string, HostNamespace]>
> = {
  network: ['NetworkMode', 'NetworkMode', 'network'],
  pid: ['PidMode', 'PidMode', 'pid'],
  ipc: ['IpcMode', 'IpcMode', 'ipc'],
  // `Cgroup: container:x` joins x's cgroup; whether that cgroup is the host's is x's CgroupnsMode.
  cgroup: ['Cgroup', 'CgroupnsMode', 'cgroupns'],
};

export const CONTAINER_MODE = 'container:';

/** The reference in `container:<ref>` (the daemon splits at the first colon), or null for other modes. */
export function containerModeRef(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith(CONTAINER_MODE)) return null;
  return value.slice(CONTAINER_MODE.length);
}

/**
 * A `VolumesFrom` entry as the daemon's Linux parser reads it (ParseVolumesFrom, ReadWrite): `ref` or
 * `ref:mode`, split at the first colon; the mounts become read-only when a comma-separated part of the
 * mode is `ro`. An invalid mode is the daemon's to refuse.
 */
export function parseVolumesFrom(entry: string): { readonly ref: string; readonly readOnly: boolean } {
  const colon = entry.indexOf(':');
  if (colon === -1) return { ref: entry, readOnly: false };
  return {
    ref: entry.slice(0, colon),
    readOnly: entry
      .slice(colon + 1)
      .split(',')
      .includes('ro'),
  };
}

/** A joined container as its inspect answer shows it. */
export interface JoinedContainer {
  readonly name: string;
  readonly hostConfig: Readonly<Record<string, unknown>>;
  /** Inspect's `Mounts`: every mount point, those it got through its own `VolumesFrom` included. */
  readonly mounts: readonly unknown[];
}

/** The joined container of an inspect answer, or null when the answer is not one (unknown: refused). */
export function joinedContainer(inspect: unknown): JoinedContainer | null {
  if (!isObject(inspect) || !isObject(inspect.HostConfig) || typeof inspect.Name !== 'string') return null;
  const mounts = inspect.Mounts ?? [];
  if (!Array.isArray(mounts)) return null;
  return { name: inspect.Name.replace(/^\//, ''), hostConfig: inspect.HostConfig, mounts };
}

/** The container whose namespace a joined container itself shares (`container:<ref>`), for chains. */
export function nextInChain(joined: JoinedContainer, kind: JoinKind): string | null {
  if (kind === 'volumes') return null; // its own VolumesFrom are already among its Mounts
  return containerModeRef(joined.hostConfig[NAMESPACE_JOINS[kind][0]]);
}

const nonEmpty = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

/**
 * Whether a bind keeps writable mounts below it although read-only: `ReadOnlyNonRecursive` is in the
 * spec the daemon keeps (HostConfig.Mounts), not in inspect's mount points, and `VolumesFrom` copies
 * the spec along.
 */
function nonRecursive(hostConfig: Readonly<Record<string, unknown>>, destination: unknown): boolean {
  const specs = Array.isArray(hostConfig.Mounts) ? hostConfig.Mounts : [];
  return specs.some(
    (m) =>
      isObject(m) &&
      m.Target === destination &&
      isObject(m.BindOptions) &&
      m.BindOptions.ReadOnlyNonRecursive === true,
  );
}

/**
 * Judges a joined container (or one further along its chain) by the rules the client's own create
 * is judged by: privilege, devices, added capabilities and host paths are refused when the rules would
 * refuse them in the request, and so is the host namespace the join shares. `readOnly`: the join makes
 * every mount read-only (`VolumesFrom` with `:ro`), as the daemon's `m.RW && ReadWrite(mode)` does.
 * Returns the named volumes it mounts: whose they are and what they are stored as only the daemon
 * can tell (judged as the create's own named volumes are).
 */
export function checkJoined(
  rules: CreateRules,
  at: string,
  joined: JoinedContainer,
  kind: JoinKind,
  readOnly: boolean,
): NamedVolume[] {
  const host = joined.hostConfig;
  const its = (key: string) => `${at} ${key}`;
  if (kind !== 'volumes') {
    const [, hostKey, ns] = NAMESPACE_JOINS[kind];
    const mode = host[hostKey];
    if (typeof mode === 'string' && mode.toLowerCase() === 'host') {
      checkHostNamespace(rules, ns, its(`HostConfig.${hostKey}`));
    }
    // Podman's own modes, as its inspect shows them (`slirp4netns` without its options, measured):
    // the joined namespace may be the host's, or reach its loopback, as a create of them would.
    if (typeof mode === 'string' && mode.trimStart().toLowerCase().startsWith('ns:')) {
      throw createRuleRefusal(
        'hostNamespaces',
        its(`HostConfig.${hostKey}`),
        `it joins a container in the ${ns} namespace at a path of the host (Podman's "ns:" mode)`,
      );
    }
    if (kind === 'network' && typeof mode === 'string') {
      checkNetworkModeOptions(rules, mode, its('HostConfig.NetworkMode'));
    }
  }
  // A pid join can ptrace the joined container's processes (same user, same capabilities; the default
  // seccomp and AppArmor profiles allow it between peers), and so act with everything it has.
  if (kind === 'pid') checkWholeContainer(rules, its, host);
  if (host.Privileged === true && !rules.privileged) {
    throw createRuleRefusal(
      'privileged',
      its('HostConfig.Privileged'),
      'it joins a privileged container, which has every device and capability of the host',
    );
  }
  if (!rules.devices) {
    for (const key of ['Devices', 'DeviceCgroupRules', 'DeviceRequests']) {
      if (nonEmpty(host[key])) {
        throw createRuleRefusal(
          'devices',
          its(`HostConfig.${key}`),
          "it joins a container with the host's devices",
        );
      }
    }
  }
  const allowedCaps = new Set(rules.capAdd.map(normalizeCapability));
  for (const cap of Array.isArray(host.CapAdd) ? host.CapAdd : []) {
    if (typeof cap !== 'string') continue;
    const normal = normalizeCapability(cap);
    if (!allowedCaps.has(normal) && !allowedCaps.has('ALL')) {
      throw createRuleRefusal(
        'capAdd',
        its('HostConfig.CapAdd'),
        `it joins a container with the capability ${normal}, which this client may not add`,
      );
    }
  }
  const volumes: NamedVolume[] = [];
  for (const [i, mount] of joined.mounts.entries()) {
    const field = its(`Mounts[${i}]`);
    if (!isObject(mount)) throw createRuleRefusal('mounts', field, 'a mount point dockscope cannot read');
    const mountReadOnly = readOnly || mount.RW !== true;
    switch (mount.Type) {
      case 'bind':
        checkHostPath(
          rules,
          `${field}.Source`,
          typeof mount.Source === 'string' ? mount.Source : '',
          mountReadOnly && !nonRecursive(host, mount.Destination),
        );
        break;
      case 'volume':
        if (typeof mount.Name !== 'string' || mount.Name === '') {
          throw createRuleRefusal('mounts', field, 'a volume mount point without a name');
        }
        volumes.push({ field: `${field}.Name`, name: mount.Name, readOnly: mountReadOnly, inherited: true });
        break;
      case 'tmpfs':
      case 'image':
        break;
      default:
        throw createRuleRefusal(
          'mounts',
          `${field}.Type`,
          `the mount type ${JSON.stringify(mount.Type)} is not one dockscope judges`,
        );
    }
  }
  return volumes;
}

/**
 * What a pid join reaches beyond the pid namespace: every host namespace of the joined container, its
 * security options (an unconfined seccomp or AppArmor profile, `label=disable`), unmasked system paths
 * (`systempaths=unconfined` stores them empty) and its runtime. Its `container:` modes are followed by
 * the caller (decide-joins.ts).
 */
function checkWholeContainer(
  rules: CreateRules,
  its: (key: string) => string,
  host: Readonly<Record<string, unknown>>,
): void {
  for (const [key, ns] of NAMESPACE_FIELDS) {
    // The host's cgroup namespace is the daemon's default on cgroup v1 hosts, so every container an
    // administrator made has it; it shows cgroup paths, not the host's cgroups (those are mounted for
    // the container's own cgroup only, read-only), so it is no reason to refuse a pid join.
    if (ns === 'cgroupns') continue;
    const mode = host[key];
    if (typeof mode === 'string' && mode.toLowerCase() === 'host')
      checkHostNamespace(rules, ns, its(`HostConfig.${key}`));
  }
  for (const opt of Array.isArray(host.SecurityOpt) ? host.SecurityOpt : []) {
    if (typeof opt !== 'string' || NO_NEW_PRIVILEGES.test(opt) || rules.securityOpt.includes(opt)) continue;
    throw createRuleRefusal(
      'securityOpt',
      its('HostConfig.SecurityOpt'),
      `it joins a container with the security option ${JSON.stringify(opt.length > 64 ? `${opt.slice(0, 64)}...` : opt)}`,
    );
  }
  for (const key of ['MaskedPaths', 'ReadonlyPaths']) {
    const paths = host[key];
    if (Array.isArray(paths) && paths.length === 0 && !rules.securityOpt.includes('systempaths=unconfined')) {
      throw createRuleRefusal(
        'securityOpt',
        its(`HostConfig.${key}`),
        'it joins a container whose system paths are not masked',
      );
    }
  }
  const runtime = typeof host.Runtime === 'string' ? host.Runtime : '';
  if (runtime !== '' && runtime !== 'runc' && !rules.runtimes.includes(runtime)) {
    throw createRuleRefusal(
      'runtimes',
      its('HostConfig.Runtime'),
      `it joins a container of the runtime ${JSON.stringify(runtime)}`,
    );
  }
}

/** The other namespaces a pid join reaches through the joined container's own `container:` modes. */
export function alsoJoined(
  joined: JoinedContainer,
  kind: JoinKind,
): { readonly kind: JoinKind; readonly ref: string }[] {
  if (kind !== 'pid') return [];
  const out: { kind: JoinKind; ref: string }[] = [];
  for (const other of ['network', 'ipc'] as const) {
    const ref = containerModeRef(joined.hostConfig[NAMESPACE_JOINS[other][0]]);
    if (ref !== null) out.push({ kind: other, ref });
  }
  return out;
}

/**
 * The refusal for a chain dockscope cannot follow: a joined container shares the namespace of one the
 * client may not see, or of one that is gone (its namespace lives on, and nothing says whose it was).
 * The same words for both, so that the answer tells nothing about a hidden container.
 */
export function unjudgedChain(at: string, kind: JoinKind) {
  const ns = kind === 'volumes' ? 'mount' : NAMESPACE_JOINS[kind][2];
  return createRuleRefusal(
    'hostNamespaces',
    at,
    `it shares the ${ns} namespace of a container this client may not see or that is gone, which dockscope cannot judge`,
  );
}

/** A volume as the daemon stores it (`GET /volumes/{name}`). */
export interface StoredVolume {
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
}

/**
 * An existing named volume is mounted as it was created, whatever the create says: an administrator's
 * `local` volume with `o=bind,device=/host/dir` binds that host path into the container (read-only if
 * the mount is), one of `type=nfs` or a block device mounts that; a volume of another driver needs
 * that driver allowed, as a create naming it would.
 */
export function checkStoredVolume(
  rules: CreateRules,
  field: string,
  name: string,
  stored: StoredVolume,
  mountedReadOnly: boolean,
): void {
  const at = `${field}, volume ${JSON.stringify(name)}`;
  if (stored.driver !== 'local') {
    if (!rules.volumeDrivers.includes(stored.driver)) {
      throw createRuleRefusal(
        'volumeDrivers',
        `${at} Driver`,
        `the volume is of the driver ${JSON.stringify(stored.driver)}, which is not allowed`,
      );
    }
    return;
  }
  const options: DecodedObject = {};
  for (const [k, v] of Object.entries(stored.options)) options[k] = v;
  checkLocalVolumeOptions(rules, `${at} Options`, options, mountedReadOnly);
}
