/**
 * Chunked scans of the packed log: the records of an index, or the records and slices that
 * hold a stream's (or type's) events, in log order, read a chunk at a time so that a scan
 * that stops early reads little and a long one reads few requests.
 */
import type { LogDb, LogRecord, SliceRecord } from './schema.ts';

/** What a scan visits: a whole record, or the slice of one that holds a name's events. */
export type Part = LogRecord | SliceRecord;

/**
 * Parts are read in chunks of keys found first, each chunk about as many events as were
 * read before it (at least MIN_EVENTS) and at most MAX_CHUNK parts: a walk that passes
 * many small records before it reaches large ones never pulls a chunk of 64 records of
 * 1000 events each, while a long scan soon reads 64 at a time. A slice's key holds its
 * size; a record's size is only bounded, by the gap to the next key in position order
 * (every key is a record's first position, and the records tile the log), so a chunk of
 * records is also at most twice the parts of the one before it: a walk that stops at its
 * first match (undo's history, a query with a small limit) reads one record.
 */
const KEY_PAGE = 256;
const MAX_CHUNK = 64;
const MIN_EVENTS = 256;

/** A part's key: the first position of its record, and its size when the key tells it. */
interface Key {
  first: number;
  size?: number;
}

/** One ordered set of parts, keyed by the first position of the record each belongs to. */
interface Source {
  /** Up to `limit` keys strictly inside (or at, unless open) the bounds, in scan order. */
  keys(lo: number, hi: number, loOpen: boolean, hiOpen: boolean, reverse: boolean, limit: number): Promise<Key[]>;
  /** Exactly this source's parts with keys from `a` to `b` (in scan order), in one request. */
  read(a: number, b: number, reverse: boolean): Promise<Part[]>;
}

type RecordIndex = ':id' | 'sk' | 'tk' | 'cl';

/** The records of an index; for a named index (`sk`, `tk`, `cl`), those of one name. */
function recordSource(db: LogDb, index: RecordIndex, name?: string): Source {
  const key = (first: number): number | [string, number] => (name === undefined ? first : [name, first]);
  const range = (lo: number, hi: number, loOpen: boolean, hiOpen: boolean, reverse: boolean) => {
    const collection = db.records.where(index).between(key(lo), key(hi), !loOpen, !hiOpen);
    return reverse ? collection.reverse() : collection;
  };
  return {
    keys: async (lo, hi, loOpen, hiOpen, reverse, limit) =>
      (await range(lo, hi, loOpen, hiOpen, reverse).limit(limit).primaryKeys()).map((first) => ({ first })),
    async read(a, b, reverse) {
      if (a === b) {
        const record = await db.records.get(a);
        return record ? [record] : [];
      }
      return reverse ? range(b, a, false, false, true).toArray() : range(a, b, false, false, false).toArray();
    },
  };
}

/** The slices of one stream (`kind` 's') or type ('t'), keyed [kind, name, first, n]. */
function sliceSource(db: LogDb, kind: SliceRecord['kind'], name: string): Source {
  // [kind, name, first] sorts before every [kind, name, first, n], and [kind, name, first,
  // Infinity] after them: the bounds that take in, or leave out, the slices of `first`.
  const range = (lo: number, hi: number, loOpen: boolean, hiOpen: boolean, reverse: boolean) => {
    const low = loOpen ? [kind, name, lo, Infinity] : [kind, name, lo];
    const high = hiOpen ? [kind, name, hi] : [kind, name, hi, Infinity];
    const collection = db.slices.where('[kind+name+first+n]').between(low, high, false, false);
    return reverse ? collection.reverse() : collection;
  };
  return {
    async keys(lo, hi, loOpen, hiOpen, reverse, limit) {
      const keys = await range(lo, hi, loOpen, hiOpen, reverse).limit(limit).primaryKeys();
      return keys.map(([, , first, n]) => ({ first, size: n }));
    },
    read: (a, b, reverse) => (reverse ? range(b, a, false, false, true) : range(a, b, false, false, false)).toArray(),
  };
}

/** Visits the records of an index between two record keys (inclusive), in order, until `visit` returns false. */
export function scanRecords(
  db: LogDb,
  index: RecordIndex,
  low: number | [string, number],
  high: number | [string, number],
  reverse: boolean,
  visit: (record: LogRecord) => boolean | void,
): Promise<void> {
  const name = typeof low === 'number' ? undefined : low[0];
  const bound = (k: number | [string, number]) => (typeof k === 'number' ? k : k[1]);
  return scan([recordSource(db, index, name)], bound(low), bound(high), reverse, visit as (part: Part) => boolean | void);
}

/**
 * Visits the parts holding events of one stream or type whose record starts between `low`
 * and `high` (inclusive), in log order, until `visit` returns false: the records that keep
 * the name in their `sk`/`tk` keys, and the slices of the records that sliced it (a record
 * does one or the other for a name, never both). A part may hold other events too (a
 * record): the visitor filters.
 */
export function scanName(
  db: LogDb,
  kind: SliceRecord['kind'],
  name: string,
  low: number,
  high: number,
  reverse: boolean,
  visit: (part: Part) => boolean | void,
): Promise<void> {
  return scan([recordSource(db, kind === 's' ? 'sk' : 'tk', name), sliceSource(db, kind, name)], low, high, reverse, visit);
}

async function scan(sources: Source[], low: number, high: number, reverse: boolean, visit: (part: Part) => boolean | void): Promise<void> {
  let lo = low;
  let hi = high;
  let loOpen = false;
  let hiOpen = false;
  let chunk = 1;
  let eventsRead = 0;
  let above: number | undefined; // reverse: the key read before this page's first
  const before = (a: number, b: number) => (reverse ? a > b : a < b);
  for (;;) {
    const pages = await Promise.all(sources.map((s) => s.keys(lo, hi, loOpen, hiOpen, reverse, KEY_PAGE)));
    // A source that filled its page may have more keys past its last one: this round takes
    // every source's keys up to the earliest such last key only, so none is skipped.
    let boundary: number | undefined;
    for (const page of pages) {
      const last = page[page.length - 1];
      if (page.length === KEY_PAGE && (boundary === undefined || before(last!.first, boundary))) boundary = last!.first;
    }
    const keys: (Key & { source: number })[] = [];
    pages.forEach((page, source) => {
      for (const key of page) if (boundary === undefined || !before(boundary, key.first)) keys.push({ ...key, source });
    });
    if (sources.length > 1) keys.sort((a, b) => (reverse ? b.first - a.first : a.first - b.first));
    // The events in the part at keys[i], or an upper bound of them (Infinity: not known).
    const size = (i: number): number => {
      const known = keys[i]!.size;
      if (known !== undefined) return known;
      const next = reverse ? (i > 0 ? keys[i - 1]!.first : above) : keys[i + 1]?.first;
      return next === undefined ? Infinity : Math.abs(next - keys[i]!.first);
    };
    for (let i = 0; i < keys.length; ) {
      const budget = Math.max(MIN_EVENTS, eventsRead);
      const source = keys[i]!.source;
      const parts = keys[i]!.size === undefined ? chunk : MAX_CHUNK;
      let end = i + 1;
      let events = size(i);
      while (end < keys.length && keys[end]!.source === source && end - i < parts && events + size(end) <= budget) events += size(end++);
      for (const part of await sources[source]!.read(keys[i]!.first, keys[end - 1]!.first, reverse)) {
        eventsRead += part.events.length;
        if (visit(part) === false) return;
      }
      if (keys[i]!.size === undefined) chunk = Math.min(MAX_CHUNK, chunk * 2);
      i = end;
    }
    if (boundary === undefined) return;
    above = boundary;
    if (reverse) {
      hi = boundary;
      hiOpen = true;
    } else {
      lo = boundary;
      loOpen = true;
    }
  }
}
