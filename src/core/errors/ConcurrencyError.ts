import { EventloomError } from './EventloomError.ts';

/**
 * `expectedVersion` did not match the stream's version (the number of its non-marker
 * events). Nothing was stored. `details` has `stream`, `expectedVersion` and
 * `actualVersion`. Recovery: read the stream again, re-decide, append with the new version.
 */
export class ConcurrencyError extends EventloomError {
  override readonly name = 'ConcurrencyError';
}

export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return (error as { name?: unknown } | null)?.name === 'ConcurrencyError';
}
