import type { z } from 'zod';
import { editDistance } from './env-names.ts';

/** What a zod issue of the configuration file says to the user: the innermost problem, in words. */

/**
 * A value that is an object but matches no alternative of a union (`create: {...}` beside `create:
 * unrestricted`): what is wrong inside the object says more than "expected one of".
 */
export function innermost(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== 'invalid_union') return issue;
  for (const branch of issue.errors) {
    const [inner] = branch;
    if (inner && (inner.path.length > 0 || inner.code === 'unrecognized_keys')) {
      return innermost({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
    }
  }
  return issue;
}

export function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is not valid';
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type') return `expected ${issue.expected}`;
  if (issue.code === 'invalid_union') {
    if (issue.path.includes('create')) return 'expected "unrestricted", or an object of create rules';
    if (issue.path.includes('containers'))
      return 'expected "all", "owned", or an object with "names", "labels" and/or "owned"';
  }
  return issue.message;
}

/** The keys a schema's object at `path` knows (through arrays, optionals, defaults, unions, pipes). */
export function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  const at = (node: unknown, rest: readonly PropertyKey[]): string[] => {
    const def = (node as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
    if (!def) return [];
    switch (def.type) {
      case 'optional':
      case 'default':
      case 'nullable':
      case 'readonly':
        return at(def.innerType, rest);
      case 'pipe':
        return at(def.in, rest);
      case 'union':
        return [...new Set((def.options as unknown[]).flatMap((o) => at(o, rest)))];
      case 'array':
        return typeof rest[0] === 'number' ? at(def.element, rest.slice(1)) : [];
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (rest.length === 0) return Object.keys(shape);
        return at(shape[String(rest[0])], rest.slice(1));
      }
      default:
        return [];
    }
  };
  return at(schema, path);
}

/** The known key an unknown one most likely meant: the same in other letter case, or two edits away at most. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
