import type { CompiledTable, RouteRow } from './compile-table.ts';
import { GROUP_NAMES, pathForms } from './compile-table.ts';
import { parseTarget } from './target.ts';

/** The generated part of docs/routes.md lies between these lines (`npm run docs:routes` writes it). */
export const DOC_BEGIN =
  '<!-- route table: generated from src/routes/table.ts by `npm run docs:routes`; do not edit -->';
export const DOC_END = '<!-- end of the generated route table -->';

/** The Route kind a row builds, from a request of it with a name in each placeholder. */
function kindOf(row: RouteRow): string {
  const segments = row.path.split('/').map((s) => (s.startsWith('{') || s === '**' ? 'x' : s));
  const params = Array.from({ length: pathForms(row.path).params }, () => 'x');
  return row.build(params, parseTarget(segments.join('/'))).kind;
}

const LANES: Readonly<Record<RouteRow['lane'], string>> = {
  short: 'short',
  slow: 'slow',
  stream: 'stream',
  follow: 'stream with `follow=1`, else short',
  stats: 'stream unless `stream=0`',
  stop: 'short, plus `t` seconds (`t=-1`: slow)',
};

/** The route table and the permission groups as Markdown, from the compiled table. */
export function renderRoutesDoc(table: CompiledTable): string {
  const out = [
    DOC_BEGIN,
    '',
    '## The route table',
    '',
    'Every route dockscope knows, in the order it is matched (`src/routes/table.ts`); anything else is',
    'refused (403). The lane is the upstream capacity and header wait of the request',
    '([architecture](architecture.md#bounds-under-load-and-faults), `src/routes/timing.ts`); the groups',
    'are the permission groups that hold the route.',
    '',
    '| Method | Path | Route | Lane | Groups |',
    '|---|---|---|---|---|',
  ];
  for (const row of table.rows) {
    const kind = row.note ?? `\`${kindOf(row)}\``;
    const groups = row.groups.map((g) => `\`${g}\``).join(', ');
    out.push(
      `| ${row.method} | \`${pathForms(row.path).label}\` | ${kind} | ${LANES[row.lane]} | ${groups} |`,
    );
  }
  out.push(
    '',
    '## Permission groups',
    '',
    "Names a client's `allow` and `deny` lists may use beside route templates (see",
    '[configuration.md](configuration.md)); each stands for the templates of the rows that name it',
    '(`{id}`/`*` one segment, `**` any number, method `*` any).',
    '',
    '| group | templates |',
    '|---|---|',
  );
  for (const g of GROUP_NAMES)
    out.push(`| \`${g}\` | ${table.groups[g].map((t) => `\`${t}\``).join(', ')} |`);
  out.push('', DOC_END);
  return out.join('\n');
}

/** The document with its generated part replaced (or an error: the markers are missing). */
export function withRoutesDoc(document: string, generated: string): string {
  const begin = document.indexOf(DOC_BEGIN);
  const end = document.indexOf(DOC_END);
  if (begin === -1 || end < begin)
    throw new Error(`docs/routes.md has no "${DOC_BEGIN}" … "${DOC_END}" part`);
  return document.slice(0, begin) + generated + document.slice(end + DOC_END.length);
}
