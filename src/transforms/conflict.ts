import { DIALECTS } from '../upstream/dialect.ts';

/** Every dialect's words: an answer is cut the same whichever upstream wrote it. */
const IN_USE_BY = Object.values(DIALECTS).map((d) => d.inUseBy);

/**
 * A name conflict on create or rename names the container that holds the name (dockerd: "... is
 * already in use by container "<id>" ...", Podman: "... is already in use by <id>. ..."). That
 * container may be hidden, so its id is cut, from the answer's text as sent (plain or JSON), so that
 * the rest keeps the upstream's bytes.
 */
export function removeInUseBy(text: string): string {
  return IN_USE_BY.reduce((out, pattern) => out.replace(pattern, ''), text);
}

const HEX_ID = /\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b/g;

/**
 * Error messages of removals (a volume or image in use, a network with endpoints) list container ids:
 * every id that is not a visible container is replaced, so a hidden container's id never leaks. Over
 * an answer's raw text, JSON or not (a failed start says "cannot join IPC of container
 * <id>"; a socket proxy may answer in plain text): ids are plain hex, so no escaping stands in the way.
 */
export async function scrubIdsInText(
  text: string,
  isVisibleId: (id: string) => Promise<boolean>,
): Promise<string> {
  let out = text;
  for (const id of new Set(text.match(HEX_ID) ?? [])) {
    if (!(await isVisibleId(id))) out = out.replaceAll(id, '<hidden>');
  }
  return out;
}
