import { EventloomError } from './EventloomError.ts';

/**
 * A projection's `reduce` (or `initial`) threw. When raised by append()/undo()/redo()/revert()
 * nothing was stored and state is unchanged. `details.projection` names the projection and
 * `cause` keeps the original error. Recovery: fix the reducer (then bump its `version`).
 */
export class ProjectionError extends EventloomError {
  override readonly name = 'ProjectionError';
}

export function isProjectionError(error: unknown): error is ProjectionError {
  return (error as { name?: unknown } | null)?.name === 'ProjectionError';
}
