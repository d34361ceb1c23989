/**
 * The write operations of a batch: append, undo, redo, revert. Each prepares its commit on
 * the batch's draft (applied to every projection) and queues its record's write as its last
 * step, so an operation that throws has written nothing.
 */
import { uuidv7 } from 'uuidv7';
import { ConcurrencyError, InvalidEventError } from '../core/errors/index.ts';
import { REDO, UNDO, isMarkerType, type ExpectedVersion, type StoredEvent, type ValidInput, type ValidInputs } from '../core/event.ts';
import type { EventSchema } from '../core/upcast.ts';
import { readCommit } from '../storage/log.ts';
import { makeRecord } from '../storage/records.ts';
import type { LogRecord } from '../storage/schema.ts';
import { newRecordEvent, storedEvent } from '../storage/shapes.ts';
import type { Draft } from './draft.ts';
import type { OpResults } from './opQueue.ts';
import type { RecordWrites } from './recordWrites.ts';
import { NeedsRestore } from './restore.ts';
import { ownCommit } from './recent.ts';
import { undoRedo, type UndoRedo } from './undoHistory.ts';

export class Writer {
  readonly clientId: string;
  /** Bound to a log (sync): commits are pending until the server confirms them. */
  readonly #bound: boolean;
  readonly #schema: EventSchema;

  constructor(init: { clientId: string; bound: boolean; schema: EventSchema }) {
    this.clientId = init.clientId;
    this.#bound = init.bound;
    this.#schema = init.schema;
  }

  /** append(): a commit of app events, after checking the stream's version if one is expected. */
  async append(draft: Draft, writes: RecordWrites, input: ValidInputs): Promise<OpResults['append']> {
    const { events, expectedVersion } = input;
    if (expectedVersion !== 'any') {
      const stream = events[0]!.stream;
      const actual = await draft.version(stream);
      const expected = expectedVersion === 'none' ? 0 : expectedVersion;
      if (actual !== expected) {
        throw new ConcurrencyError(
          `Stream "${stream}" is at version ${actual}, but the append expected ${expectedVersion === 'none' ? '"none" (an empty stream)' : expected}`,
          { details: { stream, expectedVersion, actualVersion: actual } },
        );
      }
    }
    return { events: this.commit(draft, writes, events, expectedVersion) };
  }

  /** undo() or redo(): a marker for the commit the history walk names, if any. */
  async undoRedo(draft: Draft, writes: RecordWrites, kind: 'undo' | 'redo'): Promise<OpResults['undo']> {
    const history = await this.history(draft);
    const target = kind === 'undo' ? history.undoTarget : history.redoTarget;
    if (target === undefined) return { done: false };
    await this.#mark(draft, writes, kind === 'undo' ? UNDO : REDO, target, false);
    return { done: true };
  }

  /** revert(commit): an $undo of that commit, unless it is undone already. */
  async revert(draft: Draft, writes: RecordWrites, commit: string): Promise<OpResults['revert']> {
    if (!draft.view.markers.isUndone(commit)) await this.#mark(draft, writes, UNDO, commit, true);
    return {};
  }

  /** Appends one commit of app events: positions after head, applied, then written. Synchronous. */
  commit(draft: Draft, writes: RecordWrites, inputs: readonly ValidInput[], expectedVersion: ExpectedVersion = 'any'): StoredEvent[] {
    const { record, events } = this.#newCommit(draft, inputs, expectedVersion);
    draft.applyOwnCommit(events, this.#bound ? events.length : 0);
    writes.add(record);
    return events;
  }

  /** What undo() and redo() would act on (./undoHistory.ts). */
  history(draft: Draft): Promise<UndoRedo> {
    return undoRedo(draft.db, this.clientId, draft);
  }

  /** The record of a new commit at head+1: one commit id and time, fresh event ids. */
  #newCommit(draft: Draft, inputs: readonly ValidInput[], expectedVersion: ExpectedVersion): { record: LogRecord; events: StoredEvent[] } {
    const commit = uuidv7();
    const time = Date.now();
    const bodies = inputs.map((e) =>
      newRecordEvent(e, { id: uuidv7(), clientId: this.clientId, commit, time, schemaVersion: this.#schema.current(e.type) }),
    );
    // The server checks a pending commit's expectedVersion again at push.
    const record = makeRecord(draft.view.head + 1, bodies, this.#bound);
    if (this.#bound && expectedVersion !== 'any') record.ev = expectedVersion;
    return { record, events: bodies.map((body, i) => storedEvent(body, record.first + i, this.#bound)) };
  }

  /** Appends an $undo/$redo marker for `target`, in the target's stream. */
  async #mark(draft: Draft, writes: RecordWrites, type: typeof UNDO | typeof REDO, target: string, revert: boolean): Promise<void> {
    // A recent own commit is in memory (Draft invariant 5); any other is read.
    const events = ownCommit(draft.view.own, target) ?? (await readCommit(draft.db, target));
    // Not here: on a compacted log it may be before the point (anywhere in it).
    if (events.length === 0 && draft.view.compacted > 0) throw new NeedsRestore(0);
    if (events.length === 0) throw new InvalidEventError(`revert(): no commit "${target}" in the log`, { details: { commit: target } });
    if (events.every((e) => isMarkerType(e.type))) {
      throw new InvalidEventError(`revert(): commit "${target}" is an undo/redo marker; markers cannot be undone`, {
        details: { commit: target },
      });
    }
    const input: ValidInput = { type, payload: { commit: target }, stream: events[0]!.stream };
    if (revert) input.meta = { revert: true };
    const { record, events: marker } = this.#newCommit(draft, [input], 'any');
    draft.noteTarget(events);
    await draft.apply(marker, { capture: true, own: true }); // may recompute from a snapshot before the target
    writes.add(record);
    if (this.#bound) draft.set({ pending: draft.view.pending + marker.length });
    draft.noteOwn(marker);
  }
}
