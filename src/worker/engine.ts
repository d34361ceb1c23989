/**
 * The engine: owns the database, serialises every change through one writer, keeps the
 * head state of every projection in memory and announces each change. The same class runs
 * in a worker (behind Comlink, see ./index.ts) and in-process (see client/local.ts). It
 * coordinates; the work is done by its parts: start-up (./startup.ts), the writer queue
 * (./opQueue.ts) and its batches (./batch.ts), reads (./reads.ts), sync (./syncBridge.ts),
 * compaction (./compactPolicy.ts, ./compact.ts) and slicing (./slicing.ts).
 *
 * Invariants:
 * 1. One writer: changes run one batch at a time (./opQueue.ts); each batch holds many queued
 *    calls (group commit) and commits them in one IndexedDB transaction (a batch that finds
 *    the log moved under it runs again, in a second one, before anything is kept). The
 *    view is replaced only after that transaction committed, so a failed batch changes nothing.
 * 2. Another store on the same database (another tab) may write between our batches: every
 *    batch first applies records past our head ("catch-up"), inside its own transaction.
 * 3. A call resolves only after the change that includes its effect was announced.
 */
import type { Change, EngineApi, Opened } from '../api/contract.ts';
import type { EventQuery, RejectedCommit, StateAt, StoreStatus } from '../api/store.ts';
import { InvalidEventError, StoreClosedError, UnknownProjectionError } from '../core/errors/index.ts';
import { validateInputs, type EventInput, type ExpectedVersion, type StoredEvent, type ValidInputs } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { eventSchema } from '../core/upcast.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { attemptBatch, type BatchStart } from './batch.ts';
import { AutoCompaction, compactionKeep, validateCompact, type CompactResult } from './compactPolicy.ts';
import { snapshotInterval, validateSyncOptions, type EngineConfig } from './config.ts';
import type { LogContext } from './view.ts';
import { OpQueue } from './opQueue.ts';
import type { BodyOf, Op, OpKind, Settled } from './opQueue.ts';
import { Peers, type PeerMessage } from './peers.ts';
import { readEvents, readRejected, readStateAt, type ReadContext } from './reads.ts';
import { isNeedsRestore, withRestore, type RestoreHost } from './restore.ts';
import { BackgroundSlicer } from './slicing.ts';
import { makeClientId, openDatabase, readStartRestoring, saveSnapshots, type StartView } from './startup.ts';
import { StorageStatus } from './storageStatus.ts';
import { SyncBridge, type SyncBridgeHost } from './syncBridge.ts';
import { changeOf, type LogView } from './view.ts';
import { Writer } from './writer.ts';

export class Engine implements EngineApi {
  readonly clientId: string;
  readonly #log: LogContext;
  readonly #byName: ReadonlyMap<string, Projection<unknown>>;
  readonly #onChange: (change: Change) => void;
  /** What the last committed batch left (./view.ts). */
  #view: LogView;
  /** Stream versions known at the head (a cache: a draft reads one it lacks). */
  readonly #versions = new Map<string, number>();
  #canUndo: boolean;
  #canRedo = false;
  #seq = 0;
  #closed = false;
  readonly #batch: Omit<BatchStart, 'view' | 'versions'>;
  readonly #queue: OpQueue;
  readonly #sync: SyncBridge;
  readonly #peers: Peers;
  readonly #storage: StorageStatus;
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
    onChange: (change: Change) => void;
  }) {
    const { log, config, start } = init;
    this.clientId = init.clientId;
    this.#log = log;
    this.#onChange = init.onChange;
    this.#byName = new Map(log.projections.map((p) => [p.name, p]));
    this.#view = start.view;
    this.#canUndo = start.history.undoTarget !== undefined;
    this.#canRedo = start.history.redoTarget !== undefined;
    this.#sync = init.sync;
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
        this.#assertOpen();
        return this.#queue.submit({ kind: 'restore', from, events });
      },
    };
    this.#peers = new Peers(
      config.name,
      (message) => this.#onPeerMessage(message),
      () => ({ head: this.#view.head, epoch: this.#view.epoch }),
    );
    this.#storage = new StorageStatus(config.storage, () => {
      if (!this.#closed) this.#announce({});
    });
    this.#slicer = new BackgroundSlicer(log.db, () => !this.#closed && this.#queue.idle && this.#sync.status.sync !== 'syncing');
    const keep = compactionKeep(config.compaction);
    this.#auto = keep === undefined ? undefined : new AutoCompaction(keep);
  }

  static async open(config: EngineConfig, onChange: (change: Change) => void): Promise<Engine> {
    const { db, projections } = await openDatabase(config);
    let engine: Engine | undefined;
    try {
      if (config.sync) validateSyncOptions(config.sync);
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
      engine = new Engine({ log, config, clientId, start, sync, onChange });
      sync.connect(config, engine.#syncHost());
      if (start.snapshots.length > 0) await saveSnapshots(db, start.snapshots, start.view.epoch);
      // Another tab may have written while we loaded; its message may have come too early.
      engine.#queue.start();
      sync.start();
      engine.#storage.start(config.persist ?? true);
    } catch (error) {
      if (engine) engine.#peers.close();
      db.close();
      throw error;
    }
    return engine;
  }

  opened(): Opened {
    return { clientId: this.clientId, seq: this.#seq, states: { ...this.#view.states }, status: this.#status() };
  }

  #status(): StoreStatus {
    const { head, pending, compacted } = this.#view;
    const sync = this.#sync.status;
    const status: StoreStatus = { head, pending, canUndo: this.#canUndo, canRedo: this.#canRedo, sync: sync.sync };
    if (sync.lastSyncedAt !== undefined) status.lastSyncedAt = sync.lastSyncedAt;
    if (sync.lastError !== undefined) status.lastError = sync.lastError;
    if (this.#log.schema.newerFrom !== Infinity) status.outdated = true;
    if (this.#storage.info) status.storage = { ...this.#storage.info };
    if (compacted > 0) status.compacted = compacted;
    return status;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('The store is closed; create a new one with createStore() to go on');
  }

  // ---- writes -------------------------------------------------------------------------

  append(
    events: EventInput | EventInput[],
    options?: { expectedVersion?: ExpectedVersion },
  ): Promise<{ events: StoredEvent[]; seq: number }> {
    try {
      return this.#submit({ kind: 'append', input: validateInputs(events, options?.expectedVersion) });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** append() for input validateInputs() already checked (in-process mode: client/local.ts checks it before its copy). */
  appendValid(input: ValidInputs): Promise<{ events: StoredEvent[]; seq: number }> {
    return this.#submit({ kind: 'append', input });
  }

  undo(): Promise<{ done: boolean; seq: number }> {
    return this.#submit({ kind: 'undo' });
  }

  redo(): Promise<{ done: boolean; seq: number }> {
    return this.#submit({ kind: 'redo' });
  }

  revert(commit: string): Promise<{ seq: number }> {
    if (typeof commit !== 'string' || commit.length === 0) {
      return Promise.reject(new InvalidEventError('revert() needs the commit id of the change to undo (StoredEvent.commit)'));
    }
    return this.#submit({ kind: 'revert', commit });
  }

  async compact(options: { before: number }): Promise<CompactResult & { seq: number }> {
    const before = validateCompact(options);
    this.#assertOpen();
    // Loaded here, outside any transaction: the op itself runs inside the writer's.
    const { compactLog, surveyDrop } = await import('./compact.ts');
    // Counted first, outside the writer's queue: the op then holds appends up for milliseconds,
    // not for a read of every event it drops. (A survey that failed is only work not saved.)
    const survey = await surveyDrop(this.#log.db, before).catch(() => undefined);
    return this.#submit({ kind: 'compact', before, run: compactLog, survey });
  }

  async flush(): Promise<number> {
    this.#assertOpen();
    await this.#queue.settled();
    return this.#seq;
  }

  /** Queues a call for the writer; one that needs compacted history gets it first (./restore.ts). */
  #submit<K extends OpKind>(body: BodyOf<K>): Promise<Settled<K>> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return withRestore(() => this.#queue.submit(body), this.#restoreHost);
  }

  async #runBatch(ops: Op[]): Promise<void> {
    const before = this.#view;
    const attempt = await attemptBatch({ ...this.#batch, view: before, versions: this.#versions }, ops);
    if ('failed' in attempt) {
      if (ops.length > 0)
        this.#storage.soon(); // a write was refused: perhaps the quota
      // A catch-up alone that needs history before the point: fetch it, then catch up again.
      else if (isNeedsRestore(attempt.failed) && !this.#closed) this.#submit({ kind: 'catchUp' }).catch(() => undefined);
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
    const change = changeOf(this.#log.projections, before, after);
    if (change) {
      this.#storage.soon();
      this.#announce(change);
      this.#peers.tellMoved();
    }
    if (addedPending || (after.pending > 0 && ops.length === 0)) this.#sync.poke();
    if (!this.#closed) this.#auto?.maybe(after, (point) => this.compact({ before: point }));
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
      if (this.#sync.takePeerStatus(message.sync)) this.#announce({});
      return;
    }
    if (typeof message.head !== 'number') return;
    if (message.head === this.#view.head && message.epoch === this.#view.epoch) return;
    this.#queue.catchUp();
  }

  // ---- reads --------------------------------------------------------------------------

  #projection(name: string): Projection<unknown> {
    const p = this.#byName.get(name);
    if (!p) {
      throw new UnknownProjectionError(`No projection named "${name}"; this store has: ${[...this.#byName.keys()].join(', ') || 'none'}`, {
        details: { projection: name },
      });
    }
    return p;
  }

  #reads(): ReadContext {
    return {
      db: this.#log.db,
      schema: this.#log.schema,
      view: () => this.#view,
      settled: () => this.#queue.settled(),
      withRestore: (call) => withRestore(call, this.#restoreHost),
    };
  }

  async stateAt(projection: string, at: StateAt): Promise<unknown> {
    this.#assertOpen();
    return readStateAt(this.#reads(), this.#projection(projection), at);
  }

  async events(query?: EventQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return readEvents(this.#reads(), query);
  }

  // ---- sync ---------------------------------------------------------------------------

  #syncHost(): SyncBridgeHost {
    return {
      db: this.#log.db,
      integrate: async (input) => (await this.#submit({ kind: 'integrate', input })).integrated,
      statusChanged: (status, leading) => {
        if (this.#closed) return;
        this.#announce({});
        if (leading) this.#peers.post({ sync: status });
        this.#slice(); // held back while a sync round ran
      },
    };
  }

  async syncNow(): Promise<void> {
    this.#assertOpen();
    await this.#sync.now();
    await this.#queue.settled();
  }

  async syncPause(): Promise<void> {
    this.#assertOpen();
    this.#sync.pause();
  }

  async syncResume(): Promise<void> {
    this.#assertOpen();
    this.#sync.resume();
  }

  async syncSetToken(token: string): Promise<void> {
    this.#assertOpen();
    this.#sync.setToken(token);
  }

  async syncRejected(): Promise<RejectedCommit[]> {
    this.#assertOpen();
    return readRejected(this.#log.db, this.#log.schema);
  }

  async refreshStorage(): Promise<void> {
    this.#assertOpen();
    await this.#storage.refresh();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#storage.close();
    await this.#sync.close();
    await this.#queue.settled();
    await this.#slicer.close();
    this.#peers.flush();
    this.#peers.close();
    this.#log.db.close();
  }
}
