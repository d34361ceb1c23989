/**
 * stateAt(): the state of one projection at a past point, from the nearest valid snapshot
 * at or before that point plus a replay of the tail.
 * - { position: p }: events at positions <= p, markers at positions <= p.
 * - { time: t }: events (and markers) with time <= t. A snapshot at S serves only if
 *   every event up to S has time <= t (its `maxTime`), and the tail is every record after
 *   S that holds an event with time <= t (found through the `minTime` index).
 */
import { inView, type MarkerLog, type View } from '../core/markers.ts';
import type { Projection } from '../core/projection.ts';
import type { EventSchema } from '../core/upcast.ts';
import { fold, frozen, initialState } from '../core/replay.ts';
import { forEachEvents, recordContaining } from '../storage/log.ts';
import { scanRecords } from '../storage/scan.ts';
import { eventsOf } from '../storage/records.ts';
import type { LogDb, LogRecord } from '../storage/schema.ts';
import { findSnapshot } from '../storage/snapshots.ts';
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
  const snap = await findSnapshot(
    db,
    projection.name,
    projection.version,
    limit,
    (s) => markers.validStart(s.position, view) && ('time' in view ? s.maxTime <= view.time : true),
  );
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
    const from = (await recordContaining(db, start + 1))?.first ?? start + 1;
    const visit = (record: LogRecord) => {
      if (record.minTime <= view.time) fold(options, [...eventsOf(record, start + 1)].filter((e) => inView(view, e.position, e.time)));
    };
    // Two ways to find the tail; take the one that reads fewer records: every record after
    // the snapshot, or (clocks need not be monotonic) every record holding an event <= t.
    const after = await db.records.where(':id').aboveOrEqual(from).count();
    const early = await db.records.where('minTime').belowOrEqual(view.time).count();
    if (after <= early) {
      await scanRecords(db, ':id', from, Infinity, false, visit);
    } else {
      const keys = (await db.records.where('minTime').belowOrEqual(view.time).primaryKeys())
        .filter((k) => k >= from)
        .sort((a, b) => a - b);
      for (let i = 0; i < keys.length; i += 64) {
        for (const record of await db.records.bulkGet(keys.slice(i, i + 64))) if (record) visit(record);
      }
    }
  }
  return states[projection.name];
}
