import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The e2e global teardown stops HAProxy and dockerd (up to ~20 s if dockerd hangs); vitest would
    // otherwise process.exit() after the default 10 s and leave the daemon behind.
    teardownTimeout: 60_000,
    // vitest's own report, then one plain `tests: N passed, N failed` line for CI.
    reporters: ['default', './test/summary-reporter.ts'],
    // Two cores on CI. Set here, not per project: vitest refuses projects with different maxWorkers in
    // the same sequence.groupOrder, which is what a plain `vitest run` of unit + e2e would be.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Only e2e tests need the private dockerd, image and socket proxy.
          globalSetup: ['test/global-setup.ts'],
          // Child processes (docker CLI, HAProxy) are simpler to reason about in forked workers.
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
