import type { RouteRef, WithQuery } from './equivalents.ts';
import { relatedRoutes } from './equivalents.ts';
import { PERMISSION_GROUPS } from './table.ts';

/**
 * `allow` and `deny` lists of a client: route templates `METHOD /path` (the path without the version
 * prefix; `{id}` or `*` is one segment, `**` any number of segments, the method `*` any method) and
 * named permission groups (each the templates of the rows of routes/table.ts that name it). Compiled
 * at start; a template that cannot be read is a configuration error.
 */
const METHOD = /^(\*|[A-Z]+)$/;

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** One compiled template: the text it came from, and its test. */
interface RouteTemplate {
  readonly text: string;
  matches(method: string, path: string): boolean;
}

/** Compiles `METHOD /path`, or a group's name into its templates. */
export function compileTemplates(entries: readonly string[]): RouteTemplate[] {
  const out: RouteTemplate[] = [];
  for (const entry of entries) {
    const group = Object.hasOwn(PERMISSION_GROUPS, entry)
      ? PERMISSION_GROUPS[entry as keyof typeof PERMISSION_GROUPS]
      : undefined;
    if (group) {
      for (const t of group) out.push(compileTemplate(t, entry));
      continue;
    }
    out.push(compileTemplate(entry, entry));
  }
  return out;
}

function compileTemplate(template: string, origin: string): RouteTemplate {
  const parts = template.trim().split(/\s+/);
  const [method = '', path = ''] = parts;
  if (parts.length !== 2 || !METHOD.test(method) || !path.startsWith('/')) {
    throw new TemplateError(
      `"${template}" is neither a permission group (${Object.keys(PERMISSION_GROUPS).join(', ')}) nor a route template such as "GET /containers/{id}/json"`,
    );
  }
  if (/^\/v[0-9.]+\//.test(path))
    throw new TemplateError(`"${template}": write the path without the version prefix`);
  const segments = path === '/' ? [] : path.slice(1).split('/');
  for (const s of segments) {
    if (s === '') throw new TemplateError(`"${template}" has an empty path segment`);
    if (s.includes('*') && s !== '*' && s !== '**') {
      throw new TemplateError(`"${template}": "*" and "**" stand for whole segments`);
    }
  }
  const matchSegments = (path: readonly string[], i: number, j: number): boolean => {
    if (i === segments.length) return j === path.length;
    const s = segments[i];
    if (s === '**') {
      for (let k = j; k <= path.length; k++) if (matchSegments(path, i + 1, k)) return true;
      return false;
    }
    if (j >= path.length) return false;
    const p = path[j] ?? '';
    const one = s === '*' || (s?.startsWith('{') && s.endsWith('}'));
    return (one ? p !== '' : p === s) && matchSegments(path, i + 1, j + 1);
  };
  const text = origin === template ? template : `${template} (group ${origin})`;
  return {
    text,
    matches: (m, p) =>
      (method === '*' || method === m) && matchSegments(p === '/' ? [] : p.slice(1).split('/'), 0, 0),
  };
}

/** A client's lists, compiled: `deny` first, then `allow` (absent: every route dockscope knows). */
export interface RouteRules {
  /** The template that refuses the request, or null when it may pass. */
  check(method: string, path: string, target?: WithQuery | null): { readonly refusedBy: string } | null;
  /** The entry that lets the request pass, or refuses it (for the audit log). */
  explain(
    method: string,
    path: string,
    target?: WithQuery | null,
  ): { readonly allowed: boolean; readonly by: string };
}

const NO_ALLOW_LIST = { allowed: true, by: 'no allow list' } as const;
const NO_ENTRY = { allowed: false, by: 'allow: no entry matches' } as const;
/** Relations followed per request at the most (a `docker save` of many names is the long case). */
const MAX_RELATED = 256;

export function compileRouteRules(
  allow: readonly string[] | undefined,
  deny: readonly string[] | undefined,
): RouteRules {
  const denied = compileTemplates(deny ?? []);
  const allowed = allow === undefined ? null : compileTemplates(allow);
  // Every answer is made once here: explain runs on every request.
  const denies = denied.map((t) => ({ t, answer: { allowed: false, by: `deny: ${t.text}` } }));
  const allows = allowed?.map((t) => ({ t, answer: { allowed: true, by: `allow: ${t.text}` } })) ?? null;
  const explainOne = (method: string, path: string) => {
    for (const d of denies) if (d.t.matches(method, path)) return d.answer;
    if (allows === null) return NO_ALLOW_LIST;
    for (const a of allows) if (a.t.matches(method, path)) return a.answer;
    return NO_ENTRY;
  };
  /**
   * A request passes only if no route it also gives is denied, and every route whose own answer it
   * gives passes as well (routes/equivalents.ts), followed transitively.
   */
  const explainRelated = (method: string, path: string, target: WithQuery | null) => {
    let related = relatedRoutes(method, path, target);
    // Most requests give nothing else: nothing is allocated for them.
    if (related.yields.length === 0 && related.covers.length === 0) return null;
    const seen = new Set([`${method} ${path}`]);
    const queue: RouteRef[] = [];
    const visit = (m: string, p: string) => {
      const key = `${m} ${p}`;
      if (seen.has(key)) return;
      seen.add(key);
      queue.push([m, p]);
    };
    for (let i = 0; ; i++) {
      for (const [m, p] of related.yields) {
        const answer = explainOne(m, p);
        if (!answer.allowed)
          return { allowed: false, by: `${answer.by} for ${m} ${p}, which this request also answers` };
        visit(m, p);
      }
      for (const [m, p] of related.covers) {
        for (const d of denies) {
          if (d.t.matches(m, p)) return { allowed: false, by: `${d.answer.by}, covering ${m} ${p}` };
        }
        visit(m, p);
      }
      // The request and at most MAX_RELATED - 1 routes it leads to.
      const next = queue[i];
      if (next === undefined || i + 1 >= MAX_RELATED) return null;
      related = relatedRoutes(next[0], next[1], null);
    }
  };
  const explain = (method: string, path: string, target: WithQuery | null = null) => {
    const own = explainOne(method, path);
    if (!own.allowed || (denies.length === 0 && allows === null)) return own;
    return explainRelated(method, path, target) ?? own;
  };
  return {
    explain,
    check: (method, path, target = null) => {
      const decision = explain(method, path, target);
      return decision.allowed ? null : { refusedBy: decision.by };
    },
  };
}
