import { describe, expect, it } from 'vitest';
import { bodyRulesFor } from '../../../src/body/body-rules.ts';
import { CONTAINER_CREATE, EXEC_CREATE } from '../../../src/body/daemon-types.ts';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { serializeDecoded } from '../../../src/body/go-decode.ts';

describe('bodyRulesFor: what the upstream version does with keys the table does not know', () => {
  it.each<[string | null, 'drop' | 'refuse', string]>([
    ['1.24', 'drop', 'embedded'],
    ['1.41', 'drop', 'embedded'], // Docker 20.10
    ['1.45', 'drop', 'embedded'], // Docker 26.1: the last ContainerConfigWrapper
    ['1.46', 'drop', 'ignored'], // Docker 27.0: container.CreateRequest
    ['1.51', 'drop', 'ignored'], // Docker 28.5
    ['1.52', 'refuse', 'ignored'], // newer than the table
    ['2.0', 'refuse', 'ignored'],
    ['1.23', 'refuse', 'embedded'],
    ['v1.41', 'refuse', 'refused'],
    [null, 'refuse', 'refused'],
  ])('%j: unknown keys %s, top-level HostConfig %s', (version, unknown, top) => {
    const rules = bodyRulesFor(version);
    expect(rules.unknown.kind).toBe(unknown);
    expect(rules.topLevelHostConfig).toBe(top);
  });
});

const decodeAt = (version: string | null, text: string, schema = CONTAINER_CREATE) =>
  JSON.parse(serializeDecoded(decodeBody(text, schema, bodyRulesFor(version)))) as unknown;

describe('decodeBody with the rules of a covered upstream: unknown keys are dropped as Go drops them', () => {
  it("docker-py's exec body: Container is no ExecConfig field in any version, and is not forwarded", () => {
    expect(decodeAt('1.41', '{"Container":"abc","Cmd":["true"],"Tty":false}', EXEC_CREATE)).toEqual({
      Cmd: ['true'],
      Tty: false,
    });
  });

  it('unknown keys at any depth, whatever their value, are dropped', () => {
    expect(
      decodeAt(
        '1.51',
        '{"Image":"x","Bogus":{"PidMode":"host"},"HostConfig":{"Zz":[1,{"a":2}],"PidMode":"x"}}',
      ),
    ).toEqual({ Image: 'x', HostConfig: { PidMode: 'x' } });
  });

  it('a key given twice in any spelling stays refused, known or not', () => {
    expect(() => decodeAt('1.41', '{"HostConfig":{"PidMode":"a","pidmode":"b"}}')).toThrow(
      /gives PidMode twice/,
    );
    expect(() => decodeAt('1.41', '{"Cmd":["a"],"cmd":["b"]}', EXEC_CREATE)).toThrow(/gives Cmd twice/);
  });

  it('an upstream newer than the table keeps the refusal, naming its version', () => {
    expect(() => decodeAt('1.52', '{"Container":"abc","Cmd":["true"]}', EXEC_CREATE)).toThrow(
      /has the field "Container", which the exec create body does not have in the API versions dockscope knows \(1.24 to 1.51\); the upstream speaks API 1.52/,
    );
  });

  it('fields that only old daemons read are known, so they are judged rather than dropped', () => {
    expect(
      decodeAt('1.41', '{"HostConfig":{"Capabilities":["CAP_SYS_ADMIN"],"InitPath":"/x","DiskQuota":1}}'),
    ).toEqual({ HostConfig: { Capabilities: ['CAP_SYS_ADMIN'], InitPath: '/x', DiskQuota: 1 } });
  });
});
