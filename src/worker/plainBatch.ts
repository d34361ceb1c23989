/**
 * The commonest batch, a group of plain appends (no expectedVersion), run optimistically in
 * one native IndexedDB transaction: its check (did another store rewrite the log?) goes first
 * in the transaction's queue, the commits' records after it, all issued in one synchronous
 * step. The same requests through Dexie's transaction wrapper cost ~0.3 ms
 * more per append here, a third of a one-event append (docs/benchmarks.md).
 *
 * Nothing here reads the log: a plain commit is prepared from memory (./writer.ts commit).
 * If the checks find that the log moved, the transaction is aborted before it can commit,
 * and the batch runs again the careful way (./batch.ts); so does every failure but a full
 * disk.
 */
import type { Rewrites } from '../storage/rewrites.ts';
import type { LogDb } from '../storage/schema.ts';
import { draftOf, type Attempt, type BatchStart, type PlainAppend } from './attempt.ts';
import type { Draft } from './draft.ts';
import type { Op } from './ops.ts';
import { RecordWrites } from './recordWrites.ts';

export function isPlainBatch(ops: readonly Op[]): ops is PlainAppend[] {
  return ops.length > 0 && ops.every((op) => op.kind === 'append' && op.input.expectedVersion === 'any');
}

/** A plain commit never reads: a draft whose database throws if anything tried. */
const NO_DATABASE = new Proxy({} as LogDb, {
  get(_target, key) {
    throw new Error(`a plain append touched the database (${String(key)}): it must run the careful way`);
  },
});

/**
 * Runs the batch; resolves with what the committed transaction did. Rejects if the
 * transaction did not commit: nothing of it was kept. (Not for a view whose undo index a walk
 * filled in: the batch that saves it goes through Dexie, ./batch.ts.)
 */
export async function runPlainBatch(
  start: BatchStart,
  ops: PlainAppend[],
  runPlain: (start: BatchStart, draft: Draft, writes: RecordWrites, op: PlainAppend, done: Attempt) => void,
): Promise<Attempt> {
  const draft = draftOf(start, NO_DATABASE);
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
