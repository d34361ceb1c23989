/**
 * One batch of the engine's writer (engine invariants 1 and 2): its calls run in one
 * IndexedDB transaction on a working copy of the engine's view, which first applies what
 * other stores wrote past our head (catch-up). The engine installs the working copy only
 * once that transaction committed.
 */
import { isStorageFullError } from '../core/errors/index.ts';
import type { DropSurvey } from '../storage/compaction.ts';
import { eventsOf } from '../storage/records.ts';
import { boundTo, type LogDb } from '../storage/schema.ts';
import { countPending, readRewrites, rewrittenFrom } from '../storage/sync.ts';
import { storageError } from './checks.ts';
import { integrate, type IntegrateInput } from './integrate.ts';
import { isPlainBatch, runPlainBatch, type PlainAppend } from './plainBatch.ts';
import type { compactLog } from './compact.ts';
import type { HistoryEvent } from './history.ts';
import { saveUndo, type UndoRedo } from './undoHistory.ts';
import type { LogContext, Working } from './working.ts';
import type { WriteOp, Writer } from './writer.ts';

export type OpBody =
  | WriteOp
  | { kind: 'integrate'; input: IntegrateInput }
  /** `run`: ./compact.ts's compactLog, loaded by the engine before the op is queued, with what it surveyed first. */
  | { kind: 'compact'; before: number; run: typeof compactLog; survey: DropSurvey | undefined }
  | { kind: 'restore'; from: number; events: HistoryEvent[] }
  /** Nothing but the batch's catch-up: for one that needed history, run again after it came. */
  | { kind: 'catchUp' };
export type Op = OpBody & { result?: unknown; error?: unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };

/** What one transaction of a batch did, kept only once it committed. */
export interface Attempt {
  ws: Working;
  lastAppendWasOwnCommit: boolean;
  addedPending: boolean;
  history: UndoRedo | undefined;
}

/** What a batch needs of the engine. */
export interface BatchContext {
  readonly db: LogDb;
  /** The write transactions' IndexedDB durability (./plainBatch.ts opens its own). */
  readonly durability: IDBTransactionDurability;
  readonly log: LogContext;
  readonly writer: Writer;
  /** With sync, new commits are pending. */
  readonly syncing: boolean;
  /** A working copy of the engine's view, as the last committed batch left it, reading and writing through `db`. */
  working(db: LogDb): Working;
  /** Did a working copy change anything that is announced? */
  moved(ws: Working): boolean;
  /** A batch of no calls (a catch-up alone) failed: nobody else hears of it. */
  failedAlone(error: unknown): void;
}

/**
 * Runs the transaction of a batch. Resolves with what the committed transaction did, or
 * with undefined once every call of the batch was rejected (nothing was kept). The calls'
 * own results and errors are left on them (`result`, `error`) for the engine to settle.
 */
export async function attemptBatch(ctx: BatchContext, ops: Op[]): Promise<Attempt | undefined> {
  // A batch first runs optimistically: its catch-up reads are issued together with its
  // own reads and writes instead of before them (one round trip for a plain append instead
  // of three). If another store did write (or the attempt failed in any way), nothing was
  // kept and the batch runs again the careful way. An integration, a compaction and a
  // restore always run carefully (they change the epoch or the compaction point).
  let attempt: Attempt | undefined;
  if (ops.length > 0 && !ops.some((op) => op.kind === 'integrate' || op.kind === 'compact' || op.kind === 'restore' || op.kind === 'catchUp')) {
    try {
      const plain = isPlainBatch(ops) ? await runPlainBatch(ctx, ops, (ws, op, done) => runPlain(ctx, ws, op, done)) : undefined;
      attempt = plain ?? (await runAttempt(ctx, ops, true));
    } catch (error) {
      const mapped = storageError(error);
      if (isStorageFullError(mapped)) {
        for (const op of ops) op.reject(mapped);
        return undefined;
      }
    }
  }
  try {
    attempt ??= await runAttempt(ctx, ops, false);
  } catch (error) {
    const mapped = storageError(error);
    for (const op of ops) op.reject(mapped);
    if (ops.length === 0) ctx.failedAlone(mapped);
    return undefined;
  }
  return attempt;
}

/** One transaction of a batch; throws if it did not commit (then nothing of it is kept). */
async function runAttempt(ctx: BatchContext, ops: Op[], optimistic: boolean): Promise<Attempt> {
  const { db: unbound } = ctx;
  for (const op of ops) {
    delete op.result;
    delete op.error;
  }
  // Only an integration records rejected commits: a smaller scope is a cheaper transaction.
  const tables = ops.some((op) => op.kind === 'integrate') ? ['records', 'slices', 'snapshots', 'meta', 'rejected'] : ['records', 'slices', 'snapshots', 'meta'];
  return unbound.transaction('rw', tables, async (tx) => {
    // Every read and write of the batch through this transaction's tables (schema.ts boundTo).
    const db = boundTo(unbound, tx);
    const ws = ctx.working(db);
    // The engine's epoch: it changes only when a committed batch is installed.
    const epoch = ws.epoch;
    const done: Attempt = { ws, lastAppendWasOwnCommit: false, addedPending: false, history: undefined };
    // Another store on this database may have rewritten (rebased) or extended the log.
    if (optimistic) {
      // The checks go first in the transaction's queue, so they see the log as it was.
      const seen = Promise.all([readRewrites(db), db.records.where(':id').above(ws.head).count()]);
      seen.catch(() => undefined); // a failure aborts the transaction; the careful run reports it
      await runOps(ctx, ws, ops, done);
      ws.flush();
      const [rewrites, foreign] = await seen;
      if (foreign > 0 || rewrites.epoch !== ws.epoch) throw new Error('the log moved: run the batch the careful way');
    } else {
      const rewrites = await readRewrites(db);
      const from = rewrittenFrom(rewrites, ws.epoch);
      // Another store may have compacted (the epoch tells) or restored history (it does not).
      await ws.followBase();
      // Restored history comes first: it lies below the point, and the catch-up may need it.
      for (const op of ops) {
        if (op.kind !== 'restore') continue;
        await ws.restore(op.from, op.events);
        op.result = { compacted: ws.base };
      }
      if (from <= ws.head) await ws.rewind(from - 1);
      ws.epoch = rewrites.epoch;
      const foreign = await db.records.where(':id').above(ws.head).toArray();
      for (const record of foreign) await ws.apply([...eventsOf(record)], { capture: false });
      if (from !== Infinity || foreign.length > 0) ws.pending = await countPending(db, ws.head);
      await runOps(ctx, ws, ops, done);
    }
    await ws.settle();
    for (const s of ws.snapshots) await db.snapshots.put(s).catch(() => undefined);
    // undo()/redo() flags of the log as this batch leaves it, read in its transaction
    // (a read on its own would cost a transaction per request). A new own commit at the
    // top needs no read: it can be undone and nothing can be redone.
    if (!(done.lastAppendWasOwnCommit && ws.epoch === epoch) && ctx.moved(ws)) {
      done.history = await ctx.writer.history(ws).catch(() => undefined); // keep the old flags
    }
    // What a walk found is kept, so that start-up need not walk again (./undoHistory.ts).
    if (ws.undoWalked) await saveUndo(db, ctx.writer.clientId, ws);
    return done;
  });
}

/** The batch's calls in order, each undone alone if it fails (an integration fails the batch). */
async function runOps(ctx: BatchContext, ws: Working, ops: Op[], done: Attempt): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'append' && op.input.expectedVersion === 'any') {
      runPlain(ctx, ws, op, done);
      continue;
    }
    ws.flush(); // what follows may read the log: it must see the writes before it
    const cp = ws.checkpoint({ commit: op.kind === 'append' });
    try {
      if (op.kind === 'compact') {
        op.result = await op.run({ ...ctx.log, db: ws.db }, ws, op.before, op.survey);
        continue;
      }
      if (op.kind === 'restore' || op.kind === 'catchUp') continue; // done before the catch-up / the catch-up itself
      op.result = op.kind === 'integrate' ? { integrated: await integrate(ws.db, ws, op.input) } : await ctx.writer.prepare(ws, op);
      if (op.kind !== 'integrate') {
        done.lastAppendWasOwnCommit = op.kind === 'append';
        done.addedPending ||= ctx.syncing && ws.head !== cp.head;
      }
    } catch (error) {
      if (op.kind === 'integrate') throw error;
      ws.rollback(cp);
      op.error = storageError(error);
    }
  }
}

/**
 * A plain append (no expectedVersion) needs no read: it runs without an await, so a group
 * commit of many appends stays one uninterrupted transaction body, and their records are
 * written together.
 */
function runPlain(ctx: BatchContext, ws: Working, op: PlainAppend, done: Attempt): void {
  const cp = ws.checkpoint({ commit: true });
  try {
    op.result = { events: ctx.writer.commit(ws, op.input.events) };
    done.lastAppendWasOwnCommit = true;
    done.addedPending ||= ctx.syncing;
  } catch (error) {
    ws.rollback(cp);
    op.error = storageError(error);
  }
}
