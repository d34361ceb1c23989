import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Only for `npm run mutate` (stryker.config.mjs): the node suites, which are the ones that run the
// mutated code (core, the sync client and protocol, the rebase, the server's push plan) in
// process, where Stryker can see which test covers which mutant. The browser and e2e projects
// run the same code in Chromium, out of Stryker's sight, so they are left out.
export default defineConfig({
  // As vite.config.ts: the package's own name resolves to src/ (its 'eventloom-source' condition), not dist/.
  resolve: { conditions: ['eventloom-source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['eventloom-source', ...defaultServerConditions] } },
  test: {
    name: 'node',
    environment: 'node',
    include: ['test/node/**/*.test.ts'],
    testTimeout: 30_000,
    // Test locations let Stryker's incremental mode tell which tests changed.
    includeTaskLocation: true,
    // storage.test.ts and postgres-cluster.test.ts run the push plan on PostgreSQL too.
    globalSetup: ['test/setup/postgres.ts'],
  },
});
