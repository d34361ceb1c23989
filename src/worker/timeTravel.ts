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
import { NeedsHistory } from './history.ts';

/** The state of a projection at `position` (what a snapshot there holds); NeedsHistory below `base`. */
export function stateAtPosition(
  db: LogDb,
  projection: Projection<unknown>,
  markers: MarkerLog,
  position: number,
  base: number,
  schema: EventSchema,
): Promise<unknown> {
  return stateAtView(db, projection, markers, { position }, position, schema, base);
}

/** `base`: the compaction point; a replay that would start below it throws NeedsHistory. */
export async function stateAtView(
  db: LogDb,
  projection: Projection<unknown>,
  markers: MarkerLog,
  view: Exclude<View, 'head'>,
  head: number,
  schema: EventSchema,
  base: number,
): Promise<unknown> {
  const limit = 'position' in view ? Math.min(view.position, head) : head;
  const valid = (position: number) => position <= limit && markers.validStart(position, view);
  const snap =
    'position' in view
      ? await findSnapshot(db, projection.name, projection.version, limit, valid)
      : await findSnapshotByTime(db, projection.name, projection.version, view.time, valid);
  const start = snap?.position ?? 0;
  if (start < base) throw new NeedsHistory(start);
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
    const from = (await db.records.where(':id').belowOrEqual(start + 1).reverse().limit(1).primaryKeys())[0] ?? start + 1;
    const keys = (await db.records.where('minTime').belowOrEqual(view.time).primaryKeys()).filter((k) => k >= from).sort((a, b) => a - b);
    for (let i = 0; i < keys.length; i += 64) {
      for (const record of await db.records.bulkGet(keys.slice(i, i + 64))) {
        if (record) fold(options, [...eventsOf(record, start + 1)].filter((e) => inView(view, e.position, e.time)));
      }
    }
  }
  return states[projection.name];
}
