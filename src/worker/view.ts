/**
 * The engine's view of the log, as one immutable record: what its last committed batch
 * left. A batch works on a Draft (./draft.ts) that replaces the record as it goes; the
 * engine installs the draft's record once the batch's transaction committed, and a failed
 * operation inside a batch goes back to the record it started from.
 */
import type { MarkerLog } from '../core/markers.ts';
import type { States } from '../core/replay.ts';
import { UndoIndex } from '../core/undoIndex.ts';
import type { Projection } from '../core/projection.ts';
import type { EventSchema } from '../core/upcast.ts';
import type { LogDb } from '../storage/schema.ts';
import type { OwnEvents, RecentStates } from './recent.ts';

/** The log a view describes: its database, projections, snapshot interval and event schema. */
export interface LogContext {
  readonly db: LogDb;
  readonly projections: readonly Projection<unknown>[];
  /** Snapshot interval; 0 = no snapshots. */
  readonly every: number;
  /** Event schema versions and upcasters (core/upcast.ts). */
  readonly schema: EventSchema;
}

export interface LogView {
  readonly head: number;
  /** The compaction point: positions up to it are not in the local database (storage/compaction.ts). */
  readonly compacted: number;
  /** The largest event time up to `head`. */
  readonly maxTime: number;
  /** Pending (unconfirmed) events in the log: the last `pending` positions. */
  readonly pending: number;
  /** The last log rewrite this view has applied (storage/schema.ts invariant 4). */
  readonly epoch: number;
  /** Every projection's state at `head` (all markers honoured). */
  readonly states: States;
  /** Every marker up to `head`; shared between views, copied before a change (Draft). */
  readonly markers: MarkerLog;
  /** The head states before the last few own commits (./recent.ts; Draft invariant 4). */
  readonly recent: readonly RecentStates[];
  /** This client's newest events (./recent.ts; Draft invariant 5). */
  readonly own: OwnEvents;
  /** What undo() and redo() act on, as far as known (core/undoIndex.ts; Draft invariant 6). */
  readonly undo: UndoIndex;
  /** A history walk filled `undo` in, not yet kept in the database (./undoHistory.ts saveUndo). */
  readonly undoWalked: boolean;
}

/** A view at `head` with no states, no own events and nothing known of undo. */
export function emptyView(at: { head: number; compacted: number; pending: number; epoch: number; markers: MarkerLog }): LogView {
  return {
    ...at,
    maxTime: -Infinity,
    states: {},
    recent: [],
    own: { from: at.head + 1, events: [] },
    undo: UndoIndex.unknown(at.head),
    undoWalked: false,
  };
}

/**
 * What a batch changed that is announced: the projections whose state changed, with their
 * new state (empty if only the position, point, epoch or pending count moved); undefined if
 * nothing moved.
 */
export function changeOf(projections: readonly { name: string }[], before: LogView, after: LogView): States | undefined {
  const changed: States = {};
  let any =
    after.head !== before.head || after.compacted !== before.compacted || after.epoch !== before.epoch || after.pending !== before.pending;
  for (const p of projections) {
    if (after.states[p.name] === before.states[p.name]) continue;
    changed[p.name] = after.states[p.name];
    any = true;
  }
  return any ? changed : undefined;
}

/** Did a batch change anything that is announced? */
export function moved(projections: readonly { name: string }[], before: LogView, after: LogView): boolean {
  return changeOf(projections, before, after) !== undefined;
}
