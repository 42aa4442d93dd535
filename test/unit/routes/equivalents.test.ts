import { describe, expect, it } from 'vitest';
import { ANY_OBJECT, relatedRoutes } from '../../../src/routes/equivalents.ts';
import { PERMISSION_GROUPS } from '../../../src/routes/table.ts';
import { compileRouteRules } from '../../../src/routes/templates.ts';

const at = (rawQuery: string) => ({ query: new URLSearchParams(rawQuery) });

/**
 * Every relation of routes/equivalents.ts, as a request and the route whose data (or effect) it also
 * gives. Walked below: with that route denied, the request is refused too.
 */
const TWINS: readonly [request: string, query: string, twin: string][] = [
  ['POST /containers/web/attach', 'logs=1&stream=0&stdout=1', 'GET /containers/{id}/logs'],
  ['GET /containers/web/attach/ws', 'logs=1', 'GET /containers/{id}/logs'],
  ['POST /containers/web/attach', 'stream=1', 'GET /containers/{id}/attach/ws'],
  ['GET /containers/web/attach/ws', 'stream=1', 'POST /containers/{id}/attach'],
  ['GET /containers/web/export', '', 'GET /containers/{id}/archive'],
  ['GET /containers/web/archive', 'path=/', 'GET /containers/{id}/export'],
  ['GET /containers/web/archive', 'path=/etc', 'HEAD /containers/{id}/archive'],
  ['POST /containers/web/restart', '', 'POST /containers/{id}/stop'],
  ['POST /containers/web/restart', '', 'POST /containers/{id}/start'],
  ['GET /system/df', '', 'GET /containers/json'],
  ['GET /system/df', '', 'GET /images/json'],
  ['GET /system/df', '', 'GET /volumes'],
  ['GET /images/get', 'names=busybox&names=alpine', 'GET /images/{name}/get'],
  ['GET /images/busybox/get', '', 'GET /images/get'],
  ['POST /containers/prune', '', 'DELETE /containers/{id}'],
  ['POST /volumes/prune', '', 'DELETE /volumes/{name}'],
  ['POST /networks/prune', '', 'DELETE /networks/{id}'],
  ['POST /images/prune', '', 'DELETE /images/{name}'],
  ['POST /commit', 'container=web', 'GET /containers/{id}/export'],
  // Followed transitively: a commit gives the files, and so does any archive read.
  ['POST /commit', 'container=web', 'GET /containers/{id}/archive'],
  ['DELETE /containers/web', 'force=1', 'POST /containers/{id}/kill'],
  // From the review of #19: stop ends with SIGKILL; v=1 removes volumes; every route that names a tag moves it.
  ['POST /containers/web/stop', 't=0', 'POST /containers/{id}/kill'],
  ['POST /containers/web/restart', '', 'POST /containers/{id}/kill'],
  ['DELETE /containers/web', 'v=1', 'DELETE /volumes/{name}'],
  ['POST /images/create', 'fromImage=victim&tag=1', 'POST /images/{name}/tag'],
  ['POST /images/create', 'fromSrc=-&repo=victim&tag=1', 'POST /images/{name}/tag'],
  ['POST /build', 't=victim:1', 'POST /images/{name}/tag'],
  ['POST /commit', 'container=web&repo=victim&tag=1', 'POST /images/{name}/tag'],
  ['POST /images/load', '', 'POST /images/{name}/tag'],
  ['POST /images/victim/push', 'tag=1', 'GET /images/{name}/get'],
  // A BuildKit session serves a build its context, secrets and ssh agent (issue #25).
  ['POST /session', '', 'POST /build'],
  // A service's or task's logs are its containers' logs (issue #24).
  ['GET /services/svc-a/logs', 'stdout=1', 'GET /containers/{id}/logs'],
  ['GET /tasks/t1/logs', '', 'GET /containers/{id}/logs'],
];

describe('route lists cover the routes that give the same data', () => {
  it.each(TWINS)('%s?%s is refused when %s is denied', (request, query, twin) => {
    const [method = '', path = ''] = request.split(' ');
    const unrelated = compileRouteRules(undefined, ['GET /plugins']);
    expect(unrelated.explain(method, path, at(query))).toEqual({ allowed: true, by: 'no allow list' });
    const rules = compileRouteRules(undefined, [twin]);
    const decision = rules.explain(method, path, at(query));
    expect(decision.allowed).toBe(false);
    expect(decision.by).toContain(`deny: ${twin}`);
  });

  it('attach with logs=1 needs the logs permission, not only attach (an allow list without logs)', () => {
    const rules = compileRouteRules(['exec'], undefined);
    expect(rules.explain('POST', '/containers/web/attach', at('stream=1&stdout=1')).allowed).toBe(true);
    expect(rules.explain('POST', '/containers/web/attach', at('logs=1&stdout=1'))).toEqual({
      allowed: false,
      by: 'allow: no entry matches for GET /containers/web/logs, which this request also answers',
    });
    const both = compileRouteRules(['exec', 'logs'], undefined);
    expect(both.explain('POST', '/containers/web/attach', at('logs=1&stdout=1')).allowed).toBe(true);
  });

  it.each<[string, string]>([
    ['logs=0', 'false'],
    ['logs=false', 'false'],
    ['logs=no', 'false'],
    ['logs=', 'false'],
    ['logs=1', 'true'],
    ['logs=yes', 'true'],
  ])('attach?%s reads logs as the daemon reads a boolean (%s)', (query, yields) => {
    const related = relatedRoutes('POST', '/containers/web/attach', at(query));
    expect(String(related.yields.length > 0)).toBe(yields);
  });

  it('a BuildKit session needs POST /build to pass the lists; the images group allows both', () => {
    expect(compileRouteRules(['POST /session'], undefined).explain('POST', '/session', at(''))).toEqual({
      allowed: false,
      by: 'allow: no entry matches for POST /build, which this request also answers',
    });
    expect(compileRouteRules(['POST /session', 'POST /build'], undefined).check('POST', '/session')).toBe(
      null,
    );
    expect(compileRouteRules(['images'], undefined).explain('POST', '/session', at(''))).toEqual({
      allowed: true,
      by: 'allow: POST /session (group images)',
    });
    expect(compileRouteRules(['images'], ['POST /build']).explain('POST', '/session', at('')).allowed).toBe(
      false,
    );
  });

  it('a deny of one named container does not refuse a prune (it acts on no name it was given)', () => {
    expect(relatedRoutes('POST', '/containers/prune', null).covers).toEqual([
      ['DELETE', `/containers/${ANY_OBJECT}`],
    ]);
    const rules = compileRouteRules(undefined, ['DELETE /containers/web']);
    expect(rules.explain('POST', '/containers/prune', at('')).allowed).toBe(true);
  });

  it('a denied permission group refuses every request that gives the data of one of its routes', () => {
    let walked = 0;
    for (const [group, templates] of Object.entries(PERMISSION_GROUPS)) {
      const rules = compileRouteRules(undefined, [group]);
      for (const [request, query, twin] of TWINS) {
        if (!templates.includes(twin)) continue;
        const [method = '', path = ''] = request.split(' ');
        walked++;
        expect(rules.explain(method, path, at(query)).allowed, `deny ${group}: ${request}?${query}`).toBe(
          false,
        );
      }
    }
    // logs, files, lifecycle, read-only, images, volumes, networks, delete, exec each hold a twin.
    expect(walked).toBeGreaterThanOrEqual(15);
  });
});
