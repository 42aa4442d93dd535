import { z } from 'zod';
import type { CallerContainerRules } from '../policy/caller-container.ts';
import type { LabelRule, MatchMode } from '../policy/matcher.ts';
import { compileText, parseLabelRules } from '../policy/matcher.ts';

/** The `match.container` key of a client in the configuration file (see file.ts; issue #23). */

type Where = (...keys: PropertyKey[]) => PropertyKey[];
type Fail = (path: readonly PropertyKey[], message: string) => never;

const list = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const callerContainerSchema = z
  .object({
    names: list.optional(),
    labels: list.optional(),
    match: z.enum(['substring', 'exact', 'glob', 'regex']).optional(),
    profileLabel: z.boolean().optional(),
  })
  .strict()
  .refine(
    (c) => c.names !== undefined || c.labels !== undefined || c.profileLabel === true,
    'give "names", "labels" and/or "profileLabel: true"',
  );

/**
 * The texts of name and label rules, checked as a start must (`containers:` of a client and
 * `match.container`): label rules parsed (`at('labels', j)` names a bad one), every text compiled in
 * its match mode (`at()` names a bad one).
 */
export function visibilityTexts(
  spec: {
    readonly names?: readonly string[] | undefined;
    readonly labels?: readonly string[] | undefined;
    readonly match?: MatchMode | undefined;
  },
  at: Where,
  fail: Fail,
): { mode: MatchMode; labels: LabelRule[] } {
  const mode = spec.match ?? 'substring';
  const labels = (spec.labels ?? []).flatMap((entry, j) => {
    try {
      return parseLabelRules(entry);
    } catch (error) {
      return fail(at('labels', j), (error as Error).message);
    }
  });
  for (const [j, text] of [
    ...(spec.names ?? []),
    ...labels.flatMap((l) => [l.key, l.value ?? '']),
  ].entries()) {
    try {
      if (text !== '') compileText(text, mode);
    } catch (error) {
      fail(at(), `entry ${j + 1} is not a valid ${mode}: ${(error as Error).message}`);
    }
  }
  return { mode, labels };
}

/** `match.container`, checked: its label rules parsed, its texts compiled in their match mode. */
export function callerContainerRules(
  spec: z.infer<typeof callerContainerSchema>,
  at: Where,
  fail: Fail,
): CallerContainerRules {
  const { mode, labels } = visibilityTexts(spec, (...keys) => at(...keys), fail);
  const names = spec.names ?? [];
  return {
    // Without names or labels, any container (the client label alone decides).
    containers: names.length === 0 && labels.length === 0 ? 'all' : { names, labels, match: mode },
    profileLabel: spec.profileLabel === true,
  };
}
