import { describe, expect, it } from 'vitest';
import { UpstreamApiVersion } from '../../../src/upstream/api-version.ts';
import type { Upstream } from '../../../src/upstream/client.ts';

/** An upstream whose /version and /_ping answers are scripted, counting what was asked. */
function upstream(version: () => { status: number; body: unknown } | Error, pingHeader?: string) {
  const asked: string[] = [];
  const fake = {
    controlAgent: undefined,
    getJson: async (path: string) => {
      asked.push(path);
      const v = version();
      if (v instanceof Error) throw v;
      return v;
    },
    open: async (_method: string, path: string) => {
      asked.push(path);
      return {
        statusCode: 200,
        headers: pingHeader === undefined ? {} : { 'api-version': pingHeader },
        resume() {},
      };
    },
  } as unknown as Upstream;
  return { fake, asked };
}

describe('UpstreamApiVersion: the version that decides how bodies are read', () => {
  it('asks /version once and remembers the answer; refresh (a reconnect) asks again', async () => {
    let v = '1.41';
    const u = upstream(() => ({ status: 200, body: { ApiVersion: v } }));
    const version = new UpstreamApiVersion(u.fake);
    expect(await version.get()).toBe('1.41');
    expect(await version.get()).toBe('1.41');
    expect(u.asked).toEqual(['/version']);
    v = '1.52';
    expect(await version.refresh()).toBe('1.52');
    expect(await version.get()).toBe('1.52');
    expect(u.asked).toEqual(['/version', '/version']);
  });

  it('concurrent requests share one question', async () => {
    const u = upstream(() => ({ status: 200, body: { ApiVersion: '1.45' } }));
    const version = new UpstreamApiVersion(u.fake);
    expect(await Promise.all([version.get(), version.get(), version.refresh()])).toEqual([
      '1.45',
      '1.45',
      '1.45',
    ]);
    expect(u.asked).toEqual(['/version']);
  });

  it('a /version a socket proxy refuses falls back to the Api-Version header of /_ping', async () => {
    const u = upstream(() => ({ status: 403, body: null }), '1.43');
    expect(await new UpstreamApiVersion(u.fake).get()).toBe('1.43');
    expect(u.asked).toEqual(['/version', '/_ping']);
  });

  it('an unreachable upstream gives no version, and is asked again by the next request', async () => {
    let down = true;
    const u = upstream(() =>
      down ? new Error('ECONNREFUSED') : { status: 200, body: { ApiVersion: '1.41' } },
    );
    const version = new UpstreamApiVersion(u.fake);
    expect(await version.get()).toBeNull();
    down = false;
    expect(await version.get()).toBe('1.41');
    expect(u.asked).toEqual(['/version', '/version']);
  });

  it('a reconnect to an upstream that no longer answers forgets the old version (strict rules)', async () => {
    let down = false;
    const u = upstream(() =>
      down ? new Error('ECONNREFUSED') : { status: 200, body: { ApiVersion: '1.41' } },
    );
    const version = new UpstreamApiVersion(u.fake);
    expect(await version.get()).toBe('1.41');
    down = true;
    expect(await version.refresh()).toBeNull();
  });
});
