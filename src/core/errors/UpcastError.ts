import { EventloomError } from './EventloomError.ts';

/**
 * An upcaster threw while turning a stored event's payload into the current shape. Raised
 * where the event was read (createStore, events(), stateAt(), a catch-up or a pull); nothing
 * was stored or changed. `details` names the event (`eventId`, `type`, `position`) and the
 * version the failing upcaster takes (`fromVersion`); `cause` keeps the original error.
 * Recovery: fix the upcaster. Stored events are never rewritten, so the log is intact.
 */
export class UpcastError extends EventloomError {
  override readonly name = 'UpcastError';
}

export function isUpcastError(error: unknown): error is UpcastError {
  return (error as { name?: unknown } | null)?.name === 'UpcastError';
}
