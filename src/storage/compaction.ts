/**
 * Compaction in the database: the confirmed records below a compaction point (`compacted`) are
 * dropped, and what the rest of the log still needs of them is kept in meta `compacted`.
 *
 * Invariants (with schema.ts's):
 * 1. Records tile compacted+1..head; positions 1..compacted are on the server only. Every dropped
 *    event was confirmed; a confirmed record that straddles the new point is cut there (its
 *    events after compacted stay, as a record starting at compacted+1).
 * 2. `streams` holds, per stream, its non-marker events at positions <= compacted, so a stream's
 *    version (expectedVersion) is that count plus what the records hold.
 * 3. A restore puts server events p'+1..p back (p' < p, p the compaction point) and lowers the point to p';
 *    it writes only positions the database does not hold, so two tabs restoring the same
 *    range cannot overlap records.
 * 4. Snapshots are never dropped by compaction: the one at compacted is where replays start, and
 *    older ones let a restore fetch less.
 */
import { isMarkerType } from '../core/event.ts';
import { makeRecord } from './records.ts';
import { readCompaction, writeCompaction } from './compactionMeta.ts';
import { forgetSlicesThrough } from './slicer.ts';
import type { LogDb, LogRecord, RecordEvent } from './schema.ts';

const RECORD_EVENTS = 1000;

/** What dropping one whole confirmed record takes from the log (dropThrough's tally of it). */
export interface DropTally {
  last: number;
  count: number;
  maxTime: number;
  /** Per stream, its non-marker events in the record (invariant 2). */
  streams: Record<string, number>;
}

/**
 * Tallies of confirmed records counted before the compaction's transaction, by the record's
 * first position (worker/compact.ts surveyDrop reads them in small read transactions, so
 * appends are not held up while 100k events are read). Valid for the epoch and compacted it was
 * read at only.
 */
export interface DropSurvey {
  epoch: number;
  compacted: number;
  tallies: ReadonlyMap<number, DropTally>;
}

export function tallyRecord(record: LogRecord): DropTally {
  return { last: record.last, ...tallyEvents(record.events) };
}

function tallyEvents(events: readonly RecordEvent[]): Omit<DropTally, 'last'> {
  const streams: Record<string, number> = {};
  let maxTime = -Infinity;
  for (const e of events) {
    if (!isMarkerType(e.type)) streams[e.stream] = (streams[e.stream] ?? 0) + 1;
    if (e.time > maxTime) maxTime = e.time;
  }
  return { count: events.length, maxTime, streams };
}

/**
 * Drops the events at positions compacted+1..to (all confirmed: the caller checked) and moves
 * the compaction point to `to`. Returns how many events were dropped and their largest time.
 * With `tallies` (a survey valid for this epoch and compacted), the records it tallied are not
 * read again: only their keys, whose tiling proves each record is the one tallied.
 */
export async function dropThrough(
  db: LogDb,
  to: number,
  tallies?: ReadonlyMap<number, DropTally>,
): Promise<{ removed: number; maxTime: number }> {
  const current = await readCompaction(db);
  if (to <= current.compacted) return { removed: 0, maxTime: current.maxTime };
  const streams = { ...current.streams };
  let removed = 0;
  let maxTime = current.maxTime;
  const add = (t: Pick<DropTally, 'count' | 'maxTime' | 'streams'>) => {
    removed += t.count;
    maxTime = Math.max(maxTime, t.maxTime);
    for (const [stream, n] of Object.entries(t.streams)) streams[stream] = (streams[stream] ?? 0) + n;
  };
  const [keys, [next], pending] = await Promise.all([
    db.records
      .where(':id')
      .between(current.compacted + 1, to, true, true)
      .primaryKeys(),
    db.records.where(':id').above(to).limit(1).primaryKeys(),
    db.records.where('pending').equals(1).primaryKeys(),
  ]);
  if (pending.some((first) => first <= to)) throw new Error(`compaction through ${to} would drop pending events`);
  // Records tile the log (schema invariant): each one ends where the next begins.
  const lastOf = (i: number) => (i + 1 < keys.length ? keys[i + 1]! - 1 : (next ?? Infinity) - 1);
  const unread: number[] = [];
  keys.forEach((key, i) => {
    const known = tallies?.get(key);
    if (known && known.last === lastOf(i) && known.last <= to) add(known);
    else unread.push(key);
  });
  let rest: LogRecord | undefined;
  for (const record of await db.records.bulkGet(unread)) {
    if (!record) throw new Error('a record of the compacted range vanished inside its transaction');
    if (record.last > to) {
      add(tallyEvents(record.events.slice(0, to - record.first + 1)));
      rest = makeRecord(to + 1, record.events.slice(to - record.first + 1), false);
    } else add(tallyRecord(record));
  }
  await db.records.bulkDelete(keys);
  if (rest) await db.records.add(rest);
  await forgetSlicesThrough(db, to);
  await writeCompaction(db, { compacted: to, streams, maxTime });
  return { removed, maxTime };
}

/**
 * Puts back confirmed events at consecutive positions `from`+1.. (as the server has them),
 * those below the current point only (invariant 3). Returns the new compaction point.
 */
export async function restore(db: LogDb, from: number, events: readonly (RecordEvent & { position: number })[]): Promise<number> {
  const current = await readCompaction(db);
  const missing = events.filter((e) => e.position <= current.compacted);
  if (from >= current.compacted || missing.length !== current.compacted - from || missing.some((e, i) => e.position !== from + 1 + i))
    return current.compacted;
  const streams = { ...current.streams };
  const records: LogRecord[] = [];
  for (let i = 0; i < missing.length; i += RECORD_EVENTS) {
    const chunk = missing.slice(i, i + RECORD_EVENTS);
    records.push(
      makeRecord(
        chunk[0]!.position,
        chunk.map(({ position: _, ...body }) => body),
        false,
      ),
    );
  }
  for (const e of missing) if (!isMarkerType(e.type)) streams[e.stream] = (streams[e.stream] ?? 0) - 1;
  for (const [stream, n] of Object.entries(streams)) if (n <= 0) delete streams[stream];
  await db.records.bulkAdd(records);
  // maxTime stays an upper bound of the (shorter) prefix's times: snapshot maxTimes come from the snapshots.
  await writeCompaction(db, { compacted: from, streams, maxTime: current.maxTime });
  return from;
}
