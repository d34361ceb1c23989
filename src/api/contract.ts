/**
 * The worker contract: the API the engine exposes, in the worker (through Comlink) or on
 * the calling thread (in-process mode). Both sides import this file. Everything that
 * crosses it is structured-cloneable; errors cross as ErrorData (see core/errors/wire.ts).
 */
import type { Patch } from '../core/patch.ts';
import type { EventInput, ExpectedVersion, StoredEvent } from '../core/event.ts';
import type { CompactResult, Durability, EventQuery, RejectedCommit, StateAt, StoreStatus, SyncEncryption } from './store.ts';

/** What createStore() hands to the engine; functions cannot cross to a worker. */
export interface OpenOptions {
  name: string;
  snapshotEvery?: number;
  clientId?: string;
  /** IndexedDB durability of the write transactions; default 'default'. */
  durability?: Durability;
  sync?: { url: string; logId: string; token?: string; live?: boolean; encryption?: SyncEncryption };
  /** Ask the browser for persistent storage at open (default true; see worker/storageStatus.ts). */
  persist?: boolean;
  /** Automatic compaction: keep about the newest `keep` events locally (worker/compactPolicy.ts). */
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
  append(
    events: EventInput | EventInput[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<{ events: StoredEvent[]; seq: number }>;
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
  /** Removes commits from syncRejected() (all without `commits`); resolves with how many. */
  syncClearRejected(commits?: string[]): Promise<number>;
  /** A new bearer token for the sync server; after a 401, sync goes on at once. */
  syncSetToken(token: string): Promise<void>;
  /**
   * The page's online (true) or offline (false) event, forwarded to a worker's engine: Chromium
   * fires neither inside workers. The sync loop takes it as it takes its own (sync/syncer.ts network()).
   */
  syncNetwork(online: boolean): Promise<void>;
  compact(options: { before: number }): Promise<CompactResult & { seq: number }>;
  /** Reads status.storage again (after the main thread asked for persistence). */
  refreshStorage(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The engine API's methods, listed once, each with whether it writes the log: the worker
 * exposes them (worker/index.ts), the page wraps them (client/createStore.ts), in-process
 * mode binds them (client/local.ts), each through engineApiOf(); a read-only store allows
 * the reads only. A method of EngineApi missing here is a compile error.
 */
const ENGINE_METHODS: Record<keyof EngineApi, 'read' | 'write'> = {
  append: 'write',
  undo: 'write',
  redo: 'write',
  revert: 'write',
  compact: 'write',
  flush: 'read',
  stateAt: 'read',
  events: 'read',
  syncNow: 'read',
  syncPause: 'read',
  syncResume: 'read',
  syncRejected: 'read',
  syncClearRejected: 'write',
  syncSetToken: 'read',
  syncNetwork: 'read',
  refreshStorage: 'read',
  close: 'read',
};

/** Does this method of the engine API leave the log as it is (a read-only store allows it)? */
export function readsOnly(name: keyof EngineApi): boolean {
  return ENGINE_METHODS[name] === 'read';
}

/** An EngineApi whose every method is `method(name)`: one wrapper for the whole list. */
export function engineApiOf(method: <K extends keyof EngineApi>(name: K) => EngineApi[K]): EngineApi {
  const api: Partial<Record<keyof EngineApi, unknown>> = {};
  for (const name of Object.keys(ENGINE_METHODS) as (keyof EngineApi)[]) api[name] = method(name);
  return api as EngineApi; // every name of the list is set, and the list is every method (above)
}

/** The EngineApi of an object that implements it, as a plain object of bound methods (to expose, or to wrap). */
export function boundEngineApi(target: EngineApi): EngineApi {
  // bind() of a method picked by a type parameter loses the parameter: the one cast of a bound method.
  return engineApiOf(<K extends keyof EngineApi>(name: K) => target[name].bind(target) as EngineApi[K]);
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
