/**
 * The engine: owns the database, serialises every change through one writer, keeps the
 * head state of every projection in memory and announces each change. The same class runs
 * in a worker (behind Comlink, see ./index.ts) and in-process (see client/createStore.ts).
 *
 * Invariants:
 * 1. One writer: changes run one batch at a time (`#chain`); each batch is one IndexedDB
 *    transaction holding many queued appends (group commit). In-memory state is replaced
 *    only after that transaction committed, so a failed batch changes nothing.
 * 2. Another store on the same database (another tab) may write between our batches: every
 *    batch first applies records past our head ("catch-up"), inside its own transaction.
 * 3. A call resolves only after the change that includes its effect was announced.
 */
import { Dexie } from 'dexie';
import { InvalidEventError, StoreClosedError, SyncError, UnknownProjectionError } from '../core/errors/index.ts';
import { validateInputs, type EventInput, type ExpectedVersion, type StoredEvent } from '../core/event.ts';
import { MarkerLog } from '../core/markers.ts';
import type { Projection } from '../core/projection.ts';
import { eventSchema, type Upcasters } from '../core/upcast.ts';
import { initialState, type States } from '../core/replay.ts';
import { readCompaction } from '../storage/compaction.ts';
import { validateQuery } from '../storage/query.ts';
import { boundTo, type LogDb } from '../storage/schema.ts';
import { readConfirmedHeadNow, readPushable } from '../storage/sync.ts';
import type { Syncer, SyncHost, TokenSource } from '../sync/syncer.ts';
import { attemptBatch, type BatchContext, type Op, type OpBody } from './batch.ts';
import type { Change, EngineApi, OpenOptions, Opened } from '../api/contract.ts';
import type { EventQuery, RejectedCommit, StateAt, StorageLike, StoreStatus } from '../api/store.ts';
import type { IntegrateInput, IntegrateResult } from './integrate.ts';
import { parseStateAt, validateSyncOptions } from './checks.ts';
import { Peers, type PeerMessage } from './peers.ts';
import { StorageStatus } from './storageStatus.ts';
import { makeClientId, openDatabase, readStartWithHistory, saveSnapshots, type StartView } from './startup.ts';
import type { OwnTail, RecentStates } from './tails.ts';
import type { UndoIndex } from '../core/undoIndex.ts';
import { stateAtView } from './timeTravel.ts';
import { Writer } from './writer.ts';
import { autoCompactBefore, compactionKeep, validateCompact } from './compactPolicy.ts';
import { isNeedsHistory, learnHistory, queryAfterBase, withHistory, type HistorySource } from './history.ts';
import { Working, type LogContext } from './working.ts';
import { GROUP_EVENTS, sliceNext } from '../storage/slicer.ts';

/** How long the store must be quiet before the background slicer starts. */
const SLICE_QUIET_MS = 1000;

export interface EngineConfig extends OpenOptions {
  projections: Record<string, Projection<any>>;
  /** Per event type, the upcasters from each older payload shape (core/upcast.ts). */
  upcasters?: Upcasters | undefined;
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  /** The transport's fetch (tests, fault injection); default globalThis.fetch. */
  fetch?: typeof fetch | undefined;
  /** Gives the sync token at start and after each 401 (instead of sync.token). */
  token?: TokenSource | undefined;
  /** Whose estimate and persistence status.storage reports; default navigator.storage. */
  storage?: StorageLike | undefined;
}

export type Normalised = ReturnType<typeof validateInputs>;

const MAX_BATCH = 1000;
export const DEFAULT_SNAPSHOT_EVERY = 1000;

export class Engine implements EngineApi {
  readonly clientId: string;
  readonly #ctx: LogContext;
  readonly #db: LogDb;
  readonly #byName: ReadonlyMap<string, Projection<unknown>>;
  readonly #onChange: (change: Change) => void;
  #head = 0;
  #maxTime = -Infinity;
  #states: States;
  #markers: MarkerLog;
  #versions = new Map<string, number>();
  #recent: readonly RecentStates[] = [];
  #own: OwnTail | undefined;
  #undo: UndoIndex | undefined;
  /** Start-up's walk filled the undo index in: the next batch keeps it (./undoHistory.ts). */
  #undoWalked = false;
  #canUndo = false;
  #canRedo = false;
  #seq = 0;
  #closed = false;
  #chain: Promise<void> = Promise.resolve();
  #ops: Op[] = [];
  #draining = false;
  #catchUpWanted = false;
  #loaded = false;
  #pending = 0;
  #epoch = 0;
  #sync: Pick<StoreStatus, 'sync' | 'lastSyncedAt' | 'lastError'> = { sync: 'off' };
  #syncer: Syncer | undefined;
  /** Where compacted history comes from: the sync server (none without sync). */
  #transport: HistorySource | undefined;
  /** The compaction point (storage/compaction.ts). */
  #base = 0;
  /** createStore({ compaction: { keep } }): the events to keep locally; undefined: no automatic compaction. */
  #keep: number | undefined;
  #compacting = false;
  /** The automatic policy waits for this head after a compaction that could not move. */
  #compactAgainAt = 0;
  /** The background slicer: its wait for a quiet moment, its steps in flight, and how far it last found the log sliced. */
  #sliceTimer: ReturnType<typeof setTimeout> | undefined;
  #slicing: Promise<void> | undefined;
  #slicedThrough = -Infinity;
  readonly #syncing: boolean;
  readonly #writer: Writer;
  readonly #batch: BatchContext;
  readonly #peers: Peers;
  readonly #storage: StorageStatus;

  private constructor(init: { ctx: LogContext; config: EngineConfig; clientId: string; bound: boolean; onChange: (change: Change) => void }) {
    this.#db = init.ctx.db;
    this.clientId = init.clientId;
    this.#onChange = init.onChange;
    this.#ctx = init.ctx;
    this.#byName = new Map(init.ctx.projections.map((p) => [p.name, p]));
    this.#states = {};
    this.#markers = new MarkerLog();
    this.#peers = new Peers(init.config.name, (message) => this.#onPeerChange(message), () => ({ head: this.#head, epoch: this.#epoch }));
    // A database bound to a log writes pending events, with or without sync (./logBinding.ts).
    this.#syncing = init.bound;
    this.#writer = new Writer({ clientId: init.clientId, syncing: this.#syncing, schema: init.ctx.schema });
    this.#storage = new StorageStatus(init.config.storage, () => {
      if (!this.#closed && this.#loaded) this.#announce({});
    });
    this.#batch = {
      db: this.#db,
      durability: init.config.durability ?? 'default',
      log: this.#ctx,
      writer: this.#writer,
      syncing: this.#syncing,
      working: (db) => this.#working(db),
      moved: (ws) => this.#moved(ws),
      failedAlone: (error) => {
        // A catch-up that needs history before the point: fetch it, then catch up again.
        if (isNeedsHistory(error) && !this.#closed) this.#submit({ kind: 'catchUp' }).catch(() => undefined);
      },
    };
  }

  static async open(config: EngineConfig, onChange: (change: Change) => void): Promise<Engine> {
    const { db, projections } = await openDatabase(config);
    let engine: Engine | undefined;
    try {
      if (config.sync) validateSyncOptions(config.sync);
      const every = config.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
      const ctx: LogContext = {
        db,
        projections,
        every: Number.isFinite(every) && every > 0 ? Math.floor(every) : 0,
        schema: eventSchema(config.upcasters, 'createStore'),
      };
      // Loaded only by stores that sync: the worker of a local-only app stays smaller.
      const syncModule = config.sync ? await import('../sync/index.ts') : undefined;
      const transport =
        config.sync && syncModule
          ? new syncModule.HttpTransport({ url: config.sync.url, logId: config.sync.logId, token: config.sync.token, fetch: config.fetch })
          : undefined;
      // The client id and the database's binding to its log are read with the log, in start-up's one transaction.
      const opened = { name: config.name, sync: config.sync && { url: config.sync.url, logId: config.sync.logId } };
      const view = await readStartWithHistory(ctx, typeof config.clientId === 'string' ? config.clientId : undefined, opened, transport);
      engine = new Engine({ ctx, config, clientId: view.clientId ?? (await makeClientId(db)), bound: view.bound, onChange });
      engine.#transport = transport;
      engine.#keep = compactionKeep(config.compaction);
      if (config.sync && syncModule && transport) {
        engine.#syncer = new syncModule.Syncer(engine.#syncHost(), transport, {
          live: config.sync.live ?? true,
          lockName: `eventloom:sync:${config.name}`,
          token: config.token,
        });
      }
      await engine.#load(view);
      engine.#syncer?.start();
      engine.#storage.start(config.persist ?? true);
    } catch (error) {
      if (engine) engine.#peers.close();
      db.close();
      throw error;
    }
    return engine;
  }

  /** Start-up (see ./startup.ts): the view of the log as it was read, then a catch-up. */
  async #load(view: StartView): Promise<void> {
    const { head, epoch, pending, markers, ws, history } = view;
    this.#head = head;
    this.#base = ws.base;
    this.#epoch = epoch;
    this.#pending = pending;
    this.#markers = markers;
    this.#states = ws.states;
    this.#maxTime = ws.maxTime;
    this.#own = ws.own;
    this.#undo = ws.undo;
    this.#undoWalked = ws.undoWalked;
    this.#recent = ws.recent; // the states before the own commits start-up replayed
    this.#canUndo = history.undoTarget !== undefined;
    this.#canRedo = history.redoTarget !== undefined;
    if (ws.snapshots.length > 0) await saveSnapshots(this.#db, ws.snapshots, epoch);
    this.#loaded = true;
    // Another tab may have written while we loaded; its message may have come too early.
    this.#catchUpWanted = true;
    this.#scheduleDrain();
  }

  opened(): Opened {
    return { clientId: this.clientId, seq: this.#seq, states: { ...this.#states }, status: this.#status() };
  }

  #status(): StoreStatus {
    const status: StoreStatus = { head: this.#head, pending: this.#pending, canUndo: this.#canUndo, canRedo: this.#canRedo, sync: this.#sync.sync };
    if (this.#sync.lastSyncedAt !== undefined) status.lastSyncedAt = this.#sync.lastSyncedAt;
    if (this.#sync.lastError !== undefined) status.lastError = this.#sync.lastError;
    if (this.#ctx.schema.newerFrom !== Infinity) status.outdated = true;
    if (this.#storage.info) status.storage = { ...this.#storage.info };
    if (this.#base > 0) status.compacted = this.#base;
    return status;
  }

  #working(db: LogDb): Working {
    return new Working({ ...this.#ctx, db }, {
      head: this.#head,
      base: this.#base,
      maxTime: this.#maxTime,
      pending: this.#pending,
      epoch: this.#epoch,
      states: this.#states,
      markers: this.#markers,
      versions: this.#versions,
      recent: this.#recent,
      own: this.#own,
      undo: this.#undo,
      undoWalked: this.#undoWalked,
      clientId: this.clientId,
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreClosedError('The store is closed; create a new one with createStore() to go on');
  }

  // ---- writes -------------------------------------------------------------------------

  append(events: EventInput | EventInput[], options?: { expectedVersion?: ExpectedVersion }): Promise<{ events: StoredEvent[]; seq: number }> {
    let input: Normalised;
    try {
      this.#assertOpen();
      input = validateInputs(events, options?.expectedVersion);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#submit({ kind: 'append', input }) as Promise<{ events: StoredEvent[]; seq: number }>;
  }

  /** append() for input that validateInputs() already normalised (in-process mode). */
  appendValid(input: Normalised): Promise<{ events: StoredEvent[]; seq: number }> {
    return this.#submit({ kind: 'append', input }) as Promise<{ events: StoredEvent[]; seq: number }>;
  }

  undo(): Promise<{ done: boolean; seq: number }> {
    return this.#submit({ kind: 'undo' }) as Promise<{ done: boolean; seq: number }>;
  }

  redo(): Promise<{ done: boolean; seq: number }> {
    return this.#submit({ kind: 'redo' }) as Promise<{ done: boolean; seq: number }>;
  }

  revert(commit: string): Promise<{ seq: number }> {
    if (typeof commit !== 'string' || commit.length === 0) {
      return Promise.reject(new InvalidEventError('revert() needs the commit id of the change to undo (StoredEvent.commit)'));
    }
    return this.#submit({ kind: 'revert', commit }) as Promise<{ seq: number }>;
  }

  async flush(): Promise<number> {
    this.#assertOpen();
    await this.#chain;
    return this.#seq;
  }

  /** Queues a call for the writer; one that needs compacted history gets it first (./history.ts). */
  #submit(body: OpBody): Promise<unknown> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#withHistory(() => this.#enqueue(body));
  }

  #enqueue(body: OpBody): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#ops.push({ ...body, resolve, reject });
      this.#scheduleDrain();
    });
  }

  /** Runs `call`; if it needs events before the compaction point, restores them and runs it again. */
  #withHistory<T>(call: () => Promise<T>): Promise<T> {
    return withHistory(call, {
      db: this.#db,
      base: async () => Math.max(this.#base, await this.#readBase()),
      source: this.#transport,
      restore: (from, events) => {
        this.#assertOpen();
        return this.#enqueue({ kind: 'restore', from, events });
      },
    });
  }

  // ---- compaction ---------------------------------------------------------------------

  async #readBase(): Promise<number> {
    return (await readCompaction(this.#db)).base;
  }

  /**
   * A read of the log in one read transaction that starts with the compaction point as the
   * database has it (another tab may have moved it), so no compaction lands between the
   * point and the records read after it.
   */
  #readLog<T>(read: (db: LogDb, base: number) => Promise<T>): Promise<T> {
    return this.#db.transaction('r', ['records', 'slices', 'snapshots', 'meta'], async (tx) => {
      const db = boundTo(this.#db, tx); // every read in this transaction (storage/schema.ts)
      return read(db, (await readCompaction(db)).base);
    });
  }

  async compact(options: { before: number }): Promise<{ compacted: number; removed: number; seq: number }> {
    const before = validateCompact(options);
    this.#assertOpen();
    // Loaded here, outside any transaction: the op itself runs inside the writer's.
    const { compactLog, surveyDrop } = await import('./compact.ts');
    // Counted first, outside the writer's queue: the op then holds appends up for milliseconds,
    // not for a read of every event it drops. (A survey that failed is only work not saved.)
    const survey = await surveyDrop(this.#db, before).catch(() => undefined);
    return this.#submit({ kind: 'compact', before, run: compactLog, survey }) as Promise<{ compacted: number; removed: number; seq: number }>;
  }

  /** The automatic policy (createStore({ compaction: { keep } })): run after batches, in the background. */
  #maybeCompact(): void {
    if (this.#keep === undefined || this.#compacting || this.#closed || this.#head < this.#compactAgainAt) return;
    const before = autoCompactBefore(this.#keep, this.#head, this.#pending, this.#base);
    if (before === undefined) return;
    this.#compacting = true;
    const head = this.#head;
    this.compact({ before })
      .then(
        ({ removed }) => removed,
        () => 0,
      )
      .then((removed) => {
        // A point that could not move (a marker holds it, or it failed) is tried again only
        // after as many new events as a compaction needs, not after every write.
        if (removed === 0) this.#compactAgainAt = head + Math.max(1, Math.floor(this.#keep! / 4));
      })
      .finally(() => (this.#compacting = false));
  }

  #scheduleDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#chain = this.#chain.then(async () => {
      try {
        while ((this.#ops.length > 0 || this.#catchUpWanted) && this.#loaded) {
          this.#catchUpWanted = false;
          // An integration rewrites the log: it runs alone, and its failure aborts its transaction.
          const first = this.#ops.findIndex((op) => op.kind === 'integrate');
          const batch = first === 0 ? this.#ops.splice(0, 1) : this.#ops.splice(0, first === -1 ? MAX_BATCH : Math.min(first, MAX_BATCH));
          try {
            await this.#runBatch(batch);
          } catch (error) {
            // #runBatch settles its calls itself; this is a bug's last line of defence, so
            // that one failure cannot jam the queue for every later call.
            for (const op of batch) op.reject(error);
          }
        }
      } finally {
        this.#draining = false;
      }
      this.#maybeSlice();
    });
  }

  /**
   * Slices the log (storage/slicer.ts) once a group's worth of confirmed events is not sliced
   * yet, when the store has been quiet for SLICE_QUIET_MS (no call, no sync round), one group
   * per transaction: a burst of writes or a pull runs at full speed, and a call that comes
   * while slicing waits for one step at most.
   */
  #maybeSlice(): void {
    if (this.#sliceTimer !== undefined) clearTimeout(this.#sliceTimer);
    this.#sliceTimer = undefined;
    if (this.#slicing || this.#closed || this.#head - this.#pending - this.#slicedThrough < GROUP_EVENTS) return;
    this.#sliceTimer = setTimeout(() => {
      this.#sliceTimer = undefined;
      if (!this.#slicing && !this.#closed && this.#ops.length === 0 && !this.#draining && this.#sync.sync !== 'syncing') this.#slice();
    }, SLICE_QUIET_MS);
  }

  #slice(): void {
    const db = this.#db;
    const run = async () => {
      try {
        while (!this.#closed && this.#ops.length === 0 && !this.#draining && this.#sync.sync !== 'syncing') {
          // A transaction of its own, never nested in the one of the batch that called us.
          const step = await Dexie.ignoreTransaction(() => db.transaction('rw', db.records, db.slices, db.meta, () => sliceNext(db)));
          this.#slicedThrough = step.through;
          if (!step.sliced) break;
        }
      } catch {
        // Slices only make queries cheaper: a step that failed (a full disk, a closing
        // database) is tried again after the next write.
      }
    };
    this.#slicing = run().finally(() => (this.#slicing = undefined));
  }

  async #runBatch(ops: Op[]): Promise<void> {
    const attempt = await attemptBatch(this.#batch, ops);
    if (!attempt) {
      if (ops.length > 0) this.#storage.soon(); // a write was refused: perhaps the quota
      return; // nothing was kept; every call was rejected
    }
    const { ws, lastAppendWasOwnCommit, addedPending, history } = attempt;
    const changed = this.#changedStates(ws);
    const moved = this.#moved(ws);
    const rewritten = ws.epoch !== this.#epoch;
    this.#head = ws.head;
    if (ws.base !== this.#base) this.#slicedThrough = -Infinity; // compaction moves the sliced point (storage/slicer.ts)
    this.#base = ws.base;
    this.#maxTime = ws.maxTime;
    this.#states = ws.states;
    this.#markers = ws.markers;
    this.#recent = ws.recent;
    this.#own = ws.own;
    this.#undo = ws.undo;
    this.#undoWalked = false; // kept by the batch (batch.ts)
    ws.mergeVersionsInto(this.#versions);
    this.#pending = ws.pending;
    this.#epoch = ws.epoch;
    if (lastAppendWasOwnCommit && !rewritten) {
      this.#canUndo = true;
      this.#canRedo = false;
    } else if (history) {
      this.#canUndo = history.undoTarget !== undefined;
      this.#canRedo = history.redoTarget !== undefined;
    }
    if (moved) {
      this.#storage.soon();
      this.#announce(changed);
      this.#peers.tellMoved();
    }
    if (addedPending || (this.#pending > 0 && ops.length === 0)) this.#syncer?.poke();
    this.#maybeCompact();
    for (const op of ops) {
      if (op.error !== undefined) op.reject(op.error);
      else op.resolve({ ...(op.result as object), seq: this.#seq });
    }
  }

  /** The projections whose state a working copy changed. */
  #changedStates(ws: Working): States {
    const changed: States = {};
    for (const p of this.#ctx.projections) if (ws.states[p.name] !== this.#states[p.name]) changed[p.name] = ws.states[p.name];
    return changed;
  }

  /** Did a working copy change anything that is announced? */
  #moved(ws: Working): boolean {
    return ws.head !== this.#head || ws.base !== this.#base || ws.epoch !== this.#epoch || ws.pending !== this.#pending || Object.keys(this.#changedStates(ws)).length > 0;
  }


  #announce(states: States): void {
    this.#seq++;
    try {
      this.#onChange({ seq: this.#seq, states, status: this.#status() });
    } catch {
      // A listener's failure is the listener's; the change happened.
    }
  }

  #onPeerChange(message: PeerMessage | undefined): void {
    if (this.#closed || !this.#loaded || !message) return;
    if (message.sync && this.#syncer && !this.#syncer.leading && !this.#syncer.paused) {
      // The leader tab syncs for this database: show its sync status here too.
      this.#sync = message.sync;
      this.#announce({});
      return;
    }
    if (typeof message.head !== 'number') return;
    if (message.head === this.#head && message.epoch === this.#epoch) return;
    this.#catchUpWanted = true;
    this.#scheduleDrain();
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

  async stateAt(projection: string, at: StateAt): Promise<unknown> {
    this.#assertOpen();
    const p = this.#projection(projection);
    const view = parseStateAt(at);
    await this.#chain;
    if ('position' in view ? view.position >= this.#head : view.time >= this.#maxTime) return this.#states[p.name];
    if ('position' in view && view.position <= 0) return initialState(p);
    return this.#withHistory(() =>
      this.#readLog(async (db, base) => {
        // History another tab restored below our point: its markers, in a copy of ours.
        let markers = this.#markers;
        if (base < this.#base) await learnHistory(db, (markers = markers.clone()), this.#base, base);
        return stateAtView(db, p, markers, view, this.#head, this.#ctx.schema, base);
      }),
    );
  }

  async events(query?: EventQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    const q = validateQuery(query);
    return this.#withHistory(async () => this.#ctx.schema.read(await this.#readLog((db, base) => queryAfterBase(db, q, base))));
  }

  // ---- sync ---------------------------------------------------------------------------

  #syncHost(): SyncHost {
    return {
      pushable: (from) => readPushable(this.#db, from),
      confirmedHead: () => readConfirmedHeadNow(this.#db),
      integrate: async (input: IntegrateInput) =>
        ((await this.#submit({ kind: 'integrate', input })) as { integrated: IntegrateResult }).integrated,
      setSync: (patch) => {
        const next = { ...this.#sync, ...patch };
        if (next.sync === this.#sync.sync && next.lastSyncedAt === this.#sync.lastSyncedAt && next.lastError === this.#sync.lastError) return;
        this.#sync = next;
        if (this.#closed) return;
        this.#announce({});
        if (this.#syncer?.leading) this.#peers.post({ sync: next });
        this.#maybeSlice(); // held back while a sync round ran
      },
    };
  }

  #needSync(): Syncer {
    this.#assertOpen();
    if (!this.#syncer) throw new SyncError('This store has no sync: pass createStore({ sync: { url, logId } }) to sync with a server');
    return this.#syncer;
  }

  async syncNow(): Promise<void> {
    await this.#needSync().now();
    await this.#chain;
  }

  async syncPause(): Promise<void> {
    this.#needSync().pause();
  }

  async syncResume(): Promise<void> {
    this.#needSync().resume();
  }

  async syncSetToken(token: string): Promise<void> {
    this.#needSync().setToken(token);
  }

  async syncRejected(): Promise<RejectedCommit[]> {
    this.#assertOpen();
    const rows = await this.#db.rejected.orderBy('at').toArray();
    return rows.map(({ commit, events, reason, streamVersion }) => ({
      commit,
      events: this.#ctx.schema.read(events), // in the current shape, as events() gives them
      reason,
      ...(streamVersion === undefined ? {} : { streamVersion }),
    }));
  }

  async refreshStorage(): Promise<void> {
    this.#assertOpen();
    await this.#storage.refresh();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#storage.close();
    await this.#syncer?.close();
    if (this.#sliceTimer !== undefined) clearTimeout(this.#sliceTimer);
    await this.#chain;
    await this.#slicing;
    this.#peers.flush();
    this.#peers.close();
    this.#db.close();
  }
}

/** The engine's API as a plain object of bound functions (to expose, or to wrap). */
export function engineApi(engine: Engine): EngineApi {
  return {
    append: (events, options) => engine.append(events, options),
    undo: () => engine.undo(),
    redo: () => engine.redo(),
    revert: (commit) => engine.revert(commit),
    flush: () => engine.flush(),
    stateAt: (projection, at) => engine.stateAt(projection, at),
    events: (query) => engine.events(query),
    syncNow: () => engine.syncNow(),
    syncPause: () => engine.syncPause(),
    syncResume: () => engine.syncResume(),
    syncRejected: () => engine.syncRejected(),
    syncSetToken: (token) => engine.syncSetToken(token),
    compact: (options) => engine.compact(options),
    refreshStorage: () => engine.refreshStorage(),
    close: () => engine.close(),
  };
}
