/**
 * Reads of the packed log. All functions take the db and only await Dexie promises, so
 * they run inside a caller's transaction as well as on their own.
 */
import { REDO, UNDO, isMarkerType, type StoredEvent } from '../core/event.ts';
import { readCompaction } from './compactionMeta.ts';
import { eventAt, eventsOf } from './records.ts';
import { scanName, scanRecords } from './scan.ts';
import type { LogDb, LogRecord } from './schema.ts';

export async function readHead(db: LogDb): Promise<number> {
  const last = await db.records.orderBy(':id').last();
  return last?.last ?? (await readCompaction(db)).compacted;
}

export async function recordContaining(db: LogDb, position: number): Promise<LogRecord | undefined> {
  const record = await db.records.where(':id').belowOrEqual(position).last();
  return record && record.last >= position ? record : undefined;
}

/** Calls `visit` with the events at positions from..to in order, one record at a time. */
export async function forEachEvents(db: LogDb, from: number, to: number, visit: (events: StoredEvent[]) => void): Promise<void> {
  if (from > to) return;
  const start = (await recordContaining(db, from))?.first ?? from;
  await scanRecords(db, ':id', start, to, false, (record) => {
    visit([...eventsOf(record, from, to)]);
  });
}

/** All marker events ($undo/$redo) in the log, in log order. */
export async function readMarkers(db: LogDb): Promise<StoredEvent[]> {
  const markers = new Map<number, StoredEvent>(); // a record may hold both types
  await Promise.all(
    [UNDO, REDO].map((type) =>
      scanName(db, 't', type, -Infinity, Infinity, false, (part) => {
        part.events.forEach((e, i) => {
          if (!isMarkerType(e.type)) return;
          const event = eventAt(part, i);
          markers.set(event.position, event);
        });
      }),
    ),
  );
  return [...markers.keys()].sort((a, b) => a - b).map((position) => markers.get(position)!);
}

/** The events of one commit (empty if the log has none). */
export async function readCommit(db: LogDb, commit: string): Promise<StoredEvent[]> {
  const records = await db.records.where('ck').equals(commit).sortBy('first');
  return records.flatMap((record) => [...eventsOf(record)].filter((e) => e.commit === commit));
}

/** The number of non-marker events of a stream in the log (its version). */
export async function countStream(db: LogDb, stream: string): Promise<number> {
  let count = (await readCompaction(db)).streams[stream] ?? 0;
  await scanName(db, 's', stream, -Infinity, Infinity, false, (part) => {
    for (const e of part.events) if (e.stream === stream && !isMarkerType(e.type)) count++;
  });
  return count;
}
