import { EventloomError } from './EventloomError.ts';

/**
 * get()/state()/subscribe()/stateAt() named a projection the store does not have
 * (in worker mode: that serveStore() was not given). `details.projection` names it.
 */
export class UnknownProjectionError extends EventloomError {
  override readonly name = 'UnknownProjectionError';
}

export function isUnknownProjectionError(error: unknown): error is UnknownProjectionError {
  return (error as { name?: unknown } | null)?.name === 'UnknownProjectionError';
}
