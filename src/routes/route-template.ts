import { remembered } from '../memo.ts';
import type { Route } from './route.ts';

/**
 * The route template of a classified request, `METHOD /path` with every name or id replaced by a
 * placeholder, in the syntax of the `allow` lists (routes/templates.ts): `{id}` and `{name}` for one
 * segment, `**` for image and plugin names (they may contain `/`). It labels metrics and audit lines
 * (never an id, so their number stays bounded) and is what `dockscope suggest` proposes.
 */
export function routeTemplate(method: string, route: Route | undefined, path: string): string {
  if (!route) return `${method} (unknown route)`;
  return `${method} ${templatePath(route, path)}`;
}

/** Paths whose object names are generic segments, in the order they are tried. */
const GENERIC: readonly [RegExp, string][] = [
  [/^\/images\/.+\/(json|history|get|push|tag)$/, '/images/**/$1'],
  [/^\/images\/(?!json$|search$|get$|create$|load$|prune$).+$/, '/images/**'],
  [/^\/distribution\/.+\/json$/, '/distribution/**/json'],
  [/^\/plugins\/(?!pull$|create$|privileges$).+\/(json|enable|disable|push|upgrade|set)$/, '/plugins/**/$1'],
  [/^\/plugins\/(?!pull$|create$|privileges$).+$/, '/plugins/**'],
  [/^\/(nodes|services|secrets|configs|tasks)\/(?!create$)[^/]+(\/(?:update|logs))?$/, '/$1/{id}$2'],
  [/^\/volumes\/(?!create$|prune$).+$/, '/volumes/{name}'],
  [/^\/networks\/(?!create$|prune$)[^/]+(\/(?:connect|disconnect))?$/, '/networks/{id}$1'],
];

/** A path of the route table with no name in it: lower-case words only. */
const FIXED = /^(\/[a-z_]{1,20}){1,3}$/;

function refusedShape(path: string): string {
  const [, first = ''] = path.split('/');
  const section = /^[a-z_]{1,20}$/.test(first) ? first : 'unlisted';
  return `/${section}/(refused)`;
}

function templatePath(route: Route, path: string): string {
  switch (route.kind) {
    case 'container': {
      const [action, ...more] = route.rest;
      if (action === undefined) return '/containers/{id}';
      return `/containers/{id}/${action}${more.map(() => '/{name}').join('')}`;
    }
    case 'containerLink':
      return '/containers/{id}/{alias}';
    case 'exec':
      return `/exec/{id}/${route.action}`;
    case 'refused':
      // Refused routes may have any number of segments the client typed: only their shape is kept.
      return refusedShape(path);
    default:
      return otherTemplate(path);
  }
}

/** The template of any other classified path, remembered per path (this runs on every request). */
const otherTemplate = remembered((path: string): string => {
  for (const [pattern, template] of GENERIC) {
    if (pattern.test(path)) return path.replace(pattern, template);
  }
  // Fixed paths of the route table only (`/containers/json`, `/_ping`); anything else is not one.
  return FIXED.test(path) ? path : '(unlisted)';
}, 1024);
