import type { EventloomErrorName } from '../../src/core/errors/index.ts';

/** Every error name the public contract lists (DESIGN.md), each with a class and an isX() guard. */
export const ERROR_NAMES = [
  'InvalidEventError',
  'ConcurrencyError',
  'ProjectionError',
  'StorageFullError',
  'StoreClosedError',
  'UnknownProjectionError',
  'SyncError',
  'ProtocolError',
  'UpcastError',
  'HistoryUnavailableError',
  'ReadOnlyStoreError',
  'DecryptionError',
] as const satisfies readonly EventloomErrorName[];
