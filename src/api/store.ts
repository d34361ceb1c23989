/**
 * The public types of "eventloom" (the main-thread entry), in one place every layer may
 * import: the store, its options and status, queries, time-travel targets, rejected
 * commits and storage status. Types only: nothing here runs.
 */
import type { EventInput, ExpectedVersion, StoredEvent } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import type { Upcasters } from '../core/upcast.ts';

export interface SyncOptions {
  url: string;
  logId: string;
  /**
   * Sent as `Authorization: Bearer`. A function (in-process mode; in worker mode pass it to
   * serveStore) is called at start and after each 401 for a fresh token; with a string, a
   * 401 stops sync until store.sync.setToken() gives a new one.
   */
  token?: string | (() => string | Promise<string>);
  fetch?: typeof fetch;
  live?: boolean;
  /**
   * End-to-end encryption (docs/encryption.md): the payload and meta of every app event
   * (the meta of an undo/redo marker, whose payload names its target) are sealed with
   * AES-GCM before they leave the device, so the server holds only ciphertext.
   * Every replica of the log needs the key (deriveKey() makes one from a passphrase).
   */
  encryption?: SyncEncryption;
}

/**
 * sync.encryption: one AES-GCM key, or several by id (1..64 of [A-Za-z0-9._:-]) with the one
 * that seals new events (`current`); the others open older events. `{ key }` is short for
 * `{ keys: { default: key }, current: 'default' }`. Keys may be non-extractable; in worker
 * mode they cross to the worker as they are (structured clone).
 */
export type SyncEncryption = { key: CryptoKey } | { keys: Record<string, CryptoKey>; current: string };

export interface CreateStoreOptions {
  /** IndexedDB database name. */
  name: string;
  /** In-process mode; in worker mode the worker's serveStore() has them. */
  projections?: Record<string, Projection<any>>;
  /**
   * In-process mode: per event type, the functions that turn each older payload shape into
   * the next (`[v1ToV2, v2ToV3]` makes version 3 current); in worker mode pass them to
   * serveStore(). See docs/schema-evolution.md.
   */
  upcasters?: Upcasters;
  /** A Worker running a module that calls serveStore(); default false (in-process). */
  worker?: Worker | false;
  /** Snapshot every N events per projection; default 1000; 0 turns snapshots off. */
  snapshotEvery?: number;
  /** Default: made once per database and persisted. */
  clientId?: string;
  /**
   * The durability of the log's write transactions (IndexedDB's `durability`, honoured by
   * Chromium). 'default' (the default) is relaxed on Chromium 121 and later: a resolved
   * append has been handed to the operating system, so it survives a crash of the tab or
   * the browser, not necessarily of the OS or a power cut. 'strict' flushes it to disk
   * before append() resolves, at a cost per commit (see docs/benchmarks.md); 'relaxed'
   * says what 'default' does. Browsers without the option write as they always do.
   */
  durability?: Durability;
  sync?: SyncOptions;
  /**
   * Ask the browser for persistent storage (navigator.storage.persist()) when the store
   * opens; default true. status.storage.persisted says whether it was granted.
   */
  persist?: boolean;
  /**
   * Automatic compaction: keep about the newest `keep` confirmed events in the local
   * database and drop older ones as the log grows (see compact()). Default: off.
   */
  compaction?: { keep: number };
  /**
   * In-process mode: whose estimate() and persisted() status.storage reports, e.g. the
   * StorageBucket whose indexedDB you pass; default navigator.storage. In worker mode pass it
   * to serveStore().
   */
  storage?: StorageLike;
  indexedDB?: IDBFactory;
  IDBKeyRange?: typeof IDBKeyRange;
}

export interface Store {
  readonly clientId: string;
  append(events: EventInput | EventInput[], options?: { expectedVersion?: ExpectedVersion }): Promise<StoredEvent[]>;
  get<S>(projection: string): S;
  state<S>(projection: string): Promise<S>;
  subscribe<S>(projection: string, listener: (state: S) => void): () => void;
  stateAt<S>(projection: string, at: StateAt): Promise<S>;
  events(query?: EventQuery): Promise<StoredEvent[]>;
  undo(): Promise<boolean>;
  redo(): Promise<boolean>;
  revert(commit: string): Promise<void>;
  /**
   * Drops confirmed events at positions below `before` from the local database (never
   * pending ones; the server keeps them all). See docs/compaction.md.
   */
  compact(options: { before: number }): Promise<CompactResult>;
  readonly status: StoreStatus;
  onStatus(listener: (status: StoreStatus) => void): () => void;
  readonly sync: {
    now(): Promise<void>;
    pause(): void;
    resume(): void;
    rejected(): Promise<RejectedCommit[]>;
    /**
     * Removes commits from rejected() once the app has dealt with them (told the user, or
     * appended again): the given commit ids, or every one without an argument. Resolves with
     * how many were removed; ids it does not hold are ignored.
     */
    clearRejected(commits?: string[]): Promise<number>;
    /** A new bearer token: after a 401 (status.sync 'error'), sync goes on at once. */
    setToken(token: string): void;
  };
  close(): Promise<void>;
}

export interface StoreStatus {
  head: number;
  pending: number;
  canUndo: boolean;
  canRedo: boolean;
  sync: 'off' | 'idle' | 'syncing' | 'offline' | 'paused' | 'error';
  lastSyncedAt?: number;
  lastError?: { name: string; message: string };
  /**
   * Events the sync server has that this replica has not pulled yet, as its last answer
   * said (a pull page's or the live stream's `head`): catch-up progress while a new device
   * pulls a long log; 0 once caught up. Absent until the server has answered (or without
   * sync).
   */
  behind?: number;
  /**
   * Present (true) when the log holds events of a schema version newer than this app knows
   * (written by a newer version of the app): they are kept and synced but not applied until
   * the app is updated (core/upcast.ts).
   */
  outdated?: boolean;
  /** Present when compacted: events at positions up to it are not in the local database (store.compact()). */
  compacted?: number;
  /** Storage use and quota, and whether storage is persistent; absent where the platform has no StorageManager. */
  storage?: StorageInfo;
}

export type StateAt = { position: number } | { time: number };

export type Durability = 'default' | 'strict' | 'relaxed';

/** A commit the server rejected: out of the log, with why. */
export interface RejectedCommit {
  commit: string;
  events: StoredEvent[];
  reason: { name: string; message: string };
  streamVersion?: number;
}

/** events(query): which events, in which order. */
export interface EventQuery {
  /** Only this stream's events. */
  stream?: string;
  /** Only events of this type (or of any of these). */
  type?: string | string[];
  /** Only events at positions above this one. */
  after?: number;
  /** Only events at positions below this one: with `reverse`, the page older than one already read. */
  before?: number;
  /** At most this many events. */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** What status.storage reports. */
export interface StorageInfo {
  /** Bytes used by the origin (or bucket), as the browser estimates them. */
  usage: number;
  /** Bytes the origin (or bucket) may use. */
  quota: number;
  /** True when the browser granted persistent storage (data is not evicted under pressure). */
  persisted: boolean;
}

/** navigator.storage, a StorageBucket, or a stand-in with the same methods. */
export interface StorageLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persisted?(): Promise<boolean>;
  persist?(): Promise<boolean>;
}

/** What store.compact() did. */
export interface CompactResult {
  /** The compaction point: positions up to it are no longer in the local database. */
  compacted: number;
  /** Events this call dropped. */
  removed: number;
}
