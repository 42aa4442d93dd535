import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { SERVICE_SPEC } from '../../../src/body/service-types.ts';
import { NO_WAY_OUT } from '../../../src/policy/create-rules.ts';
import { checkServiceSpec, serviceReferences } from '../../../src/policy/service-rules.ts';

const spec = (containerSpec: object, task: object = {}) =>
  decodeBody(
    JSON.stringify({ Name: 's', TaskTemplate: { ContainerSpec: containerSpec, ...task } }),
    SERVICE_SPEC,
  );
const refusal = (s: ReturnType<typeof spec>, rules = NO_WAY_OUT) => {
  try {
    checkServiceSpec(rules, s);
  } catch (error) {
    return (error as Error).message;
  }
  return 'allowed';
};

describe('checkServiceSpec: a service is judged as a container create', () => {
  it.each<[string, object, object, string]>([
    ['an image alone', { Image: 'busybox' }, {}, 'allowed'],
    ['a tmpfs mount', { Mounts: [{ Type: 'tmpfs', Target: '/t' }] }, {}, 'allowed'],
    ['an anonymous volume', { Mounts: [{ Type: 'volume', Target: '/v' }] }, {}, 'allowed'],
    [
      'a host bind',
      { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/x' }] },
      {},
      'create rule "hostPaths" refuses TaskTemplate.ContainerSpec.Mounts[0].Source',
    ],
    [
      'a named volume',
      { Mounts: [{ Type: 'volume', Source: 'data', Target: '/x' }] },
      {},
      'create rule "volumes" refuses TaskTemplate.ContainerSpec.Mounts[0].Source',
    ],
    [
      'a bind-type local volume',
      {
        Mounts: [
          {
            Type: 'volume',
            Target: '/x',
            VolumeOptions: { DriverConfig: { Options: { o: 'bind', device: '/' } } },
          },
        ],
      },
      {},
      'create rule "hostPaths" refuses',
    ],
    [
      'an added capability (any spelling)',
      { CapabilityAdd: ['sys_admin'] },
      {},
      'create rule "capAdd" refuses TaskTemplate.ContainerSpec.CapabilityAdd: the capability CAP_SYS_ADMIN',
    ],
    ['a sysctl', { Sysctls: { 'kernel.shmmax': '1' } }, {}, 'create rule "sysctls" refuses'],
    [
      'seccomp off',
      { Privileges: { Seccomp: { Mode: 'unconfined' } } },
      {},
      'create rule "securityOpt" refuses TaskTemplate.ContainerSpec.Privileges.Seccomp',
    ],
    [
      'a custom seccomp profile',
      { Privileges: { Seccomp: { Mode: 'custom', Profile: 'e30=' } } },
      {},
      'is not one dockscope judges',
    ],
    [
      'AppArmor off',
      { Privileges: { AppArmor: { Mode: 'disabled' } } },
      {},
      'create rule "securityOpt" refuses TaskTemplate.ContainerSpec.Privileges.AppArmor',
    ],
    [
      'an SELinux label',
      { Privileges: { SELinuxContext: { Disable: true } } },
      {},
      'create rule "securityOpt" refuses TaskTemplate.ContainerSpec.Privileges.SELinuxContext',
    ],
    ['no-new-privileges', { Privileges: { NoNewPrivileges: true } }, {}, 'allowed'],
    [
      'a remote logging driver',
      {},
      { LogDriver: { Name: 'syslog' } },
      'create rule "logDrivers" refuses TaskTemplate.LogDriver.Name',
    ],
    ['a plugin service', {}, { Runtime: 'plugin', PluginSpec: {} }, 'create rule "plugins" refuses'],
    [
      'a network attachment task',
      {},
      { Runtime: 'attachment' },
      'create rule "swarm" refuses TaskTemplate.NetworkAttachmentSpec',
    ],
  ])('%s', (_, containerSpec, task, expected) => {
    expect(refusal(spec(containerSpec, task))).toContain(expected);
  });

  it('keys are read as Go reads them: a lower-case spelling is judged too', () => {
    const s = decodeBody('{"tasktemplate":{"containerspec":{"capabilityadd":["NET_ADMIN"]}}}', SERVICE_SPEC);
    expect(refusal(s)).toContain('create rule "capAdd"');
    expect(refusal(s, { ...NO_WAY_OUT, capAdd: ['NET_ADMIN'] })).toBe('allowed');
  });

  it('an unknown field is refused, not passed', () => {
    expect(() =>
      decodeBody('{"TaskTemplate":{"ContainerSpec":{"Privileged":true}}}', SERVICE_SPEC),
    ).toThrow();
  });

  it('serviceReferences: the networks, secrets and configs a spec names', () => {
    const s = decodeBody(
      JSON.stringify({
        Networks: [{ Target: 'old' }],
        TaskTemplate: {
          Networks: [{ Target: 'host' }],
          ContainerSpec: { Secrets: [{ SecretID: 's1', SecretName: 'a' }], Configs: [{ ConfigID: 'c1' }] },
        },
      }),
      SERVICE_SPEC,
    );
    expect(serviceReferences(s)).toEqual({
      networks: [
        { field: 'Networks[0].Target', target: 'old' },
        { field: 'TaskTemplate.Networks[0].Target', target: 'host' },
      ],
      secrets: [{ field: 'TaskTemplate.ContainerSpec.Secrets[0].SecretID', id: 's1' }],
      configs: [{ field: 'TaskTemplate.ContainerSpec.Configs[0].ConfigID', id: 'c1' }],
    });
  });
});
