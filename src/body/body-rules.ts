import type { UnknownFields } from './go-decode.ts';
import { DROP_UNKNOWN } from './go-decode.ts';

/** The API versions whose request-body types daemon-types.ts lists completely (audited, issue #20). */
const TABLE_MIN_API = '1.24';
const TABLE_MAX_API = '1.51';

/**
 * How the daemon's create decoder treats HostConfig fields at the top level of a create body:
 * - `embedded`: up to Docker 26.1 (API 1.45) runconfig.ContainerConfigWrapper embeds a HostConfig, and
 *   getHostConfig merges it with the inner one (create-wrapper.ts);
 * - `ignored`: from Docker 27.0 (API 1.46) the body is container.CreateRequest, with no embedded
 *   HostConfig: top-level host fields are unknown keys, which Go ignores;
 * - `refused`: the upstream's version is not known, so neither can be assumed.
 */
export type TopLevelHostConfig = 'embedded' | 'ignored' | 'refused';

export interface BodyRules {
  readonly unknown: UnknownFields;
  readonly topLevelHostConfig: TopLevelHostConfig;
}

/** `1.41` → [1, 41]; null for anything that is not MAJOR.MINOR. */
function parseApi(version: string): readonly [number, number] | null {
  const m = /^(\d{1,4})\.(\d{1,4})$/.exec(version);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function compareApi(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

const MIN = parseApi(TABLE_MIN_API) as readonly [number, number];
const MAX = parseApi(TABLE_MAX_API) as readonly [number, number];
const LAST_EMBEDDED: readonly [number, number] = [1, 45];

/**
 * The body rules for an upstream of this API version (its `/version` ApiVersion; null when it could
 * not be asked). Only a version the table covers lets unknown keys be dropped as the daemon drops
 * them: for a newer daemon a key the table lacks may be a field it reads, and dropping it would
 * silently change what the client asked for (a restriction it asked for would be missing). The
 * refusal names the version so that the operator knows dockscope needs an update.
 */
export function bodyRulesFor(apiVersion: string | null): BodyRules {
  const parsed = apiVersion === null ? null : parseApi(apiVersion);
  if (parsed === null) {
    return {
      unknown: {
        kind: 'refuse',
        because: ` (the upstream's API version ${apiVersion === null ? 'could not be asked' : `${JSON.stringify(apiVersion)} is not one dockscope reads`}, so it cannot tell whether the daemon reads it)`,
      },
      topLevelHostConfig: 'refused',
    };
  }
  if (compareApi(parsed, MIN) < 0 || compareApi(parsed, MAX) > 0) {
    return {
      unknown: {
        kind: 'refuse',
        because: ` in the API versions dockscope knows (${TABLE_MIN_API} to ${TABLE_MAX_API}); the upstream speaks API ${apiVersion}, which may read it: update dockscope`,
      },
      topLevelHostConfig: compareApi(parsed, LAST_EMBEDDED) <= 0 ? 'embedded' : 'ignored',
    };
  }
  return {
    unknown: DROP_UNKNOWN,
    topLevelHostConfig: compareApi(parsed, LAST_EMBEDDED) <= 0 ? 'embedded' : 'ignored',
  };
}

/** Fail closed: what a body is decoded with when no upstream version was asked for (list filters, tests). */
export const STRICT_BODY_RULES: BodyRules = bodyRulesFor(null);
