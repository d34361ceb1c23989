/**
 * What a batch (./batch.ts, ./plainBatch.ts) starts from and what it leaves: the engine's
 * view as its last committed batch left it, and the draft its transaction made of it.
 */
import { storageError } from '../storage/errors.ts';
import type { LogDb } from '../storage/schema.ts';
import { Draft } from './draft.ts';
import type { LogContext } from './view.ts';
import type { Op } from './ops.ts';
import type { RecordWrites } from './recordWrites.ts';
import type { UndoRedo } from './undoHistory.ts';
import type { LogView } from './view.ts';
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
  /** The write transactions' IndexedDB durability (./plainBatch.ts opens its own). */
  readonly durability: IDBTransactionDurability;
  readonly writer: Writer;
  /** Bound to a log (./logBinding.ts): new commits are pending until the server confirms them. */
  readonly bound: boolean;
  readonly view: LogView;
  readonly versions: ReadonlyMap<string, number>;
}

/** A draft of the batch's start view, reading and writing through `db`. */
export function draftOf(start: BatchStart, db: LogDb): Draft {
  return new Draft({ ...start.log, db }, start.view, start.versions, start.writer.clientId);
}

export type PlainAppend = Op<'append'>;

/**
 * A plain append (no expectedVersion) needs no read: it runs without an await, so a group
 * commit of many appends stays one uninterrupted transaction body, and their records are
 * written together.
 */
export function runPlain(start: BatchStart, draft: Draft, writes: RecordWrites, op: PlainAppend, done: Attempt): void {
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
