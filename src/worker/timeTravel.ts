/**
 * stateAt(): the state of one projection at a past point, from the nearest valid snapshot
 * at or before that point plus a replay of the tail.
 * - { position: p }: events at positions <= p, markers at positions <= p.
 * - { time: t }: events (and markers) with time <= t. A snapshot at S serves only if
 *   every event up to S has time <= t (its `maxTime`), and the tail is every record after
 *   S that holds an event with time <= t (found through the `minTime` index's keys).
 */
import { inView, type MarkerLog, type View } from '../core/markers.ts';
import type { Projection } from '../core/projection.ts';
import type { EventSchema } from '../core/upcast.ts';
import { fold, frozen, initialState } from '../core/replay.ts';
import { forEachEvents } from '../storage/log.ts';
import { eventsOf } from '../storage/records.ts';
import type { LogDb } from '../storage/schema.ts';
import { findSnapshot, findSnapshotByTime } from '../storage/snapshots.ts';
import { InvalidEventError } from '../core/errors/index.ts';
import { NeedsRestore } from './restore.ts';

/** What a replay of the past reads: the log, one projection, the markers known, the compaction point. */
export interface PastLog {
  readonly db: LogDb;
  readonly projection: Projection<unknown>;
  readonly markers: MarkerLog;
  readonly schema: EventSchema;
  /** The compaction point: a replay that would start below it throws NeedsRestore. */
  readonly compacted: number;
}

/** stateAt()'s argument, checked: `{ position }` (floored) or `{ time }`. */
export function parseStateAt(at: unknown): { position: number } | { time: number } {
  const a = at as { position?: unknown; time?: unknown } | null;
  if (a && typeof a === 'object') {
    if (typeof a.position === 'number' && Number.isFinite(a.position)) return { position: Math.floor(a.position) };
    if (typeof a.time === 'number' && !Number.isNaN(a.time)) return { time: a.time };
  }
  throw new InvalidEventError('stateAt() needs { position: number } or { time: number }');
}

/** The state of a projection at `position` (what a snapshot there holds). */
export function stateAtPosition(log: PastLog, position: number): Promise<unknown> {
  return stateAtView(log, { position }, position);
}

/** The state of a projection in `view` of a log whose head is `head`. */
export async function stateAtView(log: PastLog, view: Exclude<View, 'head'>, head: number): Promise<unknown> {
  const { db, projection, markers, schema } = log;
  const limit = 'position' in view ? Math.min(view.position, head) : head;
  const valid = (position: number) => position <= limit && markers.validStart(position, view);
  const snap =
    'position' in view
      ? await findSnapshot(db, projection.name, projection.version, limit, valid)
      : await findSnapshotByTime(db, projection.name, projection.version, view.time, valid);
  const start = snap?.position ?? 0;
  if (start < log.compacted) throw new NeedsRestore(start);
  const states = { [projection.name]: snap ? frozen(projection, snap.state) : initialState(projection) };
  const options = {
    projections: [projection],
    states,
    startAt: { [projection.name]: start },
    undone: markers.undone(view),
    upcast: schema.reading,
    ...('time' in view ? { maxTime: view.time } : {}),
  };
  if ('position' in view) {
    await forEachEvents(db, start + 1, limit, (events) => fold(options, events));
  } else {
    // The tail: the records after the snapshot that hold an event with time <= t. Clocks
    // need not be monotonic, so any record after it may; the `minTime` index's keys (no
    // record is read) tell which do, and only those are read: with clocks that mostly move
    // forward, the few around time t.
    const from =
      (
        await db.records
          .where(':id')
          .belowOrEqual(start + 1)
          .reverse()
          .limit(1)
          .primaryKeys()
      )[0] ?? start + 1;
    const keys = (await db.records.where('minTime').belowOrEqual(view.time).primaryKeys()).filter((k) => k >= from).sort((a, b) => a - b);
    for (let i = 0; i < keys.length; i += 64) {
      for (const record of await db.records.bulkGet(keys.slice(i, i + 64))) {
        if (record)
          fold(
            options,
            [...eventsOf(record, start + 1)].filter((e) => inView(view, e.position, e.time)),
          );
      }
    }
  }
  return states[projection.name];
}
