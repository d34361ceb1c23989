/**
 * The engine: owns the database, serialises every change through one writer, keeps the
 * head state of every projection in memory and announces each change. It coordinates; the
 * work is done by its parts: start-up (./startup.ts), the writer queue (./opQueue.ts) and
 * its batches (./batch.ts), sync (./syncBridge.ts), compaction (./compactPolicy.ts) and
 * slicing (./slicing.ts). Its API, the calls and their checks, is ./session.ts; the worker
 * serves a session per open() (./index.ts), in-process mode calls one (client/local.ts).
 *
 * Invariants:
 * 1. One writer: changes run one batch at a time (./opQueue.ts); each batch holds many queued
 *    calls (group commit) and commits them in one IndexedDB transaction (a batch that finds
 *    the log moved under it runs again, in a second one, before anything is kept). The
 *    view is replaced only after that transaction committed, so a failed batch changes nothing.
 * 2. Another store on the same database (another tab) may write between our batches: every
 *    batch first applies records past our head ("catch-up"), inside its own transaction.
 * 3. A call resolves only after the change that includes its effect was announced.
 * 4. The engine never goes on in another database of its name: once its database is deleted,
 *    upgraded or closed under it (by another connection, or the browser), or found replaced
 *    when Dexie opens it again, the engine has closed it and is closed too
 *    (../storage/connection.ts), every call then failing with StoreClosedError;
 *    status.lastError says so.
 */
import type { Change, Opened } from '../api/contract.ts';
import type { StoreStatus } from '../api/store.ts';
import { isStoreClosedError, storeClosed, type StoreClosedReason } from '../core/errors/index.ts';
import type { GoneReason } from '../storage/connection.ts';
import { eventSchema } from '../core/upcast.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { attemptBatch, type BatchStart } from './batch.ts';
import { AutoCompaction, compactionKeep, requestCompaction } from './compactPolicy.ts';
import { snapshotInterval, validateSyncOptions, type EngineConfig } from './config.ts';
import { changeOf, type LogContext, type LogView } from './view.ts';
import { type BodyOf, type Op, type OpKind, OpQueue, type Settled } from './opQueue.ts';
import { Peers, type PeerMessage } from './peers.ts';
import { isNeedsRestore, withRestore, type RestoreHost } from './restore.ts';
import { BackgroundSlicer } from './slicing.ts';
import { makeClientId, openDatabase, readStartRestoring, saveSnapshots, type StartView } from './startup.ts';
import { StorageStatus } from './storageStatus.ts';
import { SyncBridge, type SyncBridgeHost } from './syncBridge.ts';
import { Writer } from './writer.ts';

export class Engine {
  readonly clientId: string;
  readonly log: LogContext;
  readonly #onChange: (change: Change) => void;
  /** What the last committed batch left (./view.ts). */
  #view: LogView;
  /** Stream versions known at the head (a cache: a draft reads one it lacks). */
  readonly #versions = new Map<string, number>();
  #canUndo: boolean;
  #canRedo = false;
  #seq = 0;
  #closed = false;
  /** Why the engine closed: close(), or the database taken away (deleted, upgraded, closed by the browser). */
  #closedBy: StoreClosedReason = 'closed';
  /** The database was deleted, upgraded or closed under the engine (even while close() ran). */
  #gone: GoneReason | undefined;
  /** close()'s work (or the same when the database went away): stopping sync and the rest. */
  #stopping: Promise<void> | undefined;
  readonly #name: string;
  readonly #batch: Omit<BatchStart, 'view' | 'versions'>;
  readonly #queue: OpQueue;
  readonly sync: SyncBridge;
  readonly #peers: Peers;
  readonly storage: StorageStatus;
  readonly #slicer: BackgroundSlicer;
  readonly #auto: AutoCompaction | undefined;
  /** What a call that needs compacted history restores it with (./restore.ts). */
  readonly #restoreHost: RestoreHost;

  private constructor(init: {
    log: LogContext;
    config: EngineConfig;
    clientId: string;
    start: StartView;
    sync: SyncBridge;
    /** createStore({ compaction: { keep } }), checked; undefined: no automatic compaction. */
    keep: number | undefined;
    onChange: (change: Change) => void;
  }) {
    const { log, config, start } = init;
    this.clientId = init.clientId;
    this.#name = config.name;
    this.log = log;
    this.#onChange = init.onChange;
    this.#view = start.view;
    this.#canUndo = start.history.undoTarget !== undefined;
    this.#canRedo = start.history.redoTarget !== undefined;
    this.sync = init.sync;
    // A database bound to a log writes pending events, with or without sync (./logBinding.ts).
    const { bound } = start;
    this.#batch = {
      log,
      durability: config.durability ?? 'default',
      bound,
      writer: new Writer({ clientId: init.clientId, bound, schema: log.schema }),
    };
    this.#queue = new OpQueue(this.#runBatch.bind(this), this.#slice.bind(this));
    const db = log.db;
    this.#restoreHost = {
      db,
      compacted: async () => Math.max(this.#view.compacted, (await readCompaction(db)).compacted),
      source: init.sync.transport,
      restore: (from, events) => {
        this.assertOpen();
        return this.#queue.submit({ kind: 'restore', from, events });
      },
    };
    this.#peers = new Peers(
      config.name,
      (message) => this.#onPeerMessage(message),
      () => ({ head: this.#view.head, epoch: this.#view.epoch }),
    );
    this.storage = new StorageStatus(config.storage, () => {
      if (!this.#closed) this.#announce({});
    });
    this.#slicer = new BackgroundSlicer(log.db, () => !this.#closed && this.#queue.idle && this.sync.status.sync !== 'syncing');
    this.#auto = init.keep === undefined ? undefined : new AutoCompaction(init.keep);
  }

  static async open(config: EngineConfig, onChange: (change: Change) => void): Promise<Engine> {
    let engine: Engine | undefined;
    /** The engine once open; before, `gone` keeps why the database went away. */
    let running: Engine | undefined;
    let gone: GoneReason | undefined;
    const { db, projections } = await openDatabase(config, (reason) => {
      if (running) running.#databaseGone(reason);
      else gone ??= reason;
    });
    try {
      // Options are checked before anything is made that would need closing.
      if (config.sync) validateSyncOptions(config.sync);
      const keep = compactionKeep(config.compaction);
      const log: LogContext = {
        db,
        projections,
        every: snapshotInterval(config.snapshotEvery),
        schema: eventSchema(config.upcasters, 'createStore'),
      };
      const sync = await SyncBridge.load(config);
      // The client id and the database's binding to its log are read with the log, in start-up's one transaction.
      const opened = { name: config.name, sync: config.sync && { url: config.sync.url, logId: config.sync.logId } };
      const start = await readStartRestoring(
        log,
        typeof config.clientId === 'string' ? config.clientId : undefined,
        opened,
        sync.transport,
      );
      const clientId = start.clientId ?? (await makeClientId(db));
      engine = new Engine({ log, config, clientId, start, sync, keep, onChange });
      sync.connect(config, engine.#syncHost());
      if (start.snapshots.length > 0) await saveSnapshots(db, start.snapshots, start.view.epoch);
      if (gone) throw storeClosed(gone, config.name); // what it read was deleted, or is the old schema's
      running = engine; // from here to the return, nothing waits: the database cannot go away unseen
      // Another tab may have written while we loaded; its message may have come too early.
      engine.#queue.start();
      sync.start();
      engine.storage.start(config.persist ?? true);
    } catch (error) {
      if (engine) engine.#peers.close();
      db.close();
      throw gone && !isStoreClosedError(error) ? storeClosed(gone, config.name, error) : error;
    }
    return engine;
  }

  opened(): Opened {
    return { clientId: this.clientId, seq: this.#seq, states: { ...this.#view.states }, status: this.#status() };
  }

  #status(): StoreStatus {
    const { head, pending, compacted } = this.#view;
    const sync = this.sync.status;
    const status: StoreStatus = { head, pending, canUndo: this.#canUndo, canRedo: this.#canRedo, sync: sync.sync };
    if (sync.lastSyncedAt !== undefined) status.lastSyncedAt = sync.lastSyncedAt;
    if (sync.lastError !== undefined) status.lastError = sync.lastError;
    if (sync.serverHead !== undefined) status.behind = Math.max(0, sync.serverHead - (head - pending));
    if (this.#closed && this.#closedBy !== 'closed') {
      // Sync stopped for good (invariant 4): the app tells the user, who opens the store again.
      if (status.sync !== 'off') status.sync = 'error';
      status.lastError = { name: 'StoreClosedError', message: storeClosed(this.#closedBy, this.#name).message };
    }
    if (this.log.schema.newerFrom !== Infinity) status.outdated = true;
    if (this.storage.info) status.storage = { ...this.storage.info };
    if (compacted > 0) status.compacted = compacted;
    return status;
  }

  assertOpen(): void {
    if (this.#closed) throw storeClosed(this.#closedBy, this.#name);
  }

  /**
   * `call` on an open engine. If the database went away under it (invariant 4), its failure
   * (Dexie's DatabaseClosedError, a closed sync loop's SyncError...) is StoreClosedError.
   */
  async whileOpen<T>(call: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await call();
    } catch (error) {
      throw this.#gone ? storeClosed(this.#gone, this.#name, error) : error;
    }
  }

  /** The view as the last committed batch left it. */
  get view(): LogView {
    return this.#view;
  }

  /** The seq of the last change announced. */
  get seq(): number {
    return this.#seq;
  }

  /** Resolves once every call queued before it has run. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }

  /** Runs `call`, restoring the compacted history it needs first (./restore.ts). */
  withRestore<T>(call: () => Promise<T>): Promise<T> {
    return withRestore(call, this.#restoreHost);
  }

  /** Queues a call for the writer; one that needs compacted history gets it first (./restore.ts). */
  submit<K extends OpKind>(body: BodyOf<K>): Promise<Settled<K>> {
    return this.whileOpen(() => withRestore(() => this.#queue.submit(body), this.#restoreHost));
  }

  async #runBatch(ops: Op[]): Promise<void> {
    const before = this.#view;
    const attempt = await attemptBatch({ ...this.#batch, view: before, versions: this.#versions }, ops);
    if ('failed' in attempt) {
      if (ops.length > 0) {
        this.storage.soon(); // a write was refused: perhaps the quota
      } else if (isNeedsRestore(attempt.failed) && !this.#closed) {
        // A catch-up alone that needs history before the point: fetch it, then catch up again.
        this.submit({ kind: 'catchUp' }).catch(() => undefined);
      }
      return; // nothing was kept; every call was rejected
    }
    const { draft, lastAppendWasOwnCommit, addedPending, history } = attempt;
    const after = draft.view;
    this.#view = { ...after, undoWalked: false }; // what a walk found was kept by the batch
    draft.mergeVersionsInto(this.#versions);
    if (after.compacted !== before.compacted) this.#slicer.forget();
    if (lastAppendWasOwnCommit && after.epoch === before.epoch) {
      this.#canUndo = true;
      this.#canRedo = false;
    } else if (history) {
      this.#canUndo = history.undoTarget !== undefined;
      this.#canRedo = history.redoTarget !== undefined;
    }
    const change = changeOf(this.log.projections, before, after);
    if (change) {
      this.storage.soon();
      this.#announce(change);
      this.#peers.tellMoved();
    }
    if (addedPending || (after.pending > 0 && ops.length === 0)) this.sync.poke();
    if (!this.#closed) this.#auto?.maybe(after, (point) => requestCompaction(this, point));
    for (const op of ops) {
      if (op.error !== undefined) op.reject(op.error);
      else op.settle(this.#seq);
    }
  }

  #announce(states: Record<string, unknown>): void {
    this.#seq++;
    try {
      this.#onChange({ seq: this.#seq, states, status: this.#status() });
    } catch {
      // A listener's failure is the listener's; the change happened.
    }
  }

  #slice(): void {
    if (!this.#closed) this.#slicer.schedule(this.#view.head - this.#view.pending);
  }

  #onPeerMessage(message: PeerMessage | undefined): void {
    if (this.#closed || !message) return;
    if (message.sync) {
      // The leader tab syncs for this database: show its sync status here too.
      if (this.sync.takePeerStatus(message.sync)) this.#announce({});
      return;
    }
    if (typeof message.head !== 'number') return;
    if (message.head === this.#view.head && message.epoch === this.#view.epoch) return;
    this.#queue.catchUp();
  }

  // ---- sync ---------------------------------------------------------------------------

  #syncHost(): SyncBridgeHost {
    return {
      db: this.log.db,
      integrate: async (input, run) => (await this.submit({ kind: 'integrate', input, run })).integrated,
      statusChanged: (status, leading) => {
        if (this.#closed) return;
        this.#announce({});
        if (leading) this.#peers.post({ sync: status });
        this.#slice(); // held back while a sync round ran
      },
    };
  }

  /**
   * The database was deleted, upgraded or closed under the engine: ../storage/connection.ts
   * closed it (for good), and the engine closes too, saying so in its status (invariant 4).
   */
  #databaseGone(reason: GoneReason): void {
    this.#gone = reason;
    if (this.#closed) return; // close() is under way: calls it waits for fail as StoreClosedError
    this.#closed = true;
    this.#closedBy = reason;
    this.#announce({});
    this.#stopping = this.#stop();
    this.#stopping.catch(() => undefined); // close() reports it, if it is called
  }

  /** Resolves once sync, the writer queue and everything else stopped, and the database is closed. */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stopping = this.#stop();
    }
    return this.#stopping ?? Promise.resolve();
  }

  async #stop(): Promise<void> {
    this.storage.close();
    await this.sync.close();
    await this.#queue.settled();
    await this.#slicer.close();
    this.#peers.flush();
    this.#peers.close();
    this.log.db.close();
  }
}
