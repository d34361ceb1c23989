/**
 * The SyncStorage conformance suite ("eventloom/server/conformance", src/server/conformance.ts)
 * as Vitest tests: one `it` per check, each on a fresh storage from `make()`, closed and
 * cleaned up afterwards (storage.test.ts runs it for every storage). Imported by the package's
 * name, as a storage author imports it. Its event helpers serve the other server tests.
 */
import { describe, it } from 'vitest';
import { storageConformance as checks, type MadeStorage } from 'eventloom/server/conformance';

export { positioned, wireCommit, wireEvent, type MadeStorage } from 'eventloom/server/conformance';

export function storageConformance(name: string, make: () => Promise<MadeStorage>): void {
  describe(`SyncStorage conformance: ${name}`, () => {
    for (const check of checks(make)) it(check.name, check.run);
  });
}
