import { EventloomError } from './EventloomError.ts';

/**
 * The call needs events from before the store's compaction point (`store.compact()`), which
 * are no longer in the local database, and they could not be fetched from the sync server:
 * the store has no sync, or the server is unreachable (offline). Nothing was changed.
 * `details.compacted` is the compaction point; `cause` keeps the network error if any.
 * Recovery: retry once online, or read only after the compaction point.
 */
export class HistoryUnavailableError extends EventloomError {
  override readonly name = 'HistoryUnavailableError';
}

export function isHistoryUnavailableError(error: unknown): error is HistoryUnavailableError {
  return (error as { name?: unknown } | null)?.name === 'HistoryUnavailableError';
}
