import { EventloomError } from './EventloomError.ts';

/**
 * Bad input to append(), revert() or a query: a missing, empty, too long or reserved (`$`-prefixed)
 * `type`, a payload or meta that is not plain JSON data, mixed streams with `expectedVersion`,
 * an unknown commit. Nothing was stored. Recovery: fix the input; retrying as is fails again.
 */
export class InvalidEventError extends EventloomError {
  override readonly name = 'InvalidEventError';
}

export function isInvalidEventError(error: unknown): error is InvalidEventError {
  return (error as { name?: unknown } | null)?.name === 'InvalidEventError';
}
