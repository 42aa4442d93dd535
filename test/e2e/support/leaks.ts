import { expect } from 'vitest';
import type { Fixture } from './fixtures.ts';

export interface HiddenFacts extends Fixture {
  /** Label keys and values, env values and log lines that belong to the hidden container. */
  readonly secrets: readonly string[];
}

/**
 * Asserts that an answer carries no byte that identifies a hidden container: its full or short id,
 * its name, its labels, its environment or its logs. The reference the client itself sent may be
 * echoed back, as the daemon does in "No such container: <ref>".
 */
export function expectNoLeak(body: string, hidden: HiddenFacts, echoed = ''): void {
  const rest = echoed ? body.split(echoed).join('') : body;
  for (const needle of [hidden.id, hidden.id.slice(0, 12), hidden.name, ...hidden.secrets]) {
    expect(rest, `answer leaks ${needle}`).not.toContain(needle);
  }
}
