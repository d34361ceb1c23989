/**
 * The worker contract: the API the engine exposes, in the worker (through Comlink) or on
 * the calling thread (in-process mode). Both sides import this file. Everything that
 * crosses it is structured-cloneable; errors cross as ErrorData (see core/errors/wire.ts).
 */
import type { Patch } from '../core/patch.ts';
import type { EventInput, ExpectedVersion, StoredEvent } from '../core/event.ts';
import type { EventQuery, StateAt, StoreStatus, RejectedCommit, Durability } from './store.ts';

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

/**
 * What a store worker exposes: each open() starts a session (one engine) and answers with
 * a MessagePort that serves that session's EngineApi, so stores on one worker, or a store
 * reopened on it after close(), never share an engine, and a port on which the session
 * posts each Change (plain messages, no reply: one message per change).
 */
export interface WorkerApi {
  open(options: OpenOptions): Promise<{ port: MessagePort; changes: MessagePort; opened: Opened }>;
}
