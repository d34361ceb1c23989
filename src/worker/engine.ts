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
import { uuidv7 } from 'uuidv7';
import { InvalidEventError, StoreClosedError, SyncError, UnknownProjectionError, isStorageFullError } from '../core/errors/index.ts';
import { validateInputs, type EventInput, type ExpectedVersion, type StoredEvent } from '../core/event.ts';
import { MarkerLog, markerOf, type HistoryWalk } from '../core/markers.ts';
import type { Projection } from '../core/projection.ts';
import { initialState, type States } from '../core/replay.ts';
import { readCommit, readHead, readMarkers } from '../storage/log.ts';
import { queryEvents, validateQuery, type EventQuery } from '../storage/query.ts';
import { eventsOf, openLogDb, type LogDb, type SnapshotRecord } from '../storage/schema.ts';
import { countPending, readConfirmedHead, readPendingWire, readRewrites, rewrittenFrom } from '../storage/sync.ts';
import type { Syncer, SyncHost } from '../sync/syncer.ts';
import type { Change, EngineApi, OpenOptions, Opened, RejectedCommit, StateAt, StoreStatus } from './contract.ts';
import { integrate, type IntegrateInput, type IntegrateResult } from './integrate.ts';
import { parseStateAt, storageError, validateSyncOptions } from './checks.ts';
import { stateAtView } from './timeTravel.ts';
import { Writer, type WriteOp } from './writer.ts';
import { Working, type LogContext, type OwnTail, type RecentStates } from './working.ts';

export interface EngineConfig extends OpenOptions {
  projections: Record<string, Projection<any>>;
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  /** The transport's fetch (tests, fault injection); default globalThis.fetch. */
  fetch?: typeof fetch | undefined;
}

export type Normalised = ReturnType<typeof validateInputs>;

/** What stores on one database tell each other over their BroadcastChannel. */
interface PeerMessage {
  /** The log grew or was rewritten: look again. */
  head?: number;
  epoch?: number;
  /** The leader's sync status, for the tabs that do not sync themselves. */
  sync?: Pick<StoreStatus, 'sync' | 'lastSyncedAt' | 'lastError'>;
}

type OpBody = WriteOp | { kind: 'integrate'; input: IntegrateInput };
type Op = OpBody & { result?: unknown; error?: unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/** What one transaction of a batch did, kept only once it committed. */
interface Attempt {
  ws: Working;
  lastAppendWasOwnCommit: boolean;
  addedPending: boolean;
  history: HistoryWalk | undefined;
}

/** An append without expectedVersion: it needs no read of the log. */
const isPlain = (op: Op): op is Op & { kind: 'append' } => op.kind === 'append' && op.input.expectedVersion === 'any';

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
  readonly #syncing: boolean;
  readonly #writer: Writer;
  readonly #channel: BroadcastChannel | undefined;
  #peersTold: ReturnType<typeof setTimeout> | undefined;

  private constructor(init: {
    db: LogDb;
    config: EngineConfig;
    clientId: string;
    onChange: (change: Change) => void;
    projections: Projection<unknown>[];
  }) {
    this.#db = init.db;
    this.clientId = init.clientId;
    this.#onChange = init.onChange;
    const every = init.config.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.#ctx = { db: init.db, projections: init.projections, every: Number.isFinite(every) && every > 0 ? Math.floor(every) : 0 };
    this.#byName = new Map(init.projections.map((p) => [p.name, p]));
    this.#states = {};
    this.#markers = new MarkerLog();
    this.#channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`eventloom:${init.config.name}`) : undefined;
    if (this.#channel) this.#channel.onmessage = (m: MessageEvent<PeerMessage>) => this.#onPeerChange(m.data);
    this.#syncing = init.config.sync !== undefined;
    this.#writer = new Writer({ db: init.db, clientId: init.clientId, syncing: this.#syncing });
  }

  static async open(config: EngineConfig, onChange: (change: Change) => void): Promise<Engine> {
    if (typeof config.name !== 'string' || config.name.length === 0) throw new TypeError('createStore: name must be a non-empty string');
    const projections = Object.entries(config.projections ?? {}).map(([key, p]) => {
      if (p.name !== key) throw new TypeError(`createStore: projection "${p.name}" is registered under the key "${key}"; use its name as key`);
      return p as Projection<unknown>;
    });
    const db = openLogDb(config);
    await db.open();
    // A read-only look first: a read-write transaction costs more, and is needed only once.
    const known = config.clientId ?? (await db.meta.get('clientId'))?.value;
    const clientId = typeof known === 'string' ? known : await db.transaction('rw', db.meta, async () => {
      const stored = await db.meta.get('clientId');
      if (typeof stored?.value === 'string') return stored.value;
      const made = uuidv7();
      await db.meta.put({ key: 'clientId', value: made });
      return made;
    });
    if (config.sync) validateSyncOptions(config.sync);
    const engine = new Engine({ db, config, clientId, onChange, projections });
    try {
      if (config.sync) {
        // Loaded only by stores that sync: the worker of a local-only app stays smaller.
        const { HttpTransport, Syncer } = await import('../sync/index.ts');
        const { sync } = config;
        const transport = new HttpTransport({ url: sync.url, logId: sync.logId, token: sync.token, fetch: config.fetch });
        engine.#syncer = new Syncer(engine.#syncHost(), transport, { live: sync.live ?? true, lockName: `eventloom:sync:${config.name}` });
      }
      await engine.#load();
      engine.#syncer?.start();
    } catch (error) {
      engine.#channel?.close();
      db.close();
      throw error;
    }
    return engine;
  }

  /** Start-up: markers, then every projection from its newest valid snapshot plus the tail. */
  async #load(): Promise<void> {
    const db = this.#db;
    // One read transaction: head, markers, snapshots and tail from one state of the log.
    // Independent reads are issued together: a fresh worker pays a round trip per await.
    const { ws, history } = await db.transaction('r', db.records, db.snapshots, db.meta, async () => {
      const [head, rewrites, pending, markerEvents] = await Promise.all([readHead(db), readRewrites(db), countPending(db), readMarkers(db)]);
      this.#head = head;
      this.#epoch = rewrites.epoch;
      this.#pending = pending;
      const markers = new MarkerLog();
      for (const e of markerEvents) if (e.position <= head) markers.add(markerOf(e)!);
      const targets = markers.unknownTargets();
      const firsts = await Promise.all(targets.map(async (target) => (await readCommit(db, target))[0]?.position));
      targets.forEach((target, i) => {
        if (firsts[i] !== undefined) markers.setFirst(target, firsts[i]);
      });
      this.#markers = markers;
      const working = this.#working();
      const [, history] = await Promise.all([working.rebuild(head, { captureMissing: true }), this.#writer.history({ head, markers })]);
      return { ws: working, history };
    });
    this.#states = ws.states;
    this.#maxTime = ws.maxTime;
    this.#canUndo = history.undoTarget !== undefined;
    this.#canRedo = history.redoTarget !== undefined;
    if (ws.snapshots.length > 0) await this.#saveSnapshots(ws.snapshots);
    this.#loaded = true;
    // Another tab may have written while we loaded; its message may have come too early.
    this.#catchUpWanted = true;
    this.#scheduleDrain();
  }

  async #saveSnapshots(snapshots: SnapshotRecord[]): Promise<void> {
    for (const s of snapshots) {
      // A state that cannot be cloned cannot be snapshotted; replay still derives it.
      await this.#db.snapshots.put(s).catch(() => undefined);
    }
  }

  opened(): Opened {
    return { clientId: this.clientId, seq: this.#seq, states: { ...this.#states }, status: this.#status() };
  }

  #status(): StoreStatus {
    const status: StoreStatus = { head: this.#head, pending: this.#pending, canUndo: this.#canUndo, canRedo: this.#canRedo, sync: this.#sync.sync };
    if (this.#sync.lastSyncedAt !== undefined) status.lastSyncedAt = this.#sync.lastSyncedAt;
    if (this.#sync.lastError !== undefined) status.lastError = this.#sync.lastError;
    return status;
  }

  #working(): Working {
    return new Working(this.#ctx, {
      head: this.#head,
      maxTime: this.#maxTime,
      pending: this.#pending,
      epoch: this.#epoch,
      states: this.#states,
      markers: this.#markers,
      versions: this.#versions,
      recent: this.#recent,
      own: this.#own,
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

  #submit(body: OpBody): Promise<unknown> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#ops.push({ ...body, resolve, reject });
      this.#scheduleDrain();
    });
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
    });
  }

  async #runBatch(ops: Op[]): Promise<void> {
    // A batch of plain appends first runs optimistically: its catch-up reads are issued
    // together with its writes instead of before them, one round trip instead of three.
    // If another store did write (or the attempt failed in any way), nothing was kept and
    // the batch runs again the careful way.
    let attempt: Attempt | undefined;
    if (ops.length > 0 && ops.every(isPlain)) {
      try {
        attempt = await this.#attempt(ops, true);
      } catch (error) {
        const mapped = storageError(error);
        if (isStorageFullError(mapped)) {
          for (const op of ops) op.reject(mapped);
          return;
        }
      }
    }
    try {
      attempt ??= await this.#attempt(ops, false);
    } catch (error) {
      const mapped = storageError(error);
      for (const op of ops) op.reject(mapped);
      return;
    }
    const { ws, lastAppendWasOwnCommit, addedPending, history } = attempt;
    const changed = this.#changedStates(ws);
    const moved = this.#moved(ws);
    const rewritten = ws.epoch !== this.#epoch;
    this.#head = ws.head;
    this.#maxTime = ws.maxTime;
    this.#states = ws.states;
    this.#markers = ws.markers;
    this.#recent = ws.recent;
    this.#own = ws.own;
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
      this.#announce(changed);
      this.#tellPeers();
    }
    if (addedPending || (this.#pending > 0 && ops.length === 0)) this.#syncer?.poke();
    for (const op of ops) {
      if (op.error !== undefined) op.reject(op.error);
      else op.resolve({ ...(op.result as object), seq: this.#seq });
    }
  }

  /**
   * Tells the other stores on this database that the log moved, after this task: the
   * callers' results go out first, and a burst of batches costs one post.
   */
  #tellPeers(): void {
    if (!this.#channel || this.#peersTold !== undefined) return;
    this.#peersTold = setTimeout(() => this.#postToPeers(), 0);
  }

  #postToPeers(): void {
    clearTimeout(this.#peersTold);
    this.#peersTold = undefined;
    this.#channel?.postMessage({ head: this.#head, epoch: this.#epoch } satisfies PeerMessage);
  }

  /** One transaction of a batch; throws if it did not commit (then nothing of it is kept). */
  async #attempt(ops: Op[], optimistic: boolean): Promise<Attempt> {
    const db = this.#db;
    const ws = this.#working();
    const done: Attempt = { ws, lastAppendWasOwnCommit: false, addedPending: false, history: undefined };
    for (const op of ops) {
      delete op.result;
      delete op.error;
    }
    // Only an integration records rejected commits: a smaller scope is a cheaper transaction.
    const scope = ops.some((op) => op.kind === 'integrate') ? [db.records, db.snapshots, db.meta, db.rejected] : [db.records, db.snapshots, db.meta];
    await db.transaction('rw', scope, async () => {
      // Another store on this database may have rewritten (rebased) or extended the log.
      if (optimistic) {
        const head = ws.head;
        const seen = Promise.all([readRewrites(db), db.records.where(':id').above(head).count()]);
        for (const op of ops) if (isPlain(op)) this.#runPlain(ws, op, done);
        ws.flush();
        const [rewrites, foreign] = await seen;
        if (foreign > 0 || rewrites.epoch !== ws.epoch) throw new Error('the log moved: run the batch the careful way');
      } else {
        const rewrites = await readRewrites(db);
        const from = rewrittenFrom(rewrites, ws.epoch);
        if (from <= ws.head) await ws.rewind(from - 1);
        ws.epoch = rewrites.epoch;
        const foreign = await db.records.where(':id').above(ws.head).toArray();
        for (const record of foreign) await ws.apply([...eventsOf(record)], { capture: false });
        if (from !== Infinity || foreign.length > 0) ws.pending = await countPending(db);
        for (const op of ops) {
          if (op.kind === 'append' && op.input.expectedVersion === 'any') {
            this.#runPlain(ws, op, done);
            continue;
          }
          ws.flush(); // what follows may read the log: it must see the writes before it
          const cp = ws.checkpoint();
          try {
            op.result = op.kind === 'integrate' ? { integrated: await integrate(this.#db, ws, op.input) } : await this.#writer.prepare(ws, op);
            if (op.kind !== 'integrate') {
              done.lastAppendWasOwnCommit = op.kind === 'append';
              done.addedPending ||= this.#syncing && ws.head !== cp.head;
            }
          } catch (error) {
            if (op.kind === 'integrate') throw error;
            ws.rollback(cp);
            op.error = storageError(error);
          }
        }
      }
      await ws.settle();
      for (const s of ws.snapshots) await db.snapshots.put(s).catch(() => undefined);
      // undo()/redo() flags of the log as this batch leaves it, read in its transaction
      // (a read on its own would cost a transaction per request). A new own commit at the
      // top needs no read: it can be undone and nothing can be redone.
      if (!(done.lastAppendWasOwnCommit && ws.epoch === this.#epoch) && this.#moved(ws)) {
        done.history = await this.#writer.history(ws).catch(() => undefined); // keep the old flags
      }
    });
    return done;
  }

  /**
   * A plain append (no expectedVersion) needs no read: it runs without an await, so a group
   * commit of many appends stays one uninterrupted transaction body, and their records are
   * written together.
   */
  #runPlain(ws: Working, op: Op & { kind: 'append' }, done: Attempt): void {
    const cp = ws.checkpoint();
    try {
      op.result = { events: this.#writer.commit(ws, op.input.events) };
      done.lastAppendWasOwnCommit = true;
      done.addedPending ||= this.#syncing;
    } catch (error) {
      ws.rollback(cp);
      op.error = storageError(error);
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
    return ws.head !== this.#head || ws.epoch !== this.#epoch || ws.pending !== this.#pending || Object.keys(this.#changedStates(ws)).length > 0;
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
    return stateAtView(this.#db, p, this.#markers, view, this.#head);
  }

  async events(query?: EventQuery): Promise<StoredEvent[]> {
    this.#assertOpen();
    return queryEvents(this.#db, validateQuery(query));
  }

  // ---- sync ---------------------------------------------------------------------------

  #syncHost(): SyncHost {
    return {
      pendingWire: () => readPendingWire(this.#db),
      confirmedHead: () => readConfirmedHead(this.#db),
      integrate: async (input: IntegrateInput) =>
        ((await this.#submit({ kind: 'integrate', input })) as { integrated: IntegrateResult }).integrated,
      setSync: (patch) => {
        const next = { ...this.#sync, ...patch };
        if (next.sync === this.#sync.sync && next.lastSyncedAt === this.#sync.lastSyncedAt && next.lastError === this.#sync.lastError) return;
        this.#sync = next;
        if (this.#closed) return;
        this.#announce({});
        if (this.#syncer?.leading) this.#channel?.postMessage({ sync: next } satisfies PeerMessage);
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

  async syncRejected(): Promise<RejectedCommit[]> {
    this.#assertOpen();
    const rows = await this.#db.rejected.orderBy('at').toArray();
    return rows.map(({ commit, events, reason, streamVersion }) => ({ commit, events, reason, ...(streamVersion === undefined ? {} : { streamVersion }) }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#syncer?.close();
    await this.#chain;
    if (this.#peersTold !== undefined) this.#postToPeers();
    this.#channel?.close();
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
    close: () => engine.close(),
  };
}
