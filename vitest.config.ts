import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The e2e global teardown stops HAProxy and dockerd (up to ~20 s if dockerd hangs); vitest would
    // otherwise process.exit() after the default 10 s and leave the daemon behind.
    teardownTimeout: 60_000,
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
          // Two cores on CI: more workers would only fight over the same daemon.
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
