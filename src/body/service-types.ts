import { MOUNT } from './daemon-types.ts';
import type { Schema } from './go-decode.ts';
import { any, arrayOf, bool, mapOf, string, struct } from './go-decode.ts';

/**
 * `POST /services/create` and `/services/{id}/update`: swarm.ServiceSpec (moby api/types/swarm, API
 * 1.24 to 1.51). Every field is listed, so a key is a known field (matched as Go matches it) or
 * refused; what the create rules judge (issue #24) is typed, the rest is `any` and goes on as sent.
 */
const anyFields = (...names: string[]): Record<string, Schema> =>
  Object.fromEntries(names.map((name) => [name, any]));

const NETWORK_ATTACHMENT = struct('NetworkAttachmentConfig', {
  Target: string,
  ...anyFields('Aliases', 'DriverOpts'),
});

const PRIVILEGES = struct('Privileges', {
  CredentialSpec: any,
  SELinuxContext: any,
  Seccomp: struct('SeccompOpts', { Mode: string, Profile: any }),
  AppArmor: struct('AppArmorOpts', { Mode: string }),
  NoNewPrivileges: bool,
});

const CONTAINER_SPEC = struct('ContainerSpec', {
  ...anyFields(
    'Image',
    'Command',
    'Args',
    'Hostname',
    'Env',
    'Dir',
    'User',
    'Groups',
    'Init',
    'StopSignal',
    'TTY',
    'OpenStdin',
    'ReadOnly',
    'StopGracePeriod',
    'Healthcheck',
    'Hosts',
    'DNSConfig',
    'Isolation',
    'CapabilityDrop',
    'Ulimits',
    'OomScoreAdj',
  ),
  Labels: mapOf(string),
  Privileges: PRIVILEGES,
  Mounts: arrayOf(MOUNT),
  Secrets: arrayOf(struct('SecretReference', { File: any, SecretID: string, SecretName: string })),
  Configs: arrayOf(
    struct('ConfigReference', { File: any, Runtime: any, ConfigID: string, ConfigName: string }),
  ),
  Sysctls: mapOf(string),
  CapabilityAdd: arrayOf(string),
});

const TASK_SPEC = struct('TaskSpec', {
  ...anyFields('Resources', 'RestartPolicy', 'Placement', 'ForceUpdate'),
  ContainerSpec: CONTAINER_SPEC,
  PluginSpec: any,
  NetworkAttachmentSpec: any,
  Networks: arrayOf(NETWORK_ATTACHMENT),
  LogDriver: struct('Driver', { Name: string, Options: mapOf(string) }),
  Runtime: string,
});

export const SERVICE_SPEC = struct('the service spec', {
  ...anyFields('Mode', 'UpdateConfig', 'RollbackConfig', 'EndpointSpec'),
  Name: string,
  Labels: mapOf(string),
  TaskTemplate: TASK_SPEC,
  Networks: arrayOf(NETWORK_ATTACHMENT),
});

/** `POST /secrets/create` and `/secrets/{id}/update`: swarm.SecretSpec (Annotations inlined). */
export const SECRET_SPEC = struct('the secret spec', {
  Name: string,
  Labels: mapOf(string),
  ...anyFields('Data', 'Driver', 'Templating'),
});

/** `POST /configs/create` and `/configs/{id}/update`: swarm.ConfigSpec (Annotations inlined). */
export const CONFIG_SPEC = struct('the config spec', {
  Name: string,
  Labels: mapOf(string),
  ...anyFields('Data', 'Templating'),
});
