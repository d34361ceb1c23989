/** The mapping of IndexedDB failures to the toolkit's typed errors. */
import { StorageFullError } from '../core/errors/index.ts';

/** IndexedDB quota failures (however Dexie wraps them) become StorageFullError; others pass through. */
export function storageError(error: unknown): unknown {
  // A bulkAdd reports its failures in a BulkError; a quota failure aborts them all alike.
  for (
    let e = error as { name?: string; inner?: unknown; cause?: unknown; failures?: unknown[] } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.name === 'QuotaExceededError') {
      return new StorageFullError('IndexedDB is out of quota: nothing was stored; free space or request persistent storage, then retry', {
        cause: error,
      });
    }
    e = (e.inner ?? e.cause ?? e.failures?.[0]) as typeof e;
  }
  return error;
}
