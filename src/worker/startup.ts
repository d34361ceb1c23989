/**
 * An engine's start-up: its database opened, this client's id, and the view of the log it
 * starts from.
 */
import { uuidv7 } from 'uuidv7';
import { HistoryUnavailableError } from '../core/errors/index.ts';
import { MarkerLog, markerOf } from '../core/markers.ts';
import type { StoredEvent } from '../core/event.ts';
import type { Projection } from '../core/projection.ts';
import { readCommit, readHead, readMarkers, recordContaining } from '../storage/log.ts';
import { findSnapshot } from '../storage/snapshots.ts';
import { eventsOf } from '../storage/records.ts';
import { boundTo, openLogDb, type LogDb, type SnapshotRecord } from '../storage/schema.ts';
import { restore } from '../storage/compaction.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { openForGood, type GoneReason } from '../storage/connection.ts';
import { fetchRestorable, isNeedsRestore, type RestoreSource } from './restore.ts';
import { firstPendingPosition } from '../storage/pending.ts';
import { readRewrites } from '../storage/rewrites.ts';
import type { EngineConfig } from './config.ts';
import { Draft } from './draft.ts';
import { emptyView, type LogContext, type LogView } from './view.ts';
import { readSavedUndo, restoreUndo, undoRedo, type UndoRedo } from './undoHistory.ts';
import { bindLog, checkLog, readLog, type LogAddress } from './logBinding.ts';

/**
 * Checks the projections and opens the database, for good: it never reopens itself, and
 * `gone` is called if it is deleted, upgraded or closed under the engine (../storage/connection.ts).
 */
export async function openDatabase(
  config: EngineConfig,
  gone: (reason: GoneReason) => void,
): Promise<{ db: LogDb; projections: Projection<unknown>[] }> {
  if (typeof config.name !== 'string' || config.name.length === 0) throw new TypeError('createStore: name must be a non-empty string');
  const projections = Object.entries(config.projections ?? {}).map(([key, p]) => {
    if (p.name !== key)
      throw new TypeError(`createStore: projection "${p.name}" is registered under the key "${key}"; use its name as key`);
    return p as Projection<unknown>;
  });
  if (config.durability !== undefined && !['default', 'strict', 'relaxed'].includes(config.durability)) {
    throw new TypeError(`createStore: durability must be 'default', 'strict' or 'relaxed', not ${JSON.stringify(config.durability)}`);
  }
  const db = openLogDb(config);
  await openForGood(db, gone);
  return { db, projections };
}

/** This client's id, made and stored on the first start of a database without one. */
export async function makeClientId(db: LogDb): Promise<string> {
  return db.transaction('rw', db.meta, async () => {
    const stored = await db.meta.get('clientId');
    if (typeof stored?.value === 'string') return stored.value;
    const made = uuidv7();
    await db.meta.put({ key: 'clientId', value: made });
    return made;
  });
}

/** The log as start-up found it. */
export interface StartView {
  /** The id given to createStore, else the stored one (undefined on a first start). */
  clientId: string | undefined;
  /** Every projection at the head. */
  view: LogView;
  /** The snapshots start-up's replay captured (saveSnapshots). */
  snapshots: SnapshotRecord[];
  history: UndoRedo;
  /** Bound to a log (./logBinding.ts): new events are pending, with or without sync. */
  bound: boolean;
}

/** The database's name and the log it is opened with (./logBinding.ts). */
export interface OpenedAs {
  name: string;
  sync: LogAddress | undefined;
}

/** The longest tail start-up reads at once (a multiple of the default snapshot interval). */
const TAIL_EVENTS = 10_000;

/**
 * Start-up: markers, then every projection from its newest valid snapshot plus the tail.
 * Undefined if the database is to be bound to its log first (a first open with sync).
 */
async function readStart(ctx: LogContext, clientId: string | undefined, as: OpenedAs): Promise<StartView | undefined> {
  // One read transaction: head, markers, snapshots and tail from one state of the log.
  // Independent reads are issued together: a fresh worker pays a round trip per await.
  return ctx.db.transaction('r', ['records', 'slices', 'snapshots', 'meta'], async (tx) => {
    const db = boundTo(ctx.db, tx); // every read in this transaction, however many awaits (schema.ts)
    const [log, head, rewrites, firstPending, markerEvents, storedId, newest, compaction, savedUndo] = await Promise.all([
      readLog(db),
      readHead(db),
      readRewrites(db),
      firstPendingPosition(db),
      readMarkers(db),
      clientId === undefined ? db.meta.get('clientId') : undefined,
      // The newest snapshot of each projection, valid or not (none lies past the head).
      Promise.all(ctx.projections.map((p) => findSnapshot(db, p.name, p.version, Infinity, () => true))),
      readCompaction(db),
      readSavedUndo(db),
    ]);
    const binding = checkLog(log, as.name, as.sync);
    if (binding === 'bind') return undefined;
    const pending = firstPending === undefined ? 0 : head - firstPending + 1;
    const id = clientId ?? (typeof storedId?.value === 'string' ? storedId.value : undefined);
    const markers = new MarkerLog();
    for (const e of markerEvents) if (e.position <= head) markers.add(markerOf(e)!);
    // Where each marker's target starts decides which snapshots are valid starts. The tail
    // after the newest snapshot is read anyway for the replay: the targets in it are found
    // there, and only older ones (an undo reaching past a snapshot) are looked up.
    // (A tail longer than TAIL_EVENTS, as without snapshots, is streamed by rebuild() instead.)
    const tailFrom = Math.min(head, ...newest.map((s) => Math.min(s?.position ?? 0, head))) + 1;
    const tail = tailFrom <= head && head - tailFrom < TAIL_EVENTS ? await readTail(db, tailFrom, head) : [];
    const wanted = new Set(markers.unknownTargets());
    // A commit's events are consecutive: only the one at the tail's first position may have
    // started before it.
    const straddles = tail[0]?.commit;
    for (const e of tail) if (e.commit !== straddles && wanted.delete(e.commit)) markers.setFirst(e.commit, e.position);
    const targets = [...wanted];
    const firsts = await Promise.all(targets.map(async (target) => (await readCommit(db, target))[0]?.position));
    targets.forEach((target, i) => {
      if (firsts[i] !== undefined) markers.setFirst(target, firsts[i]);
    });
    // A draft that knows only the markers: rebuild() sets every projection's state.
    const { compacted } = compaction;
    const draft = new Draft({ ...ctx, db }, emptyView({ head, compacted, pending, epoch: rewrites.epoch, markers }), new Map(), id);
    // What undo() and redo() act on: as kept after the last walk, brought up to the head; or walked.
    const kept = id === undefined ? undefined : restoreUndo(savedUndo, { rewrites, compacted, head }, tail, id, markers);
    if (kept) draft.set({ undo: kept });
    const [, history] = await Promise.all([
      draft.rebuild(head, { captureMissing: true, tail, newest }),
      id === undefined ? { undoTarget: undefined, redoTarget: undefined } : undoRedo(db, id, draft),
    ]);
    return { clientId: id, view: draft.view, snapshots: draft.snapshots, history, bound: binding === 'bound' };
  });
}

/**
 * readStart() (after binding the database to its log on a first open with sync), and if a
 * projection has no snapshot at or after the compaction point (a new projection, or a new
 * version of one, on a compacted store), the history it needs restored from the sync server
 * first: the one case where opening waits on the network. Without sync, or offline, opening
 * fails with HistoryUnavailableError and changes nothing.
 */
export async function readStartRestoring(
  ctx: LogContext,
  clientId: string | undefined,
  as: OpenedAs,
  source: RestoreSource | undefined,
): Promise<StartView> {
  for (let attempt = 1; ; attempt++) {
    try {
      let view = await readStart(ctx, clientId, as);
      // A first open with sync (only then is it undefined): bound, its events are pending; read again.
      while (view === undefined) {
        await bindLog(ctx.db, as.name, as.sync!);
        view = await readStart(ctx, clientId, as);
      }
      return view;
    } catch (error) {
      if (!isNeedsRestore(error)) throw error;
      if (attempt > 3)
        throw new HistoryUnavailableError('The history this store needs at start-up could not be restored from the sync server', {
          cause: error,
        });
      const { compacted } = await ctx.db.transaction('r', ctx.db.meta, () => readCompaction(ctx.db));
      const { from, events } = await fetchRestorable(ctx.db, source, error.from, compacted);
      await ctx.db.transaction('rw', ctx.db.records, ctx.db.slices, ctx.db.meta, () => restore(ctx.db, from, events));
    }
  }
}

/** The events from `from` to `to`: the record holding `from` and those after it, read together. */
async function readTail(db: LogDb, from: number, to: number): Promise<StoredEvent[]> {
  const [straddling, after] = await Promise.all([
    recordContaining(db, from),
    db.records.where(':id').between(from, to, false, true).toArray(),
  ]);
  const records = straddling ? [straddling, ...after] : after;
  return records.flatMap((record) => [...eventsOf(record, from, to)]);
}

/**
 * Stores the snapshots start-up's replay captured, unless the log was rewritten since it
 * was read (another tab rebased it): they would describe a prefix that is gone.
 */
export async function saveSnapshots(db: LogDb, snapshots: SnapshotRecord[], epoch: number): Promise<void> {
  await db.transaction('rw', db.snapshots, db.meta, async () => {
    if ((await readRewrites(db)).epoch !== epoch) return;
    for (const s of snapshots) {
      // A state that cannot be cloned cannot be snapshotted; replay still derives it.
      await db.snapshots.put(s).catch(() => undefined);
    }
  });
}
