import type { Schema } from './go-decode.ts';
import { any, arrayOf, bool, mapOf, string, strSlice, struct } from './go-decode.ts';

/**
 * The daemon's request-body types (moby api/types, API 1.24 to 1.51), as far as dockscope reads them.
 * Every field any daemon of those versions knows is listed (audited against the moby tags v1.12.6 to
 * v28.5.2, issue #20), so a key is either a known field (matched as Go matches it) or one no such
 * daemon reads, which is dropped (body-rules.ts); fields dockscope judges have a type, the rest are
 * `any` and pass on as sent. docker-py's exec `Container` is in no version: the daemon ignores it.
 */

const stringList = arrayOf(string);

/** container.Resources: embedded in HostConfig and UpdateConfig, so its fields sit at their level. */
const RESOURCES: Readonly<Record<string, Schema>> = {
  ...Object.fromEntries(
    [
      'CpuShares',
      'Memory',
      'NanoCpus',
      'BlkioWeight',
      'BlkioWeightDevice',
      'BlkioDeviceReadBps',
      'BlkioDeviceWriteBps',
      'BlkioDeviceReadIOps',
      'BlkioDeviceWriteIOps',
      'CpuPeriod',
      'CpuQuota',
      'CpuRealtimePeriod',
      'CpuRealtimeRuntime',
      'CpusetCpus',
      'CpusetMems',
      'KernelMemory',
      'KernelMemoryTCP',
      'MemoryReservation',
      'MemorySwap',
      'MemorySwappiness',
      'OomKillDisable',
      'PidsLimit',
      'Ulimits',
      'CpuCount',
      'CpuPercent',
      'IOMaximumIOps',
      'IOMaximumBandwidth',
      // Up to Docker 18.09 (API 1.39): a storage quota.
      'DiskQuota',
    ].map((name) => [name, any]),
  ),
  // Judged by the create rules (cgroupParent): a string, as the daemon decodes it.
  CgroupParent: string,
  // Judged by the create rules (devices): only whether any is asked for.
  Devices: arrayOf(any),
  DeviceCgroupRules: arrayOf(string),
  DeviceRequests: arrayOf(any),
};

const anyFields = (...names: string[]): Record<string, Schema> =>
  Object.fromEntries(names.map((name) => [name, any]));

const ENDPOINT_SETTINGS = struct('EndpointSettings', {
  ...anyFields(
    'IPAMConfig',
    'Aliases',
    'DriverOpts',
    'GwPriority',
    'MacAddress',
    'NetworkID',
    'EndpointID',
    'Gateway',
    'IPAddress',
    'IPPrefixLen',
    'IPv6Gateway',
    'GlobalIPv6Address',
    'GlobalIPv6PrefixLen',
    'DNSNames',
  ),
  /** Legacy links `name:alias`: they name containers. */
  Links: stringList,
});

/**
 * mount.Mount: `--mount` entries. What may reach the host (bind sources, volume drivers) is typed, and
 * so is each field Podman writes into its mount text (policy/mount-text.ts).
 */
export const MOUNT = struct('Mount', {
  ...anyFields('ImageOptions', 'TmpfsOptions', 'ClusterOptions'),
  Type: string,
  Source: string,
  Target: string,
  Consistency: string,
  ReadOnly: bool,
  BindOptions: struct('BindOptions', {
    ...anyFields('NonRecursive', 'CreateMountpoint', 'ReadOnlyForceRecursive'),
    Propagation: string,
    ReadOnlyNonRecursive: bool,
  }),
  VolumeOptions: struct('VolumeOptions', {
    ...anyFields('NoCopy', 'Subpath'),
    Labels: mapOf(string),
    DriverConfig: struct('Driver', { Name: string, Options: mapOf(string) }),
  }),
});

export const HOST_CONFIG_FIELDS: Readonly<Record<string, Schema>> = {
  ...anyFields(
    'ContainerIDFile',
    'PortBindings',
    'RestartPolicy',
    'AutoRemove',
    'ConsoleSize',
    'CapDrop',
    'Dns',
    'DnsOptions',
    'DnsSearch',
    'ExtraHosts',
    'GroupAdd',
    'OomScoreAdj',
    'PublishAllPorts',
    'ReadonlyRootfs',
    'StorageOpt',
    'Tmpfs',
    'ShmSize',
    'Isolation',
    'Init',
  ),
  // What the create rules judge (policy/create-rules.ts).
  LogConfig: struct('LogConfig', { Type: string, Config: mapOf(string) }),
  Runtime: string,
  Annotations: mapOf(string),
  Privileged: bool,
  Binds: stringList,
  Mounts: arrayOf(MOUNT),
  VolumeDriver: string,
  CapAdd: strSlice,
  // Docker 19.03 (API 1.40) only: the capability set itself, replacing the default one (judged as CapAdd).
  Capabilities: stringList,
  // Docker 1.13 (API 1.25/1.26) only: a host binary bound into the container as its init (a host path).
  InitPath: string,
  SecurityOpt: stringList,
  MaskedPaths: stringList,
  ReadonlyPaths: stringList,
  Sysctls: mapOf(string),
  UTSMode: string,
  UsernsMode: string,
  CgroupnsMode: string,
  ...RESOURCES,
  // Modes that may name another container (`container:<ref>`), and the lists that always do.
  NetworkMode: string,
  PidMode: string,
  IpcMode: string,
  Cgroup: string,
  VolumesFrom: stringList,
  Links: stringList,
};

export const HOST_CONFIG = struct('HostConfig', HOST_CONFIG_FIELDS);

/** container.Config: embedded in the create body, so its fields are the body's top level. */
export const CONFIG_FIELDS: Readonly<Record<string, Schema>> = {
  ...anyFields(
    'Hostname',
    'Domainname',
    'User',
    'AttachStdin',
    'AttachStdout',
    'AttachStderr',
    'ExposedPorts',
    'Tty',
    'OpenStdin',
    'StdinOnce',
    'Env',
    'Cmd',
    'Healthcheck',
    'ArgsEscaped',
    'Image',
    'Volumes',
    'WorkingDir',
    'Entrypoint',
    'NetworkDisabled',
    'MacAddress',
    'OnBuild',
    'StopSignal',
    'StopTimeout',
    'Shell',
  ),
  Labels: mapOf(string),
};

export const NETWORKING_CONFIG = struct('NetworkingConfig', { EndpointsConfig: mapOf(ENDPOINT_SETTINGS) });

/** `POST /containers/create`: runconfig's ContainerConfigWrapper. */
export const CONTAINER_CREATE = struct('the container create body', {
  ...CONFIG_FIELDS,
  HostConfig: HOST_CONFIG,
  NetworkingConfig: NETWORKING_CONFIG,
});

/** `POST /commit`: the container.Config of the new image (optional). */
export const COMMIT_CONFIG = struct('the commit body', CONFIG_FIELDS);

/** `POST /containers/{id}/update`: container.UpdateConfig. */
export const CONTAINER_UPDATE = struct('the container update body', {
  ...RESOURCES,
  RestartPolicy: any,
});

/** `POST /containers/{id}/exec`: ExecConfig / ExecOptions. */
export const EXEC_CREATE = struct('the exec create body', {
  ...anyFields(
    'User',
    'Tty',
    'ConsoleSize',
    'AttachStdin',
    'AttachStderr',
    'AttachStdout',
    'Detach',
    'DetachKeys',
    'Env',
    'WorkingDir',
    'Cmd',
  ),
  Privileged: bool,
});

/** `POST /volumes/create`: volume.CreateOptions (VolumeCreateBody up to API 1.41). */
export const VOLUME_CREATE = struct('the volume create body', {
  Name: string,
  Driver: string,
  DriverOpts: mapOf(string),
  Labels: mapOf(string),
  ClusterVolumeSpec: any,
});

/** `POST /networks/create`: NetworkCreateRequest. */
export const NETWORK_CREATE = struct('the network create body', {
  ...anyFields(
    'CheckDuplicate',
    'Scope',
    'EnableIPv4',
    'EnableIPv6',
    'Internal',
    'Attachable',
    'Ingress',
    'ConfigOnly',
  ),
  ConfigFrom: struct('ConfigReference', { Network: string }),
  Name: string,
  Driver: string,
  IPAM: struct('IPAM', { Driver: string, ...anyFields('Config', 'Options') }),
  Options: mapOf(string),
  Labels: mapOf(string),
});

/** `POST /containers/{id}/checkpoints`: CheckpointCreateOptions. */
export const CHECKPOINT_CREATE = struct('the checkpoint create body', {
  CheckpointID: any,
  CheckpointDir: string,
  Exit: any,
});

/** `POST /networks/{id}/connect`: NetworkConnect. */
export const NETWORK_CONNECT = struct('the network connect body', {
  Container: string,
  EndpointConfig: ENDPOINT_SETTINGS,
});

/** `POST /networks/{id}/disconnect`: NetworkDisconnect. */
export const NETWORK_DISCONNECT = struct('the network disconnect body', { Container: string, Force: any });

/** `GET /containers/json?filters=`: filters.Args, a map of maps (or, in the legacy form, of lists). */
export const LIST_FILTERS: Schema = mapOf(any);

/** `POST /auth`: registry.AuthConfig (its JSON names are lower case). */
export const AUTH_CONFIG = struct('the login body', {
  username: any,
  password: any,
  auth: any,
  email: any,
  serveraddress: string,
  identitytoken: any,
  registrytoken: any,
});
