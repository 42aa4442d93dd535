import type { IncomingHttpHeaders } from 'node:http';
import { goToLower } from '../body/go-strings.ts';
import { goMediaType, isFormType } from '../body/media-type.ts';
import { remembered } from '../memo.ts';
import type { Client } from '../policy/clients.ts';
import type { LaneClass } from '../routes/compile-table.ts';
import type { Route } from '../routes/route.ts';
import { match } from '../routes/table.ts';
import type { RequestTarget } from '../routes/target.ts';
import { parseTarget, TargetError } from '../routes/target.ts';
import { errors } from './errors.ts';
import { hasRequestBody } from './headers.ts';

const METHOD = /^[A-Z]+$/;

/**
 * Below API 1.24 the daemon still takes a HostConfig on `start` and serves `/copy`: old request
 * shapes dockscope does not judge. The CLI and client libraries negotiate far newer versions.
 */
const MIN_API_VERSION = '1.24';

/** Compares dotted versions numerically, as the daemon does ("1.041" is 1.41). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a version is below the floor, per version seen (a handful in practice). */
const tooOld = remembered((version: string) => compareVersions(version, MIN_API_VERSION) < 0, 256);

/** Routes whose body is a tar stream (build contexts, image and plugin tarballs, archive uploads). */
function takesTar(method: string, route: Route, path: string): boolean {
  switch (route.kind) {
    case 'build':
    case 'imageCreate':
    case 'imageLoad':
      return true;
    case 'container':
      return method === 'PUT' && route.rest[0] === 'archive';
    case 'hostAccess':
      return path === '/plugins/create';
    default:
      return false;
  }
}

/**
 * The Content-Type to forward with a piped body: one dockscope writes itself, never the client's
 * (issue #19). The client's is read as the daemon reads it (body/media-type.ts): a form body would
 * let Go's ParseForm replace the judged query with body values, and newer daemons hand any
 * `application/grpc` request to BuildKit whatever its path, so both are refused. A form type without
 * a body is harmless (curl sends one with `-d ''`) and is dropped like any other.
 */
function forwardedContentType(
  method: string,
  route: Route,
  path: string,
  headers: IncomingHttpHeaders,
): string | undefined {
  if (!hasRequestBody(headers)) return undefined;
  const value = headers['content-type'];
  const media = value === undefined ? null : goMediaType(value);
  if (media && 'malformed' in media) throw errors.badRequest('malformed Content-Type header');
  if (media && isFormType(media.type))
    throw errors.badRequest('form-encoded request bodies are not accepted');
  return takesTar(method, route, path) ? 'application/x-tar' : 'application/json';
}

/**
 * The client's allow/deny lists on a classified route, checked before anything is decided. Returns the
 * lists' verdict (its `by` is the rule that decided); a refusal is thrown, except for a learning
 * client, whose request is served and reported as a would-deny (`allowed` false).
 */
export function checkLists(
  client: Client,
  method: string,
  target: RequestTarget,
): ReturnType<Client['routes']['explain']> {
  const { path } = target;
  const lists = client.routes.explain(method, path, target);
  if (!lists.allowed && !client.learning) throw errors.routeRefused(client.name, method, path, lists.by);
  return lists;
}

/** A classified request: its target, its row of the route table, and the Content-Type to forward. */
export interface Classified {
  readonly target: RequestTarget;
  readonly route: Route;
  /** `METHOD /path` with placeholders for names (metrics, audit, `suggest`). */
  readonly template: string;
  readonly lane: LaneClass;
  readonly contentType: string | undefined;
}

/** The template of a request that matched no route (or was refused before it could). */
export function unknownTemplate(method: string): string {
  return `${method} (unknown route)`;
}

/**
 * The first step of every decision, shared by plain and upgraded requests and `dockscope explain`:
 * the target parsed as the daemon would, the version floor checked, the route matched in the route
 * table (once: its Route, template and lane together), and the Content-Type to forward with a piped
 * body chosen (none without a body). Then the client's lists (checkLists), then policy/decide.
 */
export function classifyRequest(method: string, url: string, headers: IncomingHttpHeaders): Classified {
  if (!METHOD.test(method)) throw errors.badRequest('method must be an upper-case token');
  let target: ReturnType<typeof parseTarget>;
  try {
    target = parseTarget(url);
  } catch (error) {
    if (error instanceof TargetError) throw errors.badRequest(error.message);
    throw error;
  }
  if (target.version !== null && tooOld(target.version)) {
    throw errors.badRequest(
      `client version ${target.version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  }
  const type = headers['content-type'];
  if (type !== undefined && goToLower(type).trimStart().startsWith('application/grpc'))
    throw errors.refused('gRPC requests are refused');
  const matched = match(method, target);
  if (!matched) throw errors.unknownRoute(method, target.path);
  const { route, template, lane } = matched;
  return {
    target,
    route,
    template,
    lane,
    contentType: forwardedContentType(method, route, target.path, headers),
  };
}
