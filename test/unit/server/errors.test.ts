import { describe, expect, it } from 'vitest';
import { asApiError, DockerApiError, errors } from '../../../src/server/errors.ts';

describe('asApiError: what a client is told of a failure', () => {
  it('a Docker-style error is passed as it is', () => {
    const e = errors.refused('no');
    expect(asApiError(e)).toBe(e);
  });

  it("a fault of dockscope's own is a 500 that echoes nothing of it", () => {
    const e = asApiError(new TypeError('cannot read Env of {"DB_PASSWORD":"s3cret"}'));
    expect(e).toBeInstanceOf(DockerApiError);
    expect(e.status).toBe(500);
    expect(e.message).toBe('dockscope: internal error');
    expect(e.decision).toBe('internal-error');
  });

  it('an upstream failure names the upstream and the errno, never its text', () => {
    const e = errors.upstream(
      'unix:///var/run/docker.sock',
      Object.assign(new Error('connect ENOENT /x'), { code: 'ENOENT' }),
    );
    expect(e.status).toBe(502);
    expect(e.message).toBe('dockscope: upstream unix:///var/run/docker.sock failed: ENOENT');
  });

  it('an answer in the upstream’s words carries what to render, with Docker’s words for the log', () => {
    const e = errors.asDaemon({ kind: 'missingJoin', mode: 'network', ref: 'web' });
    expect([e.status, e.message, e.daemonAnswer, e.decision]).toEqual([
      400,
      'No such container: web',
      { kind: 'missingJoin', mode: 'network', ref: 'web' },
      'hidden',
    ]);
  });
});
