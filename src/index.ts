/**
 * "eventloom": the main-thread entry. Explicit exports only; nothing runs at import.
 */
export { createStore } from './client/createStore.ts';
export { deriveKey } from './client/deriveKey.ts';
export { defineProjection, type Projection } from './core/projection.ts';
export type {
  CompactResult,
  CreateStoreOptions,
  Durability,
  EventQuery,
  RejectedCommit,
  StateAt,
  StorageInfo,
  StorageLike,
  Store,
  StoreStatus,
  SyncEncryption,
  SyncOptions,
} from './api/store.ts';
export type { EventInput, ExpectedVersion, StoredEvent } from './core/event.ts';
export type { Upcaster, Upcasters } from './core/upcast.ts';
export {
  EventloomError,
  InvalidEventError,
  ConcurrencyError,
  ProjectionError,
  StorageFullError,
  StoreClosedError,
  UnknownProjectionError,
  SyncError,
  ProtocolError,
  UpcastError,
  HistoryUnavailableError,
  ReadOnlyStoreError,
  DecryptionError,
  isEventloomError,
  isInvalidEventError,
  isConcurrencyError,
  isProjectionError,
  isStorageFullError,
  isStoreClosedError,
  isUnknownProjectionError,
  isSyncError,
  isProtocolError,
  isUpcastError,
  isHistoryUnavailableError,
  isReadOnlyStoreError,
  isDecryptionError,
  type EventloomErrorName,
} from './core/errors/index.ts';
