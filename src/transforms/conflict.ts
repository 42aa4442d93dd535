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

const HEX_ID = /\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b/g;

/**
 * Error messages of removals (a volume or image in use, a network with endpoints) list container ids.
 * Every id that is not a visible container is replaced, so a hidden container's id never leaks.
 */
export async function scrubErrorIds(
  body: unknown,
  isVisibleId: (id: string) => Promise<boolean>,
): Promise<unknown> {
  if (!isObject(body) || typeof body.message !== 'string') return body;
  const ids = [...new Set(body.message.match(HEX_ID) ?? [])];
  let message = body.message;
  for (const id of ids) {
    if (!(await isVisibleId(id))) message = message.replaceAll(id, '<hidden>');
  }
  body.message = message;
  return body;
}
