/**
 * Reads of the packed log. All functions take the db and only await Dexie promises, so
 * they run inside a caller's transaction as well as on their own.
 */
import { REDO, UNDO, isMarkerType, type StoredEvent } from '../core/event.ts';
import { readCompaction } from './compaction.ts';
import { eventAt, eventsOf, type LogDb, type LogRecord } from './schema.ts';

/**
 * Records are read in chunks of keys found first, each chunk at most twice the records
 * and about as many events as were read before it (at least MIN_EVENTS): a walk that stops
 * at its first match (undo's history, a query with a small limit) reads one record, and a
 * walk that passes many small records before it reaches large ones never pulls a chunk of
 * 64 records of 1000 events each, while a long scan soon reads 64 records at a time.
 * A record's size is bounded by the gap to the next key in position order (the primary key
 * is the record's first position).
 */
const KEY_PAGE = 256;
const MAX_CHUNK = 64;
const MIN_EVENTS = 256;

type Index = ':id' | 'sk' | 'tk' | 'cl';
type Bound = number | [string, number];

/** Visits records of an index between two keys (inclusive), in order, until `visit` returns false. */
export async function scanRecords(
  db: LogDb,
  index: Index,
  low: Bound,
  high: Bound,
  reverse: boolean,
  visit: (record: LogRecord) => boolean | void,
): Promise<void> {
  let lo = low;
  let hi = high;
  let loOpen = false;
  let hiOpen = false;
  let chunk = 1;
  let eventsRead = 0;
  let above: number | undefined; // reverse: the key read before this page's first
  for (;;) {
    let collection = db.records.where(index).between(lo, hi, !loOpen, !hiOpen);
    if (reverse) collection = collection.reverse();
    const keys = await collection.limit(KEY_PAGE).primaryKeys();
    // An upper bound of the events in the record at keys[i] (Infinity: not known).
    const bound = (i: number): number => {
      const next = reverse ? (i > 0 ? keys[i - 1] : above) : keys[i + 1];
      return next === undefined ? Infinity : Math.abs(next - keys[i]!);
    };
    for (let i = 0; i < keys.length; ) {
      const budget = Math.max(MIN_EVENTS, eventsRead);
      let end = i + 1;
      let events = bound(i);
      while (end < keys.length && end - i < chunk && events + bound(end) <= budget) events += bound(end++);
      for (const record of await readChunk(db, index, lo, keys[i]!, keys[end - 1]!, reverse)) {
        eventsRead += record.events.length;
        if (visit(record) === false) return;
      }
      i = end;
      chunk = Math.min(MAX_CHUNK, chunk * 2);
    }
    if (keys.length < KEY_PAGE) return;
    // The index entries are [name, first] (or first itself), and first is the primary key.
    const last = keys[keys.length - 1]!;
    above = last;
    const key: Bound = typeof lo === 'number' ? last : [(lo as [string, number])[0], last];
    if (reverse) {
      hi = key;
      hiOpen = true;
    } else {
      lo = key;
      loOpen = true;
    }
  }
}

/**
 * The records of an index whose keys run from `first` to `last` (in scan order): exactly
 * the records of those keys, in one request.
 */
async function readChunk(db: LogDb, index: Index, bound: Bound, first: number, last: number, reverse: boolean): Promise<LogRecord[]> {
  if (first === last) {
    const record = await db.records.get(first);
    return record ? [record] : [];
  }
  const [low, high] = reverse ? [last, first] : [first, last];
  const key = (k: number): Bound => (typeof bound === 'number' ? k : [bound[0], k]);
  let collection = db.records.where(index).between(key(low), key(high), true, true);
  if (reverse) collection = collection.reverse();
  return collection.toArray();
}

export async function readHead(db: LogDb): Promise<number> {
  const last = await db.records.orderBy(':id').last();
  return last?.last ?? (await readCompaction(db)).base;
}

export async function recordContaining(db: LogDb, position: number): Promise<LogRecord | undefined> {
  const record = await db.records.where(':id').belowOrEqual(position).last();
  return record && record.last >= position ? record : undefined;
}

/** Calls `visit` with the events at positions from..to in order, one record at a time. */
export async function forEachEvents(
  db: LogDb,
  from: number,
  to: number,
  visit: (events: StoredEvent[]) => void,
): Promise<void> {
  if (from > to) return;
  const start = (await recordContaining(db, from))?.first ?? from;
  await scanRecords(db, ':id', start, to, false, (record) => {
    visit([...eventsOf(record, from, to)]);
  });
}

export async function readEvents(db: LogDb, from: number, to: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  await forEachEvents(db, from, to, (events) => {
    for (const e of events) out.push(e);
  });
  return out;
}

/** All marker events ($undo/$redo) in the log, in log order. */
export async function readMarkers(db: LogDb): Promise<StoredEvent[]> {
  const records = new Map<number, LogRecord>();
  await Promise.all(
    [UNDO, REDO].map((type) =>
      scanRecords(db, 'tk', [type, -Infinity], [type, Infinity], false, (r) => {
        records.set(r.first, r);
      }),
    ),
  );
  const out: StoredEvent[] = [];
  for (const record of [...records.values()].sort((a, b) => a.first - b.first)) {
    record.events.forEach((e, i) => {
      if (isMarkerType(e.type)) out.push(eventAt(record, i));
    });
  }
  return out;
}

/** The events of one commit (empty if the log has none). */
export async function readCommit(db: LogDb, commit: string): Promise<StoredEvent[]> {
  const records = await db.records.where('ck').equals(commit).sortBy('first');
  return records.flatMap((record) => [...eventsOf(record)].filter((e) => e.commit === commit));
}

/** The number of non-marker events of a stream in the log (its version). */
export async function countStream(db: LogDb, stream: string): Promise<number> {
  let count = (await readCompaction(db)).streams[stream] ?? 0;
  await scanRecords(db, 'sk', [stream, -Infinity], [stream, Infinity], false, (record) => {
    for (const e of record.events) if (e.stream === stream && !isMarkerType(e.type)) count++;
  });
  return count;
}

/** Visits one client's events newest first, from position `atOrBefore` down, until `visit` returns false. */
export async function walkClient(
  db: LogDb,
  clientId: string,
  atOrBefore: number,
  visit: (event: StoredEvent) => boolean,
): Promise<void> {
  await scanRecords(db, 'cl', [clientId, -Infinity], [clientId, atOrBefore], true, (record) => {
    for (let i = record.events.length - 1; i >= 0; i--) {
      const e = record.events[i]!;
      if (e.clientId !== clientId || record.first + i > atOrBefore) continue;
      if (!visit(eventAt(record, i))) return false;
    }
    return true;
  });
}
