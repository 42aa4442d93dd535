import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
const POLICY = join(ROOT, 'policy');

/** Every `.ts` file under a folder. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The relative imports of a file (type-only ones too: a cycle of types is still one of concerns). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
    out.push(resolve(dirname(file), m[1] ?? ''));
  }
  return out;
}

/** The cycles among the files of src/policy, each as the list of files that close it. */
function cycles(files: readonly string[]): string[][] {
  const inside = new Set(files);
  const graph = new Map(files.map((f) => [f, [...new Set(importsOf(f))].filter((i) => inside.has(i))]));
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found.map((c) => c.map((f) => relative(ROOT, f)));
}

describe('src/policy imports', () => {
  it('the parser sees the imports it checks (decide.ts imports decide-create.ts)', () => {
    expect(importsOf(join(POLICY, 'decide.ts'))).toContain(join(POLICY, 'decide-create.ts'));
  });
  it('form no cycle (issue #21: decide ↔ decide-owned ↔ decide-create ↔ references)', () => {
    expect(cycles(filesUnder(POLICY))).toEqual([]);
  });
});
