import { describe, expect, it } from 'vitest';
import { VOLUME_CREATE } from '../../../src/body/daemon-types.ts';
import type { DecideContext } from '../../../src/policy/forward.ts';
import { bodyRulesOf, decodeFor } from '../../../src/policy/read-body.ts';
import { stubResolver } from '../support/stub-resolver.ts';

/** A resolver whose directory's upstream speaks `version` (null: it did not answer `/version`). */
const speaking = (version: string | null) =>
  ({ resolver: { daemon: { apiVersion: { get: async () => version } } } }) as unknown as Pick<
    DecideContext,
    'resolver'
  >;

const BODY = '{"Name":"v","Foo":1}';

async function outcome(ctx: Pick<DecideContext, 'resolver'>, text: string) {
  try {
    return { body: await decodeFor(ctx, text, VOLUME_CREATE) };
  } catch (error) {
    const e = error as { status?: number; message: string };
    return { status: e.status, message: e.message };
  }
}

describe('a request body is read as the upstream’s daemon reads it', () => {
  it.each([
    ['1.41', 'embedded'],
    ['1.45', 'embedded'],
    ['1.46', 'ignored'],
    ['1.51', 'ignored'],
  ])('an upstream of API %s drops unknown keys; its top-level HostConfig is %s', async (version, top) => {
    expect(await bodyRulesOf(speaking(version))).toEqual({
      unknown: { kind: 'drop' },
      topLevelHostConfig: top,
    });
    expect(await outcome(speaking(version), BODY)).toEqual({ body: { Name: 'v' } });
  });

  it.each([
    [
      '1.99',
      ' in the API versions dockscope knows (1.24 to 1.51); the upstream speaks API 1.99, which may read it: update dockscope',
    ],
    [
      '1.23',
      ' in the API versions dockscope knows (1.24 to 1.51); the upstream speaks API 1.23, which may read it: update dockscope',
    ],
    [null, " (the upstream's API version could not be asked, so it cannot tell whether the daemon reads it)"],
    [
      'v1.41',
      ` (the upstream's API version "v1.41" is not one dockscope reads, so it cannot tell whether the daemon reads it)`,
    ],
  ])('an upstream of API %s: an unknown key is refused (400), saying why', async (version, because) => {
    expect(await outcome(speaking(version), BODY)).toEqual({
      status: 400,
      message: `dockscope: the volume create body: body has the field "Foo", which the volume create body does not have${because}`,
    });
    // A body with known keys only is read whatever the version.
    expect(await outcome(speaking(version), '{"Name":"v","Labels":{"a":"b"}}')).toEqual({
      body: { Name: 'v', Labels: { a: 'b' } },
    });
  });

  it('the version is the directory’s own (a stub upstream of API 1.41, asked through it)', async () => {
    const { resolver } = stubResolver([]);
    expect(await outcome({ resolver }, BODY)).toEqual({ body: { Name: 'v' } });
    expect(await outcome({ resolver }, '{"Name":1}')).toMatchObject({ status: 400 });
  });
});
