import { describe, expect, it } from 'vitest';
import { CONTAINER_CREATE, NETWORK_CONNECT } from '../../../src/body/daemon-types.ts';
import { decodeBody } from '../../../src/body/decode-body.ts';
import { fieldFor, foldKey, serializeDecoded } from '../../../src/body/go-decode.ts';

const canonical = (text: string) =>
  JSON.parse(serializeDecoded(decodeBody(text, CONTAINER_CREATE))) as unknown;
const refusal = (text: string) => {
  try {
    decodeBody(text, CONTAINER_CREATE);
  } catch (error) {
    return error as { status: number; message: string };
  }
  throw new Error('not refused');
};

describe('foldKey: the folding Go uses to match a key to a field', () => {
  it.each([
    ['PidMode', 'PIDMODE'],
    ['pidmode', 'PIDMODE'],
    ['Hoſtconfig', 'HOSTCONFIG'], // U+017F long s (EqualFold, every Go version)
    ['NetworKMode', 'NETWORKMODE'], // U+212A Kelvin sign
    ['PıdMode', 'PIDMODE'], // U+0131 dotless i (Go 1.21+ foldName)
    ['PİdMode', 'PIDMODE'], // U+0130 dotted capital I (Go 1.21+ foldName)
    ['Pidmodé', 'PIDMODé'],
  ])('%s => %s', (key, folded) => {
    expect(foldKey(key)).toBe(folded);
  });

  it('exact names win, then folded ones; other keys are no field', () => {
    const fields = { Dns: {}, DnsOptions: {} } as never;
    expect(fieldFor(fields, 'Dns')).toBe('Dns');
    expect(fieldFor(fields, 'DNS')).toBe('Dns');
    expect(fieldFor(fields, 'dnsoptions')).toBe('DnsOptions');
    expect(fieldFor(fields, 'Dnss')).toBeUndefined();
    expect(fieldFor(fields, '__proto__')).toBeUndefined();
  });
});

describe('decodeBody: a create body decoded as dockerd decodes it, forwarded canonically', () => {
  it.each<[string, string, unknown]>([
    [
      'any case of the keys lands on the canonical fields',
      '{"image":"busybox","hostconfig":{"PIDMODE":"host"}}',
      { Image: 'busybox', HostConfig: { PidMode: 'host' } },
    ],
    [
      'Unicode folding: ſ and K',
      '{"Hoſtconfig":{"NetworKMode":"none"}}',
      { HostConfig: { NetworkMode: 'none' } },
    ],
    [
      'endpoint links under any spelling',
      '{"networkingconfig":{"endpointsconfig":{"Net":{"linKs":["a:b"]}}}}',
      { NetworkingConfig: { EndpointsConfig: { Net: { Links: ['a:b'] } } } },
    ],
    [
      'map keys stay exact (labels, network names)',
      '{"Labels":{"a":"1","A":"2"}}',
      { Labels: { a: '1', A: '2' } },
    ],
    ['null is the same as absent', '{"HostConfig":null,"Image":"x"}', { Image: 'x' }],
    [
      'a __proto__ label is just a label',
      '{"Labels":{"__proto__":"x"}}',
      { Labels: JSON.parse('{"__proto__":"x"}') },
    ],
  ])('%s', (_label, text, expected) => {
    expect(canonical(text)).toEqual(expected);
  });

  it('numbers and untouched subtrees pass exactly', () => {
    const text = '{"HostConfig":{"Memory":9223372036854775807,"LogConfig":{"Type":"json-file","Config":{}}}}';
    expect(serializeDecoded(decodeBody(text, CONTAINER_CREATE))).toBe(text);
  });

  it.each<[string, string, RegExp]>([
    [
      'two spellings of one field (Go would merge the objects)',
      '{"HostConfig":{"PidMode":"container:x"},"hostconfig":{}}',
      /gives HostConfig twice \(as "HostConfig" and "hostconfig"\); the daemon would merge them/,
    ],
    ['the same key twice', '{"HostConfig":{},"HostConfig":{"PidMode":"host"}}', /gives HostConfig twice/],
    ['a folded duplicate deeper down', '{"HostConfig":{"PidMode":"a","PIDMODE":"b"}}', /gives PidMode twice/],
    ['a duplicate map key', '{"Labels":{"a":"1","a":"2"}}', /has the key "a" twice/],
    ['a duplicate inside an untouched field', '{"Healthcheck":{"Test":[],"Test":["CMD"]}}', /twice/],
    [
      'an unknown field, when the upstream version is not known',
      '{"Image":"x","HostConfg":{}}',
      /has the field "HostConfg", which the container create body does not have \(the upstream's API version could not be asked/,
    ],
    [
      'a HostConfig field at the top level, when the upstream version is not known',
      '{"Image":"x","PidMode":"container:y"}',
      /HostConfig field "PidMode" at its top level.*version is not known; put PidMode inside "HostConfig"/,
    ],
    ['a top-level Resources field, folded', '{"memory":1}', /HostConfig field "memory" at its top level/],
    [
      'a judged field of the wrong type',
      '{"HostConfig":{"PidMode":1}}',
      /body.HostConfig.PidMode must be a string/,
    ],
    ['a link that is not a string', '{"HostConfig":{"Links":[1]}}', /HostConfig.Links\[0\] must be a string/],
    ['not an object', '[]', /must be a JSON object/],
    ['not JSON', '{"Image":', /is not valid JSON/],
  ])('refused (400): %s', (_label, text, message) => {
    const error = refusal(text);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('network connect: Container must be a string; the endpoint is decoded too', () => {
    const body = decodeBody('{"container":"web","endpointconfig":{"links":["db"]}}', NETWORK_CONNECT);
    expect(JSON.parse(serializeDecoded(body))).toEqual({
      Container: 'web',
      EndpointConfig: { Links: ['db'] },
    });
    expect(() => decodeBody('{"Container":5}', NETWORK_CONNECT)).toThrow(/Container must be a string/);
  });
});
