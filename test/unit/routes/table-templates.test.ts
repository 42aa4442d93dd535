import { describe, expect, it } from 'vitest';
import { match } from '../../../src/routes/table.ts';
import { parseTarget } from '../../../src/routes/target.ts';
import { compileTemplates } from '../../../src/routes/templates.ts';
import { unknownTemplate } from '../../../src/server/prepare.ts';

const templateOf = (method: string, raw: string) =>
  match(method, parseTarget(raw))?.template ?? unknownTemplate(method);

describe('the template of a matched row: no name or id is left in it', () => {
  it.each([
    ['GET', '/v1.41/containers/json?all=1', 'GET /containers/json'],
    ['GET', '/containers/0123abcd/json', 'GET /containers/{id}/json'],
    ['POST', '/containers/web/start', 'POST /containers/{id}/start'],
    ['DELETE', '/containers/web', 'DELETE /containers/{id}'],
    ['DELETE', '/containers/web/checkpoints/c1', 'DELETE /containers/{id}/checkpoints/{name}'],
    ['DELETE', '/containers/web/db?link=1', 'DELETE /containers/{id}/{alias}'],
    ['GET', '/containers/web/attach/ws', 'GET /containers/{id}/attach/ws'],
    ['POST', '/exec/abc/start', 'POST /exec/{id}/start'],
    ['POST', '/containers/create?name=x', 'POST /containers/create'],
    ['GET', '/images/registry.example:5000/team/app:1/json', 'GET /images/**/json'],
    ['DELETE', '/images/team/app:1', 'DELETE /images/**'],
    ['POST', '/images/app/tag?repo=x', 'POST /images/**/tag'],
    ['POST', '/images/create?fromImage=busybox', 'POST /images/create'],
    ['GET', '/images/json', 'GET /images/json'],
    ['GET', '/distribution/library/busybox/json', 'GET /distribution/**/json'],
    ['GET', '/plugins/vieux/sshfs:latest/json', 'GET /plugins/**/json'],
    ['DELETE', '/plugins/vieux/sshfs:latest', 'DELETE /plugins/**'],
    ['POST', '/plugins/pull?remote=x', 'POST /plugins/pull'],
    ['GET', '/volumes/data', 'GET /volumes/{name}'],
    ['POST', '/volumes/create', 'POST /volumes/create'],
    ['GET', '/networks/abc', 'GET /networks/{id}'],
    ['POST', '/networks/abc/connect', 'POST /networks/{id}/connect'],
    ['POST', '/networks/prune', 'POST /networks/prune'],
    ['GET', '/services/s1', 'GET /services/{id}'],
    ['POST', '/services/s1/update', 'POST /services/{id}/update'],
    ['POST', '/services/create', 'POST /services/create'],
    ['GET', '/tasks/t1/logs', 'GET /tasks/{id}/logs'],
    ['GET', '/tasks/t1', 'GET /tasks/{id}'],
    ['GET', '/services/s1/logs', 'GET /services/{id}/logs'],
    ['DELETE', '/containers/tok0/xAAAA', 'DELETE /containers/(refused)'],
    ['GET', '/_ping', 'GET /_ping'],
    ['GET', '/nothing/here', 'GET (unknown route)'],
    // The row's own template, not one worked out again from the path: an image named `json` is
    // removed by `DELETE /images/**`, a network named `create` inspected by `GET /networks/{id}`.
    ['DELETE', '/images/json', 'DELETE /images/**'],
    ['DELETE', '/images/a/json', 'DELETE /images/**'],
    ['GET', '/networks/create', 'GET /networks/{id}'],
    ['GET', '/services/create', 'GET /services/{id}'],
    ['PUT', '/volumes/prune', 'PUT /volumes/{name}'],
  ])('%s %s is %s', (method, raw, template) => {
    expect(templateOf(method, raw)).toBe(template);
  });

  it('no template carries what a client typed, whatever the path', () => {
    for (const [method, raw] of [
      ['DELETE', '/containers/secret-a/secret-b'],
      ['GET', '/tasks/secret-a'],
      ['POST', '/session'],
      ['GET', '/secret-a/secret-b'],
      ['GET', '/services/secret-a/logs'],
      ['POST', '/grpc'],
    ] as const) {
      expect(templateOf(method, raw)).not.toContain('secret');
    }
  });

  it.each([
    ['GET', '/containers/web/json'],
    ['DELETE', '/containers/web/checkpoints/c1'],
    ['GET', '/images/team/app:1/json'],
    ['DELETE', '/images/team/app:1'],
    ['POST', '/networks/n1/disconnect'],
    ['GET', '/volumes/data'],
    ['POST', '/plugins/a/b:1/enable'],
  ])('the template of %s %s, used as an allow entry, allows it', (method, raw) => {
    const [compiled] = compileTemplates([templateOf(method, raw)]);
    expect(compiled?.matches(method, parseTarget(raw).path)).toBe(true);
  });
});
