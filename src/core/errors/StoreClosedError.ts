import { EventloomError } from './EventloomError.ts';

/**
 * The store was closed with close(). Create a new store to go on; nothing was lost.
 */
export class StoreClosedError extends EventloomError {
  override readonly name = 'StoreClosedError';
}

export function isStoreClosedError(error: unknown): error is StoreClosedError {
  return (error as { name?: unknown } | null)?.name === 'StoreClosedError';
}
