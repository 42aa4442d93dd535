import { PERMISSION_GROUPS } from './routes/table.ts';

/**
 * `dockscope suggest`: the smallest `allow:` list that covers what a client did, from its audit lines
 * (a client in learn mode has every request audited). It lists the route templates the client used;
 * a permission group replaces its templates only when the client used every one of them, so the list
 * never allows more than the client did.
 */
export function suggestAllow(lines: Iterable<string>, client: string): string[] {
  const used = new Set<string>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof record !== 'object' || record === null) continue;
    const { client: who, route, decision, audit, learning } = record as Record<string, unknown>;
    // Audit lines of the client while it was learning only: a refusal from a time it was enforcing
    // must not become an allow entry, nor an access-log line a template.
    if (audit !== true || learning !== true || who !== client || typeof route !== 'string') continue;
    if (decision === 'invalid' || decision === 'refused') continue;
    if (route.endsWith('(unknown route)')) continue;
    // `**` also matches no segment: `GET /images/**/json` would allow the image list. A name is
    // at least one segment.
    used.add(route.replaceAll('/**/', '/*/**/').replace(/\/\*\*$/, '/*/**'));
  }
  const left = new Set(used);
  const groups: string[] = [];
  // Largest groups first, so that one group covers what two smaller ones would.
  const byCover = Object.entries(PERMISSION_GROUPS).sort((a, b) => b[1].length - a[1].length);
  for (const [name, templates] of byCover) {
    if (templates.every((t) => used.has(t)) && templates.some((t) => left.has(t))) {
      groups.push(name);
      for (const t of templates) left.delete(t);
    }
  }
  return [...groups.sort(), ...[...left].sort()];
}

/** The list as YAML, ready to paste into the client's entry. */
export function formatAllow(entries: readonly string[]): string {
  if (entries.length === 0) return 'allow: []\n';
  return `allow:\n${entries.map((e) => `  - ${JSON.stringify(e)}`).join('\n')}\n`;
}
