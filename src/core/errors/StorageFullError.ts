import { EventloomError } from './EventloomError.ts';

/**
 * IndexedDB refused the write for lack of quota. Nothing was stored and the store stays usable.
 * Recovery: free space (or ask for persistent storage) and retry the same append.
 */
export class StorageFullError extends EventloomError {
  override readonly name = 'StorageFullError';
}

export function isStorageFullError(error: unknown): error is StorageFullError {
  return (error as { name?: unknown } | null)?.name === 'StorageFullError';
}
