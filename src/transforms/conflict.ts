import { isObject } from '../policy/container-facts.ts';

const IN_USE_BY = / by container "[0-9a-f]{12,64}"/g;

/**
 * A name conflict on create or rename names the container that holds the name
 * ("... is already in use by container "<id>" ..."). That container may be hidden, so its id is cut.
 */
export function conflictTransform(body: unknown): unknown {
  if (isObject(body) && typeof body.message === 'string') {
    body.message = body.message.replace(IN_USE_BY, '');
  }
  return body;
}
