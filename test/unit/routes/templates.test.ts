import { describe, expect, it } from 'vitest';
import { PERMISSION_GROUPS } from '../../../src/routes/table.ts';
import { compileRouteRules, compileTemplates, TemplateError } from '../../../src/routes/templates.ts';

const matches = (template: string, method: string, path: string) =>
  compileTemplates([template]).some((t) => t.matches(method, path));

describe('route templates', () => {
  it.each<[string, string, string, boolean]>([
    ['GET /_ping', 'GET', '/_ping', true],
    ['GET /_ping', 'HEAD', '/_ping', false],
    ['* /_ping', 'HEAD', '/_ping', true],
    ['GET /containers/{id}/json', 'GET', '/containers/web/json', true],
    ['GET /containers/{id}/json', 'GET', '/containers/json', false],
    ['GET /containers/*/logs', 'GET', '/containers/abc/logs', true],
    ['GET /containers/*', 'GET', '/containers/abc/logs', false],
    ['GET /containers/**', 'GET', '/containers/abc/logs', true],
    ['GET /containers/**', 'GET', '/containers', true],
    ['GET /images/**/json', 'GET', '/images/registry:5000/a/b/json', true],
    ['GET /images/**/json', 'GET', '/images/a/history', false],
    ['DELETE /containers/{id}', 'DELETE', '/containers/web', true],
    ['DELETE /containers/{id}', 'DELETE', '/containers/web/alias', false],
  ])('%s matches %s %s: %s', (template, method, path, expected) => {
    expect(matches(template, method, path)).toBe(expected);
  });

  it.each(['GET', '/x', 'GET x', 'get /x', 'GET /v1.41/x', 'GET /a//b', 'GET /a*'])('%j is refused', (t) => {
    expect(() => compileTemplates([t])).toThrow(TemplateError);
  });

  it('every permission group compiles', () => {
    for (const name of Object.keys(PERMISSION_GROUPS))
      expect(compileTemplates([name]).length).toBeGreaterThan(0);
  });
});

describe('allow and deny', () => {
  it('with no lists every route passes (today’s behaviour)', () => {
    expect(compileRouteRules(undefined, undefined).check('POST', '/containers/x/start')).toBeNull();
  });

  it('allow lists what passes; groups expand', () => {
    const rules = compileRouteRules(['read-only', 'logs'], undefined);
    expect(rules.check('GET', '/containers/x/json')).toBeNull();
    expect(rules.check('GET', '/containers/x/logs')).toBeNull();
    expect(rules.check('POST', '/containers/x/start')).toEqual({ refusedBy: 'allow: no entry matches' });
  });

  it('deny is checked first', () => {
    const rules = compileRouteRules(['GET /**'], ['GET /containers/{id}/logs']);
    expect(rules.check('GET', '/containers/x/logs')).toEqual({
      refusedBy: 'deny: GET /containers/{id}/logs',
    });
    expect(rules.check('GET', '/containers/x/json')).toBeNull();
    expect(compileRouteRules(undefined, ['exec']).check('POST', '/exec/e/start')).toEqual({
      refusedBy: 'deny: POST /exec/{id}/start (group exec)',
    });
  });
});
