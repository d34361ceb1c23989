/**
 * The write operations of a batch: append, undo, redo, revert. Each prepares its commit on
 * the batch's working copy (applied to every projection) and issues its record's write as
 * its last step, so an operation that throws has written nothing.
 */
import { uuidv7 } from 'uuidv7';
import { ConcurrencyError, InvalidEventError } from '../core/errors/index.ts';
import { REDO, UNDO, isMarkerType, type ExpectedVersion, type StoredEvent, type ValidInput, type validateInputs } from '../core/event.ts';
import type { EventSchema } from '../core/upcast.ts';
import { readCommit } from '../storage/log.ts';
import { eventsOf, makeRecord } from '../storage/records.ts';
import type { LogDb, LogRecord, RecordEvent } from '../storage/schema.ts';
import { NeedsHistory } from './history.ts';
import { ownCommit } from './tails.ts';
import { undoRedo, type UndoRedo } from './undoHistory.ts';
import type { Working } from './working.ts';

export type WriteOp =
  | { kind: 'append'; input: ReturnType<typeof validateInputs> }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'revert'; commit: string };

export class Writer {
  readonly clientId: string;
  /** With sync, commits are pending until the server confirms them. */
  readonly #syncing: boolean;
  readonly #schema: EventSchema;

  constructor(init: { clientId: string; syncing: boolean; schema: EventSchema }) {
    this.clientId = init.clientId;
    this.#syncing = init.syncing;
    this.#schema = init.schema;
  }

  async prepare(ws: Working, op: WriteOp): Promise<object> {
    switch (op.kind) {
      case 'append': {
        const { events, expectedVersion } = op.input;
        if (expectedVersion !== 'any') {
          const stream = events[0]!.stream;
          const actual = await ws.version(stream);
          const expected = expectedVersion === 'none' ? 0 : expectedVersion;
          if (actual !== expected) {
            throw new ConcurrencyError(
              `Stream "${stream}" is at version ${actual}, but the append expected ${expectedVersion === 'none' ? '"none" (an empty stream)' : expected}`,
              { details: { stream, expectedVersion, actualVersion: actual } },
            );
          }
        }
        return { events: this.commit(ws, events, expectedVersion) };
      }
      case 'undo':
      case 'redo': {
        const history = await this.history(ws);
        const target = op.kind === 'undo' ? history.undoTarget : history.redoTarget;
        if (target === undefined) return { done: false };
        await this.#mark(ws, op.kind === 'undo' ? UNDO : REDO, target, false);
        return { done: true };
      }
      case 'revert': {
        if (ws.markers.isUndone(op.commit)) return {};
        await this.#mark(ws, UNDO, op.commit, true);
        return {};
      }
    }
  }

  /** Appends one commit of app events: positions after head, applied, then written. Synchronous. */
  commit(ws: Working, inputs: readonly ValidInput[], expectedVersion: ExpectedVersion = 'any'): StoredEvent[] {
    const { record, events } = this.#newCommit(ws, inputs, expectedVersion);
    ws.applyForward(events, { capture: true });
    this.#write(ws, record);
    ws.noteOwn(events);
    return events;
  }

  /** What undo() and redo() would act on (./undoHistory.ts). */
  history(ws: Working): Promise<UndoRedo> {
    return undoRedo(ws.db, this.clientId, ws);
  }

  /** The record of a new commit at head+1: one commit id and time, fresh event ids. */
  #newCommit(ws: Working, inputs: readonly ValidInput[], expectedVersion: ExpectedVersion): { record: LogRecord; events: StoredEvent[] } {
    const commit = uuidv7();
    const time = Date.now();
    const bodies: RecordEvent[] = inputs.map((e) => {
      const body: RecordEvent = { id: uuidv7(), type: e.type, payload: e.payload, stream: e.stream, clientId: this.clientId, commit, time };
      if (e.meta !== undefined) body.meta = e.meta;
      const version = this.#schema.current(e.type);
      if (version > 1) body.schemaVersion = version; // core/upcast.ts invariant 2
      return body;
    });
    // The server checks a pending commit's expectedVersion again at push.
    const record = makeRecord(ws.head + 1, bodies, this.#syncing);
    if (this.#syncing && expectedVersion !== 'any') record.ev = expectedVersion;
    return { record, events: [...eventsOf(record)] };
  }

  #write(ws: Working, record: LogRecord): void {
    ws.write(record);
    if (this.#syncing) ws.pending += record.events.length;
  }

  /** Appends an $undo/$redo marker for `target`, in the target's stream. */
  async #mark(ws: Working, type: typeof UNDO | typeof REDO, target: string, revert: boolean): Promise<void> {
    // A recent own commit is in memory (Working invariant 5); any other is read.
    const events = ownCommit(ws.own, target) ?? (await readCommit(ws.db, target));
    // Not here: on a compacted log it may be before the point (anywhere in it).
    if (events.length === 0 && ws.base > 0) throw new NeedsHistory(0);
    if (events.length === 0) throw new InvalidEventError(`revert(): no commit "${target}" in the log`, { details: { commit: target } });
    if (events.every((e) => isMarkerType(e.type))) {
      throw new InvalidEventError(`revert(): commit "${target}" is an undo/redo marker; markers cannot be undone`, {
        details: { commit: target },
      });
    }
    const input: ValidInput = { type, payload: { commit: target }, stream: events[0]!.stream };
    if (revert) input.meta = { revert: true };
    const { record, events: marker } = this.#newCommit(ws, [input], 'any');
    ws.noteTarget(events);
    await ws.apply(marker, { capture: true, own: true }); // may recompute from a snapshot before the target
    this.#write(ws, record);
    ws.noteOwn(marker);
  }
}
