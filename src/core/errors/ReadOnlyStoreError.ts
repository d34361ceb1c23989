import { EventloomError } from './EventloomError.ts';

/**
 * A write (append, undo, redo, revert, compact) on a read-only store: one opened from a log
 * export (eventloom/devtools openLogExport) to replay it. Nothing was written; open a store
 * of your own with createStore() to write.
 */
export class ReadOnlyStoreError extends EventloomError {
  override readonly name = 'ReadOnlyStoreError';
}

export function isReadOnlyStoreError(error: unknown): error is ReadOnlyStoreError {
  return (error as { name?: unknown } | null)?.name === 'ReadOnlyStoreError';
}
