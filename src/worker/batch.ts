/**
 * One batch of the engine's writer (engine invariants 1 and 2): its calls run in one
 * IndexedDB transaction on a draft of the engine's view, which first applies what other
 * stores wrote past our head (catch-up). The engine installs the draft's view only once
 * that transaction committed.
 */
import { isStorageFullError } from '../core/errors/index.ts';
import { storageError } from '../storage/errors.ts';
import { countPending } from '../storage/pending.ts';
import { eventsOf } from '../storage/records.ts';
import { readRewrites, type Rewrites, rewrittenFrom } from '../storage/rewrites.ts';
import { boundTo, type LogDb } from '../storage/schema.ts';
import { compactLog } from './compact.ts';
import { Draft } from './draft.ts';
import type { Op } from './opQueue.ts';
import { RecordWrites } from './recordWrites.ts';
import { saveUndo, type UndoRedo } from './undoHistory.ts';
import { moved, type LogContext, type LogView } from './view.ts';
import type { Writer } from './writer.ts';

/** What one transaction of a batch did, kept only once it committed. */
export interface Attempt {
  draft: Draft;
  lastAppendWasOwnCommit: boolean;
  addedPending: boolean;
  /** undo()/redo() targets as the batch leaves the log, when they may have changed. */
  history: UndoRedo | undefined;
}

/** What a batch starts from: the engine's view as its last committed batch left it, and the log it writes. */
export interface BatchStart {
  readonly log: LogContext;
  /** The write transactions' IndexedDB durability (runPlainBatch opens its own). */
  readonly durability: IDBTransactionDurability;
  readonly writer: Writer;
  /** Bound to a log (./logBinding.ts): new commits are pending until the server confirms them. */
  readonly bound: boolean;
  readonly view: LogView;
  readonly versions: ReadonlyMap<string, number>;
}

type PlainAppend = Op<'append'>;

/**
 * A plain append (no expectedVersion) needs no read: it runs without an await, so a group
 * commit of many appends stays one uninterrupted transaction body, and their records are
 * written together.
 */
function runPlain(start: BatchStart, draft: Draft, writes: RecordWrites, op: PlainAppend, done: Attempt): void {
  const cp = draft.checkpoint({ commit: true });
  try {
    op.result = { events: start.writer.commit(draft, writes, op.input.events) };
    done.lastAppendWasOwnCommit = true;
    done.addedPending ||= start.bound;
  } catch (error) {
    draft.rollback(cp);
    op.error = storageError(error);
  }
}

/**
 * Runs the transaction of a batch. Resolves with what the committed transaction did, or with
 * `{ failed }` once every call of the batch was rejected (nothing was kept). The calls' own
 * results and errors are left on them (`result`, `error`) for the engine to settle.
 */
export async function attemptBatch(start: BatchStart, ops: Op[]): Promise<Attempt | { failed: unknown }> {
  // A batch first runs optimistically: its catch-up reads are issued together with its
  // own reads and writes instead of before them (one round trip for a plain append instead
  // of three). If another store did write (or the attempt failed in any way), nothing was
  // kept and the batch runs again the careful way. An integration, a compaction and a
  // restore always run carefully (they change the epoch or the compaction point).
  let attempt: Attempt | undefined;
  if (
    ops.length > 0 &&
    !ops.some((op) => op.kind === 'integrate' || op.kind === 'compact' || op.kind === 'restore' || op.kind === 'catchUp')
  ) {
    try {
      const plain = isPlainBatch(ops) && !start.view.undoWalked ? await runPlainBatch(start, ops) : undefined;
      attempt = plain ?? (await runAttempt(start, ops, true));
    } catch (error) {
      const mapped = storageError(error);
      if (isStorageFullError(mapped)) {
        for (const op of ops) op.reject(mapped);
        return { failed: mapped };
      }
    }
  }
  try {
    attempt ??= await runAttempt(start, ops, false);
  } catch (error) {
    const mapped = storageError(error);
    for (const op of ops) op.reject(mapped);
    return { failed: mapped };
  }
  return attempt;
}

/** One transaction of a batch; throws if it did not commit (then nothing of it is kept). */
async function runAttempt(start: BatchStart, ops: Op[], optimistic: boolean): Promise<Attempt> {
  const unbound = start.log.db;
  for (const op of ops) {
    delete op.result;
    delete op.error;
  }
  // Only an integration records rejected commits: a smaller scope is a cheaper transaction.
  const tables = ops.some((op) => op.kind === 'integrate')
    ? ['records', 'slices', 'snapshots', 'meta', 'rejected']
    : ['records', 'slices', 'snapshots', 'meta'];
  return unbound.transaction('rw', tables, async (tx) => {
    // Every read and write of the batch through this transaction's tables (schema.ts boundTo).
    const db = boundTo(unbound, tx);
    const draft = new Draft({ ...start.log, db }, start.view, start.versions, start.writer.clientId);
    const writes = new RecordWrites(db);
    const done: Attempt = { draft, lastAppendWasOwnCommit: false, addedPending: false, history: undefined };
    // Another store on this database may have rewritten (rebased) or extended the log.
    if (optimistic) {
      // The checks go first in the transaction's queue, so they see the log as it was.
      const seen = Promise.all([readRewrites(db), db.records.where(':id').above(start.view.head).count()]);
      seen.catch(() => undefined); // a failure aborts the transaction; the careful run reports it
      await runOps(start, draft, writes, ops, done);
      writes.flush();
      const [rewrites, foreign] = await seen;
      if (foreign > 0 || rewrites.epoch !== start.view.epoch) throw new Error('the log moved: run the batch the careful way');
    } else {
      await catchUp(draft, ops);
      await runOps(start, draft, writes, ops, done);
    }
    await writes.settle();
    for (const s of draft.snapshots) await db.snapshots.put(s).catch(() => undefined);
    // undo()/redo() flags of the log as this batch leaves it, read in its transaction
    // (a read on its own would cost a transaction per request). A new own commit at the
    // top needs no read: it can be undone and nothing can be redone.
    if (!(done.lastAppendWasOwnCommit && draft.view.epoch === start.view.epoch) && moved(start.log.projections, start.view, draft.view)) {
      done.history = await start.writer.history(draft).catch(() => undefined); // keep the old flags
    }
    // What a walk found is kept, so that start-up need not walk again (./undoHistory.ts).
    if (draft.view.undoWalked) await saveUndo(db, start.writer.clientId, draft.view);
    return done;
  });
}

/**
 * The careful way's first step: what other stores did to the log since our view (a rewrite,
 * a compaction, restored history, new records) is applied to the draft, after the history
 * the batch's restore ops bring (it lies below the point, and the catch-up may need it).
 */
async function catchUp(draft: Draft, ops: Op[]): Promise<void> {
  const { db } = draft;
  const rewrites = await readRewrites(db);
  const from = rewrittenFrom(rewrites, draft.view.epoch);
  // Another store may have compacted (the epoch tells) or restored history (it does not).
  await draft.followCompaction();
  for (const op of ops) {
    if (op.kind !== 'restore') continue;
    await draft.restore(op.from, op.events);
    op.result = { compacted: draft.view.compacted };
  }
  if (from <= draft.view.head) await draft.rewind(from - 1);
  draft.set({ epoch: rewrites.epoch });
  const foreign = await db.records.where(':id').above(draft.view.head).toArray();
  for (const record of foreign) await draft.apply([...eventsOf(record)], { capture: false });
  if (from !== Infinity || foreign.length > 0) draft.set({ pending: await countPending(db, draft.view.head) });
}

/** The batch's calls in order, each undone alone if it fails (an integration fails the batch). */
async function runOps(start: BatchStart, draft: Draft, writes: RecordWrites, ops: Op[], done: Attempt): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'append' && op.input.expectedVersion === 'any') {
      runPlain(start, draft, writes, op, done);
      continue;
    }
    writes.flush(); // what follows may read the log: it must see the writes before it
    const cp = draft.checkpoint({ commit: op.kind === 'append' });
    try {
      switch (op.kind) {
        case 'restore': // done before the catch-up
        case 'catchUp': // the catch-up itself
          continue;
        case 'compact':
          op.result = await compactLog(draft, op.before, op.survey);
          continue;
        case 'integrate':
          op.result = { integrated: await op.run(draft, op.input) };
          continue;
        case 'append':
          op.result = await start.writer.append(draft, writes, op.input);
          break;
        case 'undo':
        case 'redo':
          op.result = await start.writer.undoRedo(draft, writes, op.kind);
          break;
        case 'revert':
          op.result = await start.writer.revert(draft, writes, op.commit);
          break;
      }
      done.lastAppendWasOwnCommit = op.kind === 'append';
      done.addedPending ||= start.bound && draft.view.head !== cp.view.head;
    } catch (error) {
      if (op.kind === 'integrate') throw error;
      draft.rollback(cp);
      op.error = storageError(error);
    }
  }
}

/** A batch of plain appends only (no expectedVersion): ./writer.ts prepares each from memory. */
function isPlainBatch(ops: readonly Op[]): ops is PlainAppend[] {
  return ops.length > 0 && ops.every((op) => op.kind === 'append' && op.input.expectedVersion === 'any');
}

/** A plain commit never reads: a draft whose database throws if anything tried. */
const NO_DATABASE = new Proxy({} as LogDb, {
  get(_target, key) {
    throw new Error(`a plain append touched the database (${String(key)}): it must run the careful way`);
  },
});

/**
 * The commonest batch, a group of plain appends (no expectedVersion), run optimistically in
 * one native IndexedDB transaction: its check (did another store rewrite the log?) goes first
 * in the transaction's queue, the commits' records after it, all issued in one synchronous
 * step. The same requests through Dexie's transaction wrapper cost ~0.3 ms
 * more per append here, a third of a one-event append (docs/benchmarks.md).
 *
 * Nothing here reads the log: a plain commit is prepared from memory (./writer.ts commit).
 * If the checks find that the log moved, the transaction is aborted before it can commit,
 * and the batch runs again the careful way (runAttempt); so does every failure but a full
 * disk. Resolves with what the committed transaction did; rejects if it did not commit
 * (nothing of it was kept). Not for a view whose undo index a walk filled in: the batch that
 * saves it goes through Dexie.
 */
async function runPlainBatch(start: BatchStart, ops: PlainAppend[]): Promise<Attempt> {
  const draft = new Draft({ ...start.log, db: NO_DATABASE }, start.view, start.versions, start.writer.clientId);
  const writes = new RecordWrites(undefined);
  const epoch = start.view.epoch;
  const tx = start.log.db.backendDB().transaction(['records', 'snapshots', 'meta'], 'readwrite', { durability: start.durability });
  const committed = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('the log moved: run the batch the careful way'));
  });
  committed.catch(() => undefined); // awaited below, unless issuing the writes threw first
  // The check first in the queue: it sees the log as this engine last left it. Records
  // another store wrote past our head need no check: the log has no gaps, so one of them is
  // keyed head + 1, as our first record is, and our add fails (ConstraintError, an abort).
  const rewrite = tx.objectStore('meta').get('rewrite');
  rewrite.onsuccess = () => {
    // A rewrite (rebase) or a compaction by another store: before our writes' results, so nothing commits.
    if (((rewrite.result as { value?: Rewrites } | undefined)?.value?.epoch ?? 0) !== epoch) tx.abort();
  };
  const done: Attempt = { draft, lastAppendWasOwnCommit: false, addedPending: false, history: undefined };
  try {
    for (const op of ops) runPlain(start, draft, writes, op, done);
    const records = tx.objectStore('records');
    for (const record of writes.take()) records.add(record);
    const snapshots = tx.objectStore('snapshots');
    for (const snapshot of draft.snapshots) {
      // A snapshot is an optimisation: failing to write one must not fail the commits.
      snapshots.put(snapshot).onerror = (event) => event.preventDefault();
    }
  } catch (error) {
    tx.abort();
    throw error;
  }
  await committed;
  return done;
}
