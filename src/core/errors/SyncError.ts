import { EventloomError } from './EventloomError.ts';

/**
 * The sync server could not be reached or answered with an error. Pending events stay in the
 * local log and are retried in the background with backoff; nothing is lost.
 */
export class SyncError extends EventloomError {
  override readonly name = 'SyncError';
}

export function isSyncError(error: unknown): error is SyncError {
  return (error as { name?: unknown } | null)?.name === 'SyncError';
}
