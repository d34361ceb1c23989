/**
 * The worker contract: the API the engine exposes, in the worker (through Comlink) or on
 * the calling thread (in-process mode). Both sides import this file. Everything that
 * crosses it is structured-cloneable; errors cross as ErrorData (see core/errors/wire.ts).
 */
import type { Patch } from '../core/patch.ts';
import type { EventInput, ExpectedVersion, StoredEvent } from '../core/event.ts';
import type { EventQuery } from '../storage/query.ts';
import type { StorageInfo } from './storageStatus.ts';

export interface StoreStatus {
  head: number;
  pending: number;
  canUndo: boolean;
  canRedo: boolean;
  sync: 'off' | 'idle' | 'syncing' | 'offline' | 'paused' | 'error';
  lastSyncedAt?: number;
  lastError?: { name: string; message: string };
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

/** What createStore() hands to the engine; functions cannot cross to a worker. */
export interface OpenOptions {
  name: string;
  snapshotEvery?: number;
  clientId?: string;
  /** IndexedDB durability of the write transactions; default 'default'. */
  durability?: Durability;
  sync?: { url: string; logId: string; token?: string; live?: boolean };
  /** Ask the browser for persistent storage at open (default true; see ./storageStatus.ts). */
  persist?: boolean;
  /** Automatic compaction: keep about the newest `keep` events locally (./compact.ts). */
  compaction?: { keep: number };
}

/** Sent after every change, before the call that caused it resolves. */
export interface Change {
  /** Increases by one per change; calls resolve with the seq that includes their effect. */
  seq: number;
  /** The projections whose state changed, with their new state. */
  states: Record<string, unknown>;
  status: StoreStatus;
}

/**
 * A Change as worker mode posts it to the page: each changed projection's state as a
 * structural patch against the state of the previous change (src/core/diff.ts), so the
 * message and the page's work follow what changed, and untouched parts of a state keep
 * their identity on the page.
 */
export interface ChangeMessage {
  seq: number;
  /** [projection, patch] for each projection whose state changed (a patch may be empty). */
  patches: [string, Patch][];
  status: StoreStatus;
}

export interface Opened {
  clientId: string;
  seq: number;
  states: Record<string, unknown>;
  status: StoreStatus;
}

export interface EngineApi {
  append(events: EventInput | EventInput[], options?: { expectedVersion?: ExpectedVersion }): Promise<{ events: StoredEvent[]; seq: number }>;
  undo(): Promise<{ done: boolean; seq: number }>;
  redo(): Promise<{ done: boolean; seq: number }>;
  revert(commit: string): Promise<{ seq: number }>;
  /** Resolves with the seq once every call made before it has been applied. */
  flush(): Promise<number>;
  stateAt(projection: string, at: StateAt): Promise<unknown>;
  events(query?: EventQuery): Promise<StoredEvent[]>;
  syncNow(): Promise<void>;
  syncPause(): Promise<void>;
  syncResume(): Promise<void>;
  syncRejected(): Promise<RejectedCommit[]>;
  /** A new bearer token for the sync server; after a 401, sync goes on at once. */
  syncSetToken(token: string): Promise<void>;
  compact(options: { before: number }): Promise<{ compacted: number; removed: number; seq: number }>;
  /** Reads status.storage again (after the main thread asked for persistence). */
  refreshStorage(): Promise<void>;
  close(): Promise<void>;
}

/** A commit the server rejected: out of the log, with why. */
export interface RejectedCommit {
  commit: string;
  events: StoredEvent[];
  reason: { name: string; message: string };
  streamVersion?: number;
}

/**
 * What a store worker exposes: each open() starts a session (one engine) and answers with
 * a MessagePort that serves that session's EngineApi, so stores on one worker, or a store
 * reopened on it after close(), never share an engine, and a port on which the session
 * posts each Change (plain messages, no reply: one message per change).
 */
export interface WorkerApi {
  open(options: OpenOptions): Promise<{ port: MessagePort; changes: MessagePort; opened: Opened }>;
}
