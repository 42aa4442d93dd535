import { describe, expect, it } from 'vitest';
import { bodyRulesFor } from '../../../src/body/body-rules.ts';
import { isTopLevelHostKey } from '../../../src/body/create-wrapper.ts';
import { CONFIG_FIELDS, CONTAINER_CREATE, HOST_CONFIG_FIELDS } from '../../../src/body/daemon-types.ts';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { foldKey, serializeDecoded } from '../../../src/body/go-decode.ts';

const at = (version: string, text: string) =>
  JSON.parse(serializeDecoded(decodeBody(text, CONTAINER_CREATE, bodyRulesFor(version)))) as unknown;

/** runconfig.ContainerConfigWrapper.getHostConfig (moby v20.10.24 to v26.1.5), case by case. */
describe('top-level HostConfig fields on a daemon up to API 1.45: the wrapper precedence', () => {
  it.each<[string, string, unknown]>([
    [
      "docker-py's runtime: the inner one is used, the top-level one ignored",
      '{"Image":"x","Runtime":"runc","HostConfig":{"Runtime":"runc","NetworkMode":"none"}}',
      { Image: 'x', HostConfig: { Runtime: 'runc', NetworkMode: 'none' } },
    ],
    [
      'with an inner HostConfig, a top-level PidMode is ignored',
      '{"PidMode":"host","HostConfig":{"NetworkMode":"none"}}',
      { HostConfig: { NetworkMode: 'none' } },
    ],
    [
      'with an inner HostConfig, Memory, MemorySwap, CpuShares, CpusetCpus, VolumeDriver are copied in where zero',
      '{"memory":5,"MemorySwap":6,"CpuShares":7,"CpusetCpus":"0","VolumeDriver":"d","HostConfig":{"Memory":0}}',
      { HostConfig: { Memory: 5, MemorySwap: 6, CpuShares: 7, CpusetCpus: '0', VolumeDriver: 'd' } },
    ],
    [
      'but not over a non-zero inner value',
      '{"Memory":5,"VolumeDriver":"d","HostConfig":{"Memory":9,"VolumeDriver":"local"}}',
      { HostConfig: { Memory: 9, VolumeDriver: 'local' } },
    ],
    ['a zero top-level value is not copied', '{"Memory":0,"HostConfig":{}}', { HostConfig: {} }],
    [
      'without an inner HostConfig, the top-level fields are the host config',
      '{"Image":"x","NetworkMode":"none","PidMode":"container:y","Links":["a:b"]}',
      { Image: 'x', HostConfig: { NetworkMode: 'none', PidMode: 'container:y', Links: ['a:b'] } },
    ],
    [
      'HostConfig null is no inner HostConfig',
      '{"NetworkMode":"none","HostConfig":null}',
      { HostConfig: { NetworkMode: 'none' } },
    ],
    [
      'a top-level null host field still makes a host config (Go allocates the embedded struct)',
      '{"Memory":null}',
      { HostConfig: {} },
    ],
    [
      'Cpuset fills an empty CpusetCpus',
      '{"Cpuset":"1","HostConfig":{}}',
      { HostConfig: { CpusetCpus: '1' } },
    ],
    [
      'Cpuset after the copy: the top-level CpusetCpus wins',
      '{"Cpuset":"1","CpusetCpus":"2","HostConfig":{}}',
      { HostConfig: { CpusetCpus: '2' } },
    ],
    ['Cpuset alone is no host config', '{"Cpuset":"1"}', {}],
  ])('%s', (_label, text, expected) => {
    expect(at('1.41', text)).toEqual(expected);
    expect(at('1.45', text)).toEqual(expected);
  });

  it('a key given twice at the top level, in any spelling, stays refused', () => {
    expect(() => at('1.41', '{"Runtime":"a","runtime":"b","HostConfig":{}}')).toThrow(/gives Runtime twice/);
  });
});

describe('top-level HostConfig fields on a daemon from API 1.46 (container.CreateRequest): ignored', () => {
  it.each<[string, unknown]>([
    [
      '{"Image":"x","Runtime":"runc","HostConfig":{"Runtime":"runc"}}',
      { Image: 'x', HostConfig: { Runtime: 'runc' } },
    ],
    ['{"PidMode":"host","Memory":5,"Cpuset":"1","HostConfig":{}}', { HostConfig: {} }],
    ['{"NetworkMode":"none","PidMode":"host"}', {}],
  ])('%s', (text, expected) => {
    expect(at('1.46', text)).toEqual(expected);
  });
});

describe('the wrapper table', () => {
  it('no two of its fields fold alike (Go would pick one by order)', () => {
    const names = [
      ...Object.keys(CONFIG_FIELDS),
      ...Object.keys(HOST_CONFIG_FIELDS),
      'HostConfig',
      'NetworkingConfig',
      'Cpuset',
    ];
    expect(new Set(names.map(foldKey)).size).toBe(names.length);
  });

  it.each<[string, boolean]>([
    ['pidmode', true],
    ['Memory', true],
    ['Image', false],
    ['Labels', false],
    ['HostConfig', false],
    ['Cpuset', false],
    ['Bogus', false],
  ])('%s is a top-level host key: %s', (key, expected) => {
    expect(isTopLevelHostKey(key)).toBe(expected);
  });
});
