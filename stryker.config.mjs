// @ts-check
// Mutation testing: `npm run mutate` (docs/mutation.md). Not part of `npm test` or CI: it is slow.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/core/**/*.ts', 'src/protocol/**/*.ts', 'src/worker/integrate.ts', 'src/sync/**/*.ts', 'src/server/plan.ts'],
  testRunner: 'vitest',
  vitest: {
    configFile: 'vitest.mutate.config.ts',
    // Per-test coverage already picks the tests for each mutant; Vitest's "related" import-graph
    // filter would only risk dropping one that reaches the mutant another way.
    related: false,
  },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level code, mostly the valibot schemas in protocol/wire.ts and
  // core/event.ts) can't be traced to tests: each would rerun every node test in a fresh
  // environment, about 70% of the run's time. `npm run mutate -- --ignoreStatic false` tests them.
  ignoreStatic: true,
  // Reruns test only the mutants whose code or covering tests changed since the last run
  // (reports/mutation/stryker-incremental.json). `npm run mutate -- --force` tests all again.
  incremental: true,
  // TypeScript 6 behind the checker: see scripts/mutation/typescript-checker.mjs.
  plugins: ['@stryker-mutator/vitest-runner', './scripts/mutation/typescript-checker.mjs'],
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  // The machine has 2 cores and other work on it: two test runners at most.
  concurrency: 2,
  // A busy machine: more slack before a slow mutant counts as a timeout.
  timeoutMS: 10_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'data', 'coverage', 'bench/.profiles', 'bench/results'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  incrementalFile: 'reports/mutation/stryker-incremental.json',
};
