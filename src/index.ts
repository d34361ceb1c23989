/**
 * "eventloom": the main-thread entry. Explicit exports only; nothing runs at import.
 */
export { createStore } from './client/createStore.ts';
export { defineProjection, type Projection } from './core/projection.ts';
export type { CreateStoreOptions, Durability, RejectedCommit, Store, SyncOptions } from './api/store.ts';
export type { EventInput, ExpectedVersion, StoredEvent } from './core/event.ts';
export type { Upcaster, Upcasters } from './core/upcast.ts';
export type { EventQuery } from './api/store.ts';
export type { StateAt, StoreStatus } from './api/store.ts';
export type { StorageInfo, StorageLike } from './api/store.ts';
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
  type EventloomErrorName,
} from './core/errors/index.ts';
