import { expect } from 'vitest';
import type { Fixture } from './fixtures.ts';
import { createContainer } from './fixtures.ts';

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

/** A hidden container `<prefix>-hid` with a label, an env secret and a log line to look for in answers. */
export async function createHiddenWithSecrets(
  dockerHost: string,
  image: string,
  prefix: string,
): Promise<HiddenFacts> {
  const h = await createContainer(dockerHost, image, {
    name: `${prefix}-hid`,
    labels: { [`${prefix}.secret-label`]: `${prefix}-label-value` },
    env: { TOKEN: `${prefix}-env-secret` },
  });
  return {
    ...h,
    secrets: [`${prefix}-label-value`, `${prefix}.secret-label`, `${prefix}-env-secret`, `log-of-${h.name}`],
  };
}
