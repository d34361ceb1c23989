/**
 * Chunked scans of the packed log: the records of an index, or the slices and records that
 * hold a stream's (or type's) events, in log order, read a chunk at a time so that a scan
 * that stops early reads little and a long one reads few requests.
 */
import type { LogDb, LogRecord, SliceRecord } from './schema.ts';

/** What a scan visits: a whole record, or a slice (one name's events of a group of records). */
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

/**
 * A part's key: the first position it covers; for a slice also the last one (the records
 * first..last are read through it, not on their own) and its size.
 */
interface Key {
  first: number;
  last?: number;
  size?: number;
}

/** One ordered set of parts, keyed by the first position each covers. */
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

/** The slices of one stream (`kind` 's') or type ('t'), keyed [kind, name, first, last, n]. */
function sliceSource(db: LogDb, kind: SliceRecord['kind'], name: string) {
  // [kind, name, first] sorts before every [kind, name, first, …], and [kind, name, first,
  // Infinity] after them: the bounds that take in, or leave out, the slice at `first`.
  const range = (lo: number, hi: number, loOpen: boolean, hiOpen: boolean, reverse: boolean) => {
    const low = loOpen ? [kind, name, lo, Infinity] : [kind, name, lo];
    const high = hiOpen ? [kind, name, hi] : [kind, name, hi, Infinity];
    const collection = db.slices.where('[kind+name+first+last+n]').between(low, high, false, false);
    return reverse ? collection.reverse() : collection;
  };
  const toKey = ([, , first, last, n]: [string, string, number, number, number]): Key => ({ first, last, size: n });
  return {
    async keys(lo: number, hi: number, loOpen: boolean, hiOpen: boolean, reverse: boolean, limit: number) {
      return (await range(lo, hi, loOpen, hiOpen, reverse).limit(limit).primaryKeys()).map(toKey);
    },
    read: (a: number, b: number, reverse: boolean) =>
      (reverse ? range(b, a, false, false, true) : range(a, b, false, false, false)).toArray(),
    /** The slice with the greatest first position below `first` (and at least `low`), if any. */
    async below(first: number, low: number): Promise<Key | undefined> {
      if (!(low < first)) return undefined;
      const [key] = await range(low, first, false, true, true).limit(1).primaryKeys();
      return key && toKey(key);
    },
  } satisfies Source & { below(first: number, low: number): Promise<Key | undefined> };
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
  const source = recordSource(db, index, name);
  return scan([source], bound(low), bound(high), reverse, async () => [], visit as (part: Part) => boolean | void);
}

/**
 * Visits the parts holding events of one stream or type from position `low` on (a part may
 * start before it) to records starting at `high`, in log order, until `visit` returns false:
 * the name's slices, and its records (`sk`/`tk`) that no slice covers. A part may hold other
 * events too (a record, or a slice's events before `low`): the visitor filters.
 */
export async function scanName(
  db: LogDb,
  kind: SliceRecord['kind'],
  name: string,
  low: number,
  high: number,
  reverse: boolean,
  visit: (part: Part) => boolean | void,
): Promise<void> {
  const slices = sliceSource(db, kind, name);
  // The slice that covers `low` but starts before it is read too.
  const straddling = low === -Infinity ? undefined : await slices.below(low, -Infinity);
  const sliceLow = straddling && straddling.last! >= low ? straddling.first : low;
  const records = recordSource(db, kind === 's' ? 'sk' : 'tk', name);
  const sources: Source[] = [
    records,
    {
      ...slices,
      keys: (lo, hi, loOpen, hiOpen, rev, limit) => slices.keys(lo === low && !loOpen ? sliceLow : lo, hi, loOpen, hiOpen, rev, limit),
    },
  ];
  // Newest first, a record in this page may be covered by a slice that starts below the
  // page: the one just below it is looked up (forward, the slice is always met first).
  const coverBelow = async (lowest: number) => (reverse ? slices.below(lowest, sliceLow) : undefined);
  return scan(
    sources,
    low,
    high,
    reverse,
    async (lowest) => {
      const below = await coverBelow(lowest);
      return below ? [below] : [];
    },
    visit,
  );
}

async function scan(
  sources: Source[],
  low: number,
  high: number,
  reverse: boolean,
  coverBelow: (lowest: number) => Promise<Key[]>,
  visit: (part: Part) => boolean | void,
): Promise<void> {
  let lo = low;
  let hi = high;
  let loOpen = false;
  let hiOpen = false;
  let chunk = 1;
  let eventsRead = 0;
  let above: number | undefined; // reverse: the key read before this page's first
  let coveredTo = -Infinity; // forward: the last position of the slices met so far
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
    let keys: (Key & { source: number })[] = [];
    pages.forEach((page, source) => {
      for (const key of page) if (boundary === undefined || !before(boundary, key.first)) keys.push({ ...key, source });
    });
    // Slices before records at the same first position: a slice covers the records it starts with.
    if (sources.length > 1)
      keys.sort((a, b) =>
        reverse ? b.first - a.first || (b.last ?? 0) - (a.last ?? 0) : a.first - b.first || (b.last ?? 0) - (a.last ?? 0),
      );
    // Records a slice covers are read through it, not on their own.
    if (keys.some((k) => k.last !== undefined)) {
      const ranges: Key[] = keys.filter((k) => k.last !== undefined);
      if (reverse) ranges.push(...(await coverBelow(boundary ?? lo)));
      keys = keys.filter((k) => {
        if (k.last !== undefined) {
          coveredTo = Math.max(coveredTo, k.last);
          return true;
        }
        return reverse ? !ranges.some((r) => r.first <= k.first && k.first <= r.last!) : k.first > coveredTo;
      });
    } else if (!reverse && coveredTo !== -Infinity) {
      keys = keys.filter((k) => k.first > coveredTo);
    } else if (reverse && sources.length > 1) {
      const ranges = await coverBelow(boundary ?? lo);
      keys = keys.filter((k) => !ranges.some((r) => r.first <= k.first && k.first <= r.last!));
    }
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
