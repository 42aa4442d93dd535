import type { Outcome } from './differential.ts';

/**
 * The outcomes of a run through a client with an owner, with what docs/security.md says an owner
 * changes taken out: the `dockscope.owner` label on what it creates, and the classic builder's extra
 * step for the `labels` query (`Step n/n : LABEL dockscope.owner=<owner>` and its lines), which also
 * adds one to the step count. Anything else an owner changed stays, and fails the comparison.
 */
export function withoutOwnerMarks(outcomes: readonly Outcome[], owner: string): Outcome[] {
  return outcomes.map((o) => {
    const ok = o.ok as Record<string, unknown> | undefined;
    if (ok && typeof ok === 'object' && !Array.isArray(ok)) {
      const out: Record<string, unknown> = { ...ok };
      if (out.labels && typeof out.labels === 'object') {
        const { 'dockscope.owner': label, ...rest } = out.labels as Record<string, unknown>;
        if (label === owner) out.labels = rest;
      }
      if (Array.isArray(out.output)) out.output = withoutLabelStep(out.output as string[], owner);
      return { ...o, ok: out };
    }
    return o;
  });
}

function withoutLabelStep(lines: readonly string[], owner: string): string[] {
  const start = lines.indexOf(
    `Step ${countSteps(lines)}/${countSteps(lines)} : LABEL dockscope.owner=${owner}`,
  );
  if (start === -1) return [...lines];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('Successfully built'));
  const total = countSteps(lines);
  return [...lines.slice(0, start), ...lines.slice(end)].map((l) =>
    l.replace(new RegExp(`^Step (\\d+)/${total} `), `Step $1/${total - 1} `),
  );
}

function countSteps(lines: readonly string[]): number {
  const m = /^Step \d+\/(\d+) /.exec(lines.find((l) => l.startsWith('Step ')) ?? '');
  return m ? Number(m[1]) : 0;
}
