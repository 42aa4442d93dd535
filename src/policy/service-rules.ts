import type { Decoded, DecodedObject } from '../body/go-decode.ts';
import { isObject } from './container-facts.ts';
import type { CreateRules } from './create-rules.ts';
import { checkCapabilities, checkLogDriver, checkSysctls, createRuleRefusal } from './create-rules.ts';
import { checkMount } from './mount-rules.ts';

/**
 * A swarm service's tasks are containers the daemon creates from `TaskTemplate.ContainerSpec`, with no
 * container create dockscope could judge (issue #24). So a service create or update is judged as a
 * container create would be, field by field, under the same create rules: host binds and volume
 * drivers (the container's mount rules), added capabilities, sysctls, logging drivers, seccomp and
 * AppArmor turned off, and the host network. Pure: references to secrets, configs and networks by id
 * are for the caller to resolve (`serviceReferences`).
 */
export function checkServiceSpec(rules: CreateRules, spec: DecodedObject): void {
  const task = isObject(spec.TaskTemplate) ? spec.TaskTemplate : null;
  if (!task) return;
  const T = 'TaskTemplate.';
  const runtime = typeof task.Runtime === 'string' ? task.Runtime : '';
  // A plugin service installs a plugin on every node: host privileges.
  if ((task.PluginSpec !== undefined && task.PluginSpec !== null) || runtime === 'plugin') {
    if (!rules.plugins)
      throw createRuleRefusal('plugins', `${T}PluginSpec`, 'plugins run with the privileges of the daemon');
  }
  // Network attachment tasks stand for a container the daemon names: never a client's to make.
  if (
    (task.NetworkAttachmentSpec !== undefined && task.NetworkAttachmentSpec !== null) ||
    runtime === 'attachment'
  ) {
    throw createRuleRefusal(
      'swarm',
      `${T}NetworkAttachmentSpec`,
      'network attachment tasks stand for other containers',
    );
  }
  const log = isObject(task.LogDriver) ? task.LogDriver : null;
  if (log) checkLogDriver(rules, `${T}LogDriver.Name`, typeof log.Name === 'string' ? log.Name : '');
  const c = isObject(task.ContainerSpec) ? task.ContainerSpec : null;
  if (!c) return;
  const C = `${T}ContainerSpec.`;
  if (Array.isArray(c.Mounts)) {
    for (const [i, mount] of c.Mounts.entries()) {
      checkMount(rules, `${C}Mounts[${i}]`, mount);
      // A named volume is made on whichever node runs a task, or is that node's existing volume:
      // dockscope cannot say whose data it holds there.
      if (
        isObject(mount) &&
        mount.Type === 'volume' &&
        typeof mount.Source === 'string' &&
        mount.Source !== ''
      ) {
        throw createRuleRefusal(
          'volumes',
          `${C}Mounts[${i}].Source`,
          'a service names a volume on whichever node runs its tasks (use an anonymous volume or tmpfs)',
        );
      }
    }
  }
  checkCapabilities(rules, `${C}CapabilityAdd`, strings(c.CapabilityAdd));
  if (isObject(c.Sysctls)) checkSysctls(rules, `${C}Sysctls`, Object.keys(c.Sysctls));
  checkPrivileges(rules, c.Privileges, `${C}Privileges`);
}

function strings(v: Decoded | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** swarm.Privileges: the security options of a container, as the daemon turns them into SecurityOpt. */
function checkPrivileges(rules: CreateRules, privileges: Decoded | undefined, field: string): void {
  if (!isObject(privileges)) return;
  const allows = (opt: string) => rules.securityOpt.includes(opt);
  const seccomp = isObject(privileges.Seccomp) ? privileges.Seccomp : null;
  const mode = typeof seccomp?.Mode === 'string' ? seccomp.Mode : '';
  if (mode === 'unconfined' && !allows('seccomp=unconfined')) {
    throw createRuleRefusal('securityOpt', `${field}.Seccomp`, 'it turns the syscall filter off');
  }
  // A custom profile is a profile dockscope does not read: not understood, refused.
  if (mode !== '' && mode !== 'default' && mode !== 'unconfined') {
    throw createRuleRefusal(
      'securityOpt',
      `${field}.Seccomp`,
      `the seccomp mode ${JSON.stringify(mode)} is not one dockscope judges`,
    );
  }
  const apparmor = isObject(privileges.AppArmor) ? privileges.AppArmor : null;
  const aaMode = typeof apparmor?.Mode === 'string' ? apparmor.Mode : '';
  if (aaMode !== '' && aaMode !== 'default' && !allows('apparmor=unconfined')) {
    throw createRuleRefusal('securityOpt', `${field}.AppArmor`, 'it turns the AppArmor profile off');
  }
  for (const key of ['SELinuxContext', 'CredentialSpec'] as const) {
    if (privileges[key] !== undefined && privileges[key] !== null) {
      throw createRuleRefusal(
        'securityOpt',
        `${field}.${key}`,
        'it sets a security label dockscope does not judge',
      );
    }
  }
}

/** What a service spec names that only the daemon can resolve: networks, secrets and configs. */
interface ServiceReferences {
  readonly networks: readonly { readonly field: string; readonly target: string }[];
  readonly secrets: readonly { readonly field: string; readonly id: string }[];
  readonly configs: readonly { readonly field: string; readonly id: string }[];
}

export function serviceReferences(spec: DecodedObject): ServiceReferences {
  const task = isObject(spec.TaskTemplate) ? spec.TaskTemplate : null;
  const c = task && isObject(task.ContainerSpec) ? task.ContainerSpec : null;
  const networks: { field: string; target: string }[] = [];
  for (const [where, list] of [
    ['Networks', spec.Networks],
    ['TaskTemplate.Networks', task?.Networks],
  ] as const) {
    if (!Array.isArray(list)) continue;
    for (const [i, n] of list.entries()) {
      if (isObject(n) && typeof n.Target === 'string')
        networks.push({ field: `${where}[${i}].Target`, target: n.Target });
    }
  }
  const refs = (list: Decoded | undefined, key: string, where: string) =>
    Array.isArray(list)
      ? list.flatMap((r, i) =>
          isObject(r) && typeof r[key] === 'string'
            ? [{ field: `${where}[${i}].${key}`, id: String(r[key]) }]
            : [],
        )
      : [];
  const C = 'TaskTemplate.ContainerSpec.';
  return {
    networks,
    secrets: refs(c?.Secrets, 'SecretID', `${C}Secrets`),
    configs: refs(c?.Configs, 'ConfigID', `${C}Configs`),
  };
}
