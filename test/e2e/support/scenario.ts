import type { Fixture } from './fixtures.ts';
import { createContainer, removeContainers, uniquePrefix } from './fixtures.ts';

/**
 * The standard cast: containers visible by name, by label key, by label key=value, and hidden ones
 * that come close (the right key with the wrong value, key and value on different labels), each with
 * a secret in its environment.
 */
export interface Scenario {
  readonly prefix: string;
  readonly env: { CONTAINER_NAMES: string; CONTAINER_LABELS: string };
  readonly visible: readonly Fixture[];
  readonly hidden: readonly Fixture[];
  readonly byName: (suffix: string) => Fixture;
  secretOf(f: Fixture): string;
  cleanup(): Promise<void>;
}

export async function createScenario(dockerHost: string, image: string, base = 'ds'): Promise<Scenario> {
  const p = uniquePrefix(base);
  const secret = (name: string) => `s3cr3t-${name}`;
  const specs = [
    { suffix: 'web', visible: true, labels: {} },
    { suffix: 'grp', visible: true, labels: { [`com.${p}.group.member`]: 'anything' } },
    { suffix: 'kv', visible: true, labels: { [`${p}.tier`]: 'frontend' } },
    { suffix: 'kvno', visible: false, labels: { [`${p}.tier`]: 'backend' } },
    { suffix: 'cross', visible: false, labels: { [`${p}.tier`]: 'x', unrelated: 'front' } },
    { suffix: 'db', visible: false, labels: {} },
  ];
  const created = await Promise.all(
    specs.map(async (s) => ({
      spec: s,
      fixture: await createContainer(dockerHost, image, {
        name: `${p}-${s.suffix}`,
        labels: s.labels,
        env: { SECRET: secret(`${p}-${s.suffix}`) },
      }),
    })),
  );
  const all = created.map((c) => c.fixture);
  return {
    prefix: p,
    env: { CONTAINER_NAMES: `${p}-web`, CONTAINER_LABELS: `${p}.group,${p}.tier=front` },
    visible: created.filter((c) => c.spec.visible).map((c) => c.fixture),
    hidden: created.filter((c) => !c.spec.visible).map((c) => c.fixture),
    byName: (suffix) => {
      const f = all.find((x) => x.name === `${p}-${suffix}`);
      if (!f) throw new Error(`no fixture ${suffix}`);
      return f;
    },
    secretOf: (f) => secret(f.name),
    cleanup: () =>
      removeContainers(
        dockerHost,
        all.map((f) => f.name),
      ),
  };
}
