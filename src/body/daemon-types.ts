import type { Schema } from './go-decode.ts';
import { any, arrayOf, mapOf, string, struct } from './go-decode.ts';

/**
 * The daemon's request-body types (moby api/types, API 1.24 to 1.51), as far as dockscope reads them.
 * Every field the daemon knows is listed, so a key is either a known field (matched as Go matches it)
 * or refused; fields dockscope judges have a type, the rest are `any` and pass on as sent.
 */

const stringList = arrayOf(string);

/** container.Resources: embedded in HostConfig and UpdateConfig, so its fields sit at their level. */
const RESOURCES: Readonly<Record<string, Schema>> = Object.fromEntries(
  [
    'CpuShares',
    'Memory',
    'NanoCpus',
    'CgroupParent',
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
    'Devices',
    'DeviceCgroupRules',
    'DeviceRequests',
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
  ].map((name) => [name, any]),
);

const anyFields = (...names: string[]): Record<string, Schema> =>
  Object.fromEntries(names.map((name) => [name, any]));

export const ENDPOINT_SETTINGS = struct('EndpointSettings', {
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

export const HOST_CONFIG_FIELDS: Readonly<Record<string, Schema>> = {
  ...anyFields(
    'Binds',
    'ContainerIDFile',
    'LogConfig',
    'PortBindings',
    'RestartPolicy',
    'AutoRemove',
    'VolumeDriver',
    'ConsoleSize',
    'Annotations',
    'CapAdd',
    'CapDrop',
    'CgroupnsMode',
    'Dns',
    'DnsOptions',
    'DnsSearch',
    'ExtraHosts',
    'GroupAdd',
    'OomScoreAdj',
    'Privileged',
    'PublishAllPorts',
    'ReadonlyRootfs',
    'SecurityOpt',
    'StorageOpt',
    'Tmpfs',
    'UTSMode',
    'UsernsMode',
    'ShmSize',
    'Sysctls',
    'Runtime',
    'Isolation',
    'Mounts',
    'MaskedPaths',
    'ReadonlyPaths',
    'Init',
  ),
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
const CONFIG_FIELDS: Readonly<Record<string, Schema>> = {
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

/**
 * Up to at least 20.10 the create wrapper also embeds a HostConfig, so HostConfig fields written at the
 * top level of the body are read too (when there is no `HostConfig`, they are the host config). No
 * current client sends that form: dockscope refuses it and names the field to move.
 */
export const TOP_LEVEL_HOST_CONFIG: Readonly<Record<string, Schema>> = { ...HOST_CONFIG_FIELDS, Cpuset: any };

/** `POST /containers/{id}/update`: container.UpdateConfig. */
export const CONTAINER_UPDATE = struct('the container update body', {
  ...RESOURCES,
  RestartPolicy: any,
});

/** `POST /containers/{id}/exec`: ExecConfig / ExecOptions. */
export const EXEC_CREATE = struct('the exec create body', {
  ...anyFields(
    'User',
    'Privileged',
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
