// @ts-check
// `npm run mutate:sync`: the sync loop and the rebase against their unit tests only
// (vitest.mutate-sync.config.ts), about 45 minutes instead of hours; docs/mutation.md.
import base from './stryker.config.mjs';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...base,
  mutate: ['src/sync/syncer.ts', 'src/sync/pull.ts', 'src/worker/integrate.ts', 'src/core/rebase.ts'],
  vitest: { ...base.vitest, configFile: 'vitest.mutate-sync.config.ts' },
  tempDirName: '.stryker-tmp-sync',
  htmlReporter: { fileName: 'reports/mutation/sync.html' },
  jsonReporter: { fileName: 'reports/mutation/sync.json' },
  incrementalFile: 'reports/mutation/sync-incremental.json',
};
