/**
 * "eventloom/server/conformance": the checks every SyncStorage passes (its invariants:
 * ./storage.ts; the push rule: ./plan.ts). memoryStorage, sqliteStorage and postgresStorage
 * run exactly these (test/node/server/storage.test.ts); a storage of your own runs them
 * under any test runner:
 *
 *   for (const check of storageConformance(async () => ({ storage: myStorage() }))) {
 *     it(check.name, check.run);   // Vitest, Jest, node:test, ...
 *   }
 *
 * Each check makes a fresh storage with `make()`, runs against it, then closes it and calls
 * `cleanup()`, whether the check passed or not. A failed check throws a ConformanceError
 * saying which rule broke and where the data differs. Framework-free: no test runner and no
 * Node-only module is imported, so the suite runs wherever the storage does.
 *
 * The checks give each storage a handful of logs and up to 1000 events; the concurrency
 * checks run 30 pushes at once against readers, and a subscriber waits up to 10 s to hear
 * of a push. Allow a check some seconds on a storage across a network.
 */
import type { SyncStorage } from './storage.ts';
import type { Case } from './conformance/case.ts';
import { reading, logs } from './conformance/reads.ts';
import { pushing } from './conformance/pushes.ts';
import { expectedVersion, invalidPushes } from './conformance/rules.ts';
import { ids, markers, wholeCommits } from './conformance/identity.ts';
import { concurrency, size, subscribe } from './conformance/concurrency.ts';

export { ConformanceError } from './conformance/assert.ts';
export { positioned, wireCommit, wireEvent } from './conformance/events.ts';

/** A storage made for one check, and how to remove what it left behind (a file, a database). */
export interface MadeStorage {
  storage: SyncStorage;
  cleanup?: (() => Promise<void> | void) | undefined;
}

/** One check: its name ("group: what it checks") and a run that throws if the storage fails it. */
export interface StorageCheck {
  readonly name: string;
  run(): Promise<void>;
}

/** The checks in their groups, in the order they run. */
const GROUPS: readonly (readonly [string, readonly Case[]])[] = [
  ['reading', reading],
  ['pushing', pushing],
  ['expectedVersion', expectedVersion],
  ['invalid pushes', invalidPushes],
  ['logs', logs],
  ['subscribe', subscribe],
  ['concurrency', concurrency],
  ['an id names one event for good', ids],
  ['markers', markers],
  ['a commit whole or not at all', wholeCommits],
  ['size', size],
];

/** Runs `body` on a storage from `make()`, then closes and cleans up; the first error wins. */
async function onFreshStorage(
  make: () => Promise<MadeStorage> | MadeStorage,
  body: (storage: SyncStorage) => Promise<void>,
): Promise<void> {
  const { storage, cleanup } = await make();
  let failure: { error: unknown } | undefined;
  for (const step of [() => body(storage), () => storage.close(), () => cleanup?.()]) {
    try {
      await step();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure) throw failure.error;
}

/** The SyncStorage conformance checks, each on a fresh storage from `make`. */
export function storageConformance(make: () => Promise<MadeStorage> | MadeStorage): StorageCheck[] {
  return GROUPS.flatMap(([group, cases]) =>
    cases.map((c) => ({ name: `${group}: ${c.name}`, run: () => onFreshStorage(make, (storage) => c.run(storage)) })),
  );
}
