import { EventloomError } from './EventloomError.ts';

/**
 * The sync server's answer did not match the wire protocol. Nothing of it was applied.
 */
export class ProtocolError extends EventloomError {
  override readonly name = 'ProtocolError';
}

export function isProtocolError(error: unknown): error is ProtocolError {
  return (error as { name?: unknown } | null)?.name === 'ProtocolError';
}
