/**
 * The SyncStorage conformance suite ("eventloom/server/conformance", src/server/conformance.ts)
 * as Vitest tests: one `it` per check, each on a fresh storage from `make()`, closed and
 * cleaned up afterwards (storage.test.ts runs it for every storage). Its event helpers serve
 * the other server tests. (Imported from src/ by path, as the other node tests do: Stryker's
 * Vitest config has no 'eventloom-source' condition to resolve the package's name to src/.)
 */
import { describe, it } from 'vitest';
import { storageConformance as checks, type MadeStorage } from '../../../src/server/conformance.ts';

export { positioned, wireCommit, wireEvent, type MadeStorage } from '../../../src/server/conformance.ts';

export function storageConformance(name: string, make: () => Promise<MadeStorage>): void {
  describe(`SyncStorage conformance: ${name}`, () => {
    for (const check of checks(make)) it(check.name, check.run);
  });
}
