/**
 * Base of every error Eventloom throws. Each subclass has a fixed literal `name`:
 * errors cross the worker boundary as plain data (name, message, details) and are
 * rebuilt on the other side, so recognise them with the `isX()` guards, which check
 * `name`, never with `instanceof` across realms.
 */
export type EventloomErrorName =
  | 'InvalidEventError'
  | 'ConcurrencyError'
  | 'ProjectionError'
  | 'StorageFullError'
  | 'StoreClosedError'
  | 'UnknownProjectionError'
  | 'SyncError'
  | 'ProtocolError'
  | 'UpcastError'
  | 'HistoryUnavailableError'
  | 'ReadOnlyStoreError'
  | 'DecryptionError';

export abstract class EventloomError extends Error {
  abstract override readonly name: EventloomErrorName;
  /** Extra machine-readable context; survives the worker boundary. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}
