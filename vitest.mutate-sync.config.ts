import { defineConfig } from 'vitest/config';

// Only for `npm run mutate:sync` (stryker.sync.config.mjs): the sync loop's and the rebase's
// unit tests (fake timers, in-memory server), without the end-to-end sync suites that cover
// every mutant of src/sync/syncer.ts too and make each one take ~20 s. Fewer tests can only
// leave more mutants alive: its score is a lower bound of the full suite's.
export default defineConfig({
  test: {
    name: 'node',
    environment: 'node',
    include: [
      'test/node/sync/syncerRetry.test.ts',
      'test/node/sync/syncerChunks.test.ts',
      'test/node/sync/syncerLive.test.ts',
      'test/node/sync/syncerLock.test.ts',
      'test/node/integrate.test.ts',
      'test/node/core/rebase.test.ts',
    ],
    testTimeout: 30_000,
    includeTaskLocation: true,
  },
});
