import { errors } from '../errors.ts';
import type { ParsedChanges } from './dockerfile-lines.ts';
import { ChangesError, parseChanges } from './dockerfile-lines.ts';
import { labelPairs } from './dockerfile-words.ts';
import type { Ownership } from './ownership.ts';
import { ownerLabelRefusal } from './ownership.ts';

/**
 * The `changes` of a commit or an import by a client with an owner (issue #19): a LABEL that sets the
 * owner label to another value is refused (403), a change dockscope cannot read with certainty (a
 * lexing error, a variable in a label key or in the owner label's value, builder flags) is refused
 * (400), and what is forwarded is the canonical form of what was judged: one value per instruction,
 * continuations joined, comments dropped, the escape directive kept, and last the owner's own
 * `LABEL`, so that the daemon's last word on the label is dockscope's. An instruction the daemon
 * itself refuses (`RUN`, a LABEL without `=`) is judged as refused, forwarded, and the daemon answers.
 */

const unreadable = (why: string) => errors.badRequest(`changes cannot be read with certainty: ${why}`);

function judge(parsed: ParsedChanges, owner: Ownership): void {
  for (const { command, rest } of parsed.instructions) {
    if (command !== 'label') continue;
    // Builder flags (`LABEL --x a=b`, or `--` before the pairs) are read byte-wise by the daemon.
    if (rest.startsWith('--')) throw unreadable('a LABEL with builder flags');
    let pairs: ReturnType<typeof labelPairs>;
    try {
      pairs = labelPairs(rest, parsed.escape);
    } catch (error) {
      if (error instanceof ChangesError) throw unreadable(error.message);
      throw error;
    }
    for (const { key, value } of pairs ?? []) {
      if (key === null) throw unreadable('a LABEL key uses a variable, so the label it sets is not known');
      if (key !== owner.key) continue;
      if (value === null) throw unreadable(`the value of ${owner.key} uses a variable`);
      if (value !== owner.owner) throw ownerLabelRefusal('changes', owner);
    }
  }
}

/** The changes to forward: judged, in canonical form, the owner's label last. */
export function ownedChanges(values: readonly string[], owner: Ownership): string[] {
  let parsed: ParsedChanges;
  try {
    parsed = parseChanges(values);
  } catch (error) {
    if (error instanceof ChangesError) throw unreadable(error.message);
    throw error;
  }
  judge(parsed, owner);
  // Key and owner are letters, digits and `._-/` (config/file.ts): literal under either escape token.
  const own = `LABEL ${owner.key}=${owner.owner}`;
  const out = [
    ...(parsed.escape === '`' ? ['# escape=`'] : []),
    ...parsed.instructions.map((i) => i.text),
    own,
  ];
  // What is sent must read back as exactly what was judged: a joined line that would itself end in
  // a continuation (or lose a byte-order mark) would swallow the next value or change.
  const again = parseChanges(out);
  const same =
    again.escape === parsed.escape &&
    again.instructions.length === parsed.instructions.length + 1 &&
    parsed.instructions.every((i, n) => again.instructions[n]?.text === i.text) &&
    again.instructions.at(-1)?.text === own;
  if (!same) throw unreadable('a change does not read the same once its lines are joined');
  return out;
}

/** A copy of the query with `changes` judged and replaced by the canonical ones. */
export function withOwnedChanges(query: URLSearchParams, owner: Ownership): URLSearchParams {
  const out = new URLSearchParams(query);
  const changes = ownedChanges(out.getAll('changes'), owner);
  out.delete('changes');
  for (const change of changes) out.append('changes', change);
  return out;
}
