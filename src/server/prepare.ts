import type { DecideContext, Forward } from '../policy/decide.ts';
import { decide } from '../policy/decide.ts';
import { classify } from '../routes/classify.ts';
import type { Route } from '../routes/route.ts';
import { parseTarget, TargetError } from '../routes/target.ts';
import { errors } from './errors.ts';

export interface Prepared {
  readonly route: Route;
  readonly forward: Forward;
}

const METHOD = /^[A-Z]+$/;

/**
 * The whole decision for one request, shared by plain and upgraded requests: parse the target the way
 * the daemon would, classify it, and decide. Throws a DockerApiError for anything refused.
 */
export async function prepare(
  method: string,
  url: string,
  readJsonBody: () => Promise<unknown>,
  ctx: DecideContext,
  onRoute?: (route: Route) => void,
): Promise<Prepared> {
  if (!METHOD.test(method)) throw errors.badRequest('method must be an upper-case token');
  let target: ReturnType<typeof parseTarget>;
  try {
    target = parseTarget(url);
  } catch (error) {
    if (error instanceof TargetError) throw errors.badRequest(error.message);
    throw error;
  }
  const route = classify(method, target);
  if (!route) throw errors.unknownRoute(method, target.path);
  onRoute?.(route);
  const forward = await decide({ method, target, route, raw: url, readJsonBody }, ctx);
  return { route, forward };
}
