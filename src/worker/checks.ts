/** Checks of what crosses into the engine, and the mapping of storage failures. */
import { InvalidEventError, StorageFullError } from '../core/errors/index.ts';
import type { OpenOptions } from '../api/contract.ts';

export function validateSyncOptions(sync: NonNullable<OpenOptions['sync']>): void {
  const ok =
    typeof sync === 'object' &&
    typeof sync.url === 'string' &&
    /^https?:\/\//.test(sync.url) &&
    typeof sync.logId === 'string' &&
    /^[A-Za-z0-9._:-]{1,128}$/.test(sync.logId) &&
    !sync.logId.startsWith('.') &&
    (sync.token === undefined || typeof sync.token === 'string');
  if (!ok) throw new TypeError('createStore: sync needs { url: "http(s)://…", logId: 1..128 of [A-Za-z0-9._:-] not starting with ".", token?: string }');
}

export function parseStateAt(at: unknown): { position: number } | { time: number } {
  const a = at as { position?: unknown; time?: unknown } | null;
  if (a && typeof a === 'object') {
    if (typeof a.position === 'number' && Number.isFinite(a.position)) return { position: Math.floor(a.position) };
    if (typeof a.time === 'number' && !Number.isNaN(a.time)) return { time: a.time };
  }
  throw new InvalidEventError('stateAt() needs { position: number } or { time: number }');
}

/** IndexedDB quota failures (however Dexie wraps them) become StorageFullError. */
export function storageError(error: unknown): unknown {
  // A bulkAdd reports its failures in a BulkError; a quota failure aborts them all alike.
  for (let e = error as { name?: string; inner?: unknown; cause?: unknown; failures?: unknown[] } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.name === 'QuotaExceededError') {
      return new StorageFullError('IndexedDB is out of quota: nothing was stored; free space or request persistent storage, then retry', {
        cause: error,
      });
    }
    e = (e.inner ?? e.cause ?? e.failures?.[0]) as typeof e;
  }
  return error;
}
