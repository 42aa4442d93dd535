import type { Route } from './route.ts';
import type { RequestTarget } from './target.ts';

/**
 * How a route's upstream wait is classed (resolved into a lane and a header wait by routes/timing.ts):
 * `short`, `slow` and `stream` are lanes; `follow` streams when the query's `follow` is true (logs),
 * `stats` streams unless `stream` is false, `stop` waits `t` seconds more (stop, restart).
 */
export type LaneClass = 'short' | 'slow' | 'stream' | 'follow' | 'stats' | 'stop';

/** The permission groups a client's `allow` and `deny` lists may name (docs/routes.md). */
export const GROUP_NAMES = [
  'ping',
  'read-only',
  'logs',
  'events',
  'exec',
  'lifecycle',
  'create',
  'delete',
  'files',
  'images',
  'networks',
  'volumes',
  'system',
  'plugins',
  'swarm',
] as const;
export type GroupName = (typeof GROUP_NAMES)[number];

/** Makes the typed Route of a matched row from the path's placeholders, in order, and the target. */
export type Build = (params: readonly string[], target: RequestTarget) => Route;

/**
 * One Engine API route: its method, its path template, the Route it is, its lane class and the
 * permission groups that hold it. Path segments are literal words, `{x}` (one segment: an id or a
 * name), `{x+}` (one or more segments, labelled `{x}`, `**` in a list) or `**` (one or more segments:
 * image and plugin references contain `/`, as the daemon's `{name:.*}`).
 */
export interface RouteRow {
  readonly method: string;
  readonly path: string;
  readonly build: Build;
  readonly lane: LaneClass;
  readonly groups: readonly GroupName[];
  /** What docs/routes.md says the row builds, where the kind depends on the query. */
  readonly note?: string;
}

/** A matched request: the route, its template (metrics, audit, `suggest`) and its lane class. */
export interface RouteMatch {
  readonly route: Route;
  /** `METHOD /path` with every name replaced by its placeholder: never an id, never what was typed. */
  readonly template: string;
  readonly lane: LaneClass;
}

interface CompiledRow {
  readonly row: RouteRow;
  readonly template: string;
  /** A refused route keeps only its section: what the client typed may be anything. */
  readonly refusedTemplate: string;
  readonly params: number;
}

interface MethodTable {
  readonly fixed: Map<string, CompiledRow>;
  /** One regex of every row with placeholders, `^(?:(row1)|(row2)|...)$`: the first row wins. */
  readonly pattern: RegExp | null;
  readonly rows: readonly CompiledRow[];
  /** Where each row's own group starts in the pattern's match. */
  readonly offsets: readonly number[];
}

export interface CompiledTable {
  /** The route of a request, matched once: null when no row matches (refused: unknown route). */
  match(method: string, target: RequestTarget): RouteMatch | null;
  readonly rows: readonly RouteRow[];
  /** Each group's templates, in the syntax of the lists, in row order. */
  readonly groups: Readonly<Record<GroupName, readonly string[]>>;
}

const WORD = /^[a-z_]{1,20}$/;
const ONE = /^\{[a-z]+\}$/;
const MANY = /^\{[a-z]+\+\}$/;

/** A path template's three forms: its regex source, its label and its list template. */
export function pathForms(path: string): { source: string; label: string; list: string; params: number } {
  if (!path.startsWith('/')) throw new Error(`route table: "${path}" does not start with /`);
  const source: string[] = [];
  const label: string[] = [];
  const list: string[] = [];
  let params = 0;
  for (const s of path.slice(1).split('/')) {
    if (WORD.test(s)) {
      source.push(s);
      label.push(s);
      list.push(s);
    } else if (ONE.test(s)) {
      source.push('([^/]+)');
      label.push(s);
      list.push(s);
      params++;
    } else if (MANY.test(s) || s === '**') {
      source.push('(.+)');
      label.push(s === '**' ? s : s.replace('+', ''));
      list.push('**');
      params++;
    } else throw new Error(`route table: segment "${s}" of ${path} is neither a word nor a placeholder`);
  }
  const join = (parts: string[]) => `/${parts.join('/')}`;
  return { source: join(source), label: join(label), list: join(list), params };
}

/**
 * Compiles the rows once, at start: per method a map of the fixed paths and one regex of the rest.
 * A fixed path that an earlier row of its method would match, or a row written twice, is an error:
 * the map is only tried first because no earlier row can take a fixed path.
 */
export function compileTable(rows: readonly RouteRow[]): CompiledTable {
  const byMethod = new Map<string, RouteRow[]>();
  for (const row of rows) {
    const list = byMethod.get(row.method) ?? [];
    list.push(row);
    byMethod.set(row.method, list);
  }
  const tables = new Map<string, MethodTable>();
  for (const [method, list] of byMethod) {
    const fixed = new Map<string, CompiledRow>();
    const withParams: { compiled: CompiledRow; own: RegExp; source: string }[] = [];
    const seen = new Set<string>();
    for (const row of list) {
      if (seen.has(row.path)) throw new Error(`route table: ${method} ${row.path} is written twice`);
      seen.add(row.path);
      const forms = pathForms(row.path);
      const section = row.path.split('/')[1] ?? '';
      const compiled: CompiledRow = {
        row,
        template: `${method} ${forms.label}`,
        refusedTemplate: `${method} /${section}/(refused)`,
        params: forms.params,
      };
      if (forms.params === 0) {
        const shadow = withParams.find((r) => r.own.test(row.path));
        if (shadow) {
          throw new Error(
            `route table: ${method} ${row.path} is matched by ${shadow.compiled.row.path} first`,
          );
        }
        fixed.set(row.path, compiled);
      } else {
        withParams.push({ compiled, own: new RegExp(`^${forms.source}$`), source: forms.source });
      }
    }
    const offsets: number[] = [];
    let next = 1;
    for (const r of withParams) {
      offsets.push(next);
      next += 1 + r.compiled.params;
    }
    const pattern =
      withParams.length === 0
        ? null
        : new RegExp(`^(?:${withParams.map((r) => `(${r.source})`).join('|')})$`);
    tables.set(method, { fixed, pattern, rows: withParams.map((r) => r.compiled), offsets });
  }

  const answer = (c: CompiledRow, params: readonly string[], target: RequestTarget): RouteMatch => {
    const route = c.row.build(params, target);
    return { route, template: route.kind === 'refused' ? c.refusedTemplate : c.template, lane: c.row.lane };
  };
  const NO_PARAMS: readonly string[] = [];
  const match = (method: string, target: RequestTarget): RouteMatch | null => {
    const table = tables.get(method);
    if (!table) return null;
    const path = target.path;
    const fixed = table.fixed.get(path);
    if (fixed) return answer(fixed, NO_PARAMS, target);
    const m = table.pattern?.exec(path);
    if (!m) return null;
    for (let i = 0; i < table.rows.length; i++) {
      const at = table.offsets[i] ?? 0;
      if (m[at] === undefined) continue;
      const c = table.rows[i] as CompiledRow;
      return answer(c, m.slice(at + 1, at + 1 + c.params) as string[], target);
    }
    return null;
  };

  const groups = Object.fromEntries(GROUP_NAMES.map((g) => [g, [] as string[]])) as Record<
    GroupName,
    string[]
  >;
  for (const row of rows) {
    const entry = `${row.method} ${pathForms(row.path).list}`;
    for (const g of row.groups) if (!groups[g].includes(entry)) groups[g].push(entry);
  }
  for (const g of GROUP_NAMES) {
    if (groups[g].length === 0) throw new Error(`route table: no row is in the group ${g}`);
  }
  return { match, rows, groups };
}
