import { remembered } from '../memo.ts';
import type { Profile } from '../policy/clients.ts';
import { classify } from '../routes/classify.ts';
import type { Route } from '../routes/route.ts';
import type { RequestTarget } from '../routes/target.ts';
import { parseTarget, TargetError } from '../routes/target.ts';
import { errors } from './errors.ts';

const METHOD = /^[A-Z]+$/;

/**
 * Below API 1.24 the daemon still takes a HostConfig on `start` and serves `/copy`: old request
 * shapes dockscope does not judge. The CLI and client libraries negotiate far newer versions.
 */
export const MIN_API_VERSION = '1.24';

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

/**
 * Bodies the daemon would read differently from dockscope: a form-encoded POST body overrides the
 * query in Go's ParseForm (so `?networkmode=` could be replaced after the check), and newer daemons
 * hand any `application/grpc` request to BuildKit whatever its path.
 */
function checkContentType(contentType: string | undefined): void {
  const type = (contentType ?? '').toLowerCase();
  if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
    throw errors.badRequest('form-encoded request bodies are not accepted');
  }
  if (type.startsWith('application/grpc')) throw errors.refused('gRPC requests are refused');
}

/**
 * The client's allow/deny lists on a classified route, checked before anything is decided. Returns the
 * lists' verdict (its `by` is the rule that decided); a refusal is thrown, except for a learning
 * client, whose request is served and reported as a would-deny (`allowed` false).
 */
export function checkLists(
  profile: Profile,
  method: string,
  path: string,
): ReturnType<Profile['routes']['explain']> {
  const lists = profile.routes.explain(method, path);
  if (!lists.allowed && !profile.learning) throw errors.routeRefused(profile.client, method, path, lists.by);
  return lists;
}

/**
 * The first step of every decision, shared by plain and upgraded requests: the target parsed as the
 * daemon would, the version floor and content type checked, and the route classified. Then the
 * client's lists (checkLists), then policy/decide.
 */
export function classifyRequest(
  method: string,
  url: string,
  contentType: string | undefined,
): { target: RequestTarget; route: Route } {
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
  checkContentType(contentType);
  const route = classify(method, target);
  if (!route) throw errors.unknownRoute(method, target.path);
  return { target, route };
}
