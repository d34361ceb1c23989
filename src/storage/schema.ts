/**
 * The IndexedDB layout (Dexie). See docs/storage.md for the measurements behind it.
 *
 * One record per commit (one append() call) or per page of events pulled from the
 * server, not one per event: IndexedDB's cost is per record, so a 1000-event append is
 * one write. A record holds consecutive positions `first..last`; its multiEntry indexes
 * let queries by stream, type, commit and client find records without reading others:
 *   sk: [stream, first] for each stream in the record
 *   tk: [type, first]   for each type in the record
 *   ck: commit ids in the record
 *   cl: [clientId, first] for each client in the record
 * Slices (storage/slicer.ts): in the background, confirmed records are read again in groups
 * of a few thousand events, and each stream (or type) with a small share of a group gets a
 * copy of its events there in one row, keyed [kind, name, first, last, n], so that a query
 * by stream on a log of pulled pages (each holding many streams) reads about as many
 * events as it returns, not every page. meta `sliced` is the position through which the
 * log is sliced; a query reads a name's slices for the records they cover, and its
 * records (sk/tk) for the others.
 * Invariants:
 * 1. Records tile the log: their ranges are disjoint and cover 1..head without gaps.
 * 2. All events of a record are pending or all are confirmed (`pending` 1/0).
 * 3. A snapshot at position p is the state of the prefix 1..p of the log, honouring the
 *    markers in that prefix only; `maxTime` is the largest event time in that prefix.
 * 4. With sync, confirmed records come first (server positions), then pending ones. When
 *    the log changes below some head (rebase after a pull, a rejected commit), the writer
 *    bumps meta `rewrite` = { epoch, from }: every engine on the database compares the
 *    epoch it has seen and replays from `from` before it writes (see worker/batch.ts).
 */
import { Dexie, type EntityTable, type Table, type Transaction } from 'dexie';
import type { StoredEvent } from '../core/event.ts';

export type RecordEvent = Omit<StoredEvent, 'position' | 'pending'>;

export interface LogRecord {
  first: number;
  last: number;
  pending: 0 | 1;
  events: RecordEvent[];
  sk: [string, number][];
  tk: [string, number][];
  ck: string[];
  cl: [string, number][];
  minTime: number;
  maxTime: number;
  /** A pending commit's expectedVersion, checked again by the server at push. */
  ev?: number | 'none';
}

type SliceKey = [kind: string, name: string, first: number, last: number, n: number];

/**
 * The events of one stream (`kind` 's') or type ('t') in the confirmed records `first..last`
 * (a slicing group): a copy, for queries. The key holds the range and the count, so a scan
 * knows what a slice covers and how big it is before it reads it.
 */
export interface SliceRecord {
  kind: 's' | 't';
  name: string;
  first: number;
  last: number;
  n: number;
  /** Each event's position. */
  at: number[];
  events: RecordEvent[];
}

export interface SnapshotRecord {
  projection: string;
  version: number;
  position: number;
  maxTime: number;
  state: unknown;
}

interface MetaRecord {
  key: string;
  value: unknown;
}

/** A commit the server rejected (expectedVersion): out of the log, kept for the app. */
export interface RejectedRecord {
  commit: string;
  events: StoredEvent[];
  reason: { name: string; message: string };
  streamVersion?: number;
  at: number;
}

const SCHEMA_VERSION = 3;

export type LogDb = Dexie & {
  records: EntityTable<LogRecord, 'first'>;
  slices: Table<SliceRecord, SliceKey>;
  snapshots: Table<SnapshotRecord, [string, number, number]>;
  meta: EntityTable<MetaRecord, 'key'>;
  rejected: EntityTable<RejectedRecord, 'commit'>;
};

export function openLogDb(options: {
  name: string;
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  durability?: 'default' | 'strict' | 'relaxed' | undefined;
}): LogDb {
  const db = new Dexie(options.name, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    // 'default' unless asked: a resolved append survives a crash of the tab or the browser
    // (the transaction committed; on Chromium >= 121 handed to the OS, not flushed), as
    // every IndexedDB library assumes. 'strict' flushes before the commit is reported.
    chromeTransactionDurability: options.durability ?? 'default',
  }) as LogDb;
  // No liveQuery() reads this database (the engine announces its own changes), so Dexie's
  // per-write observation (range sets of every key written, a BroadcastChannel post after
  // every write transaction) and its optimistic query cache are pure cost here.
  db.unuse({ stack: 'dbcore', name: 'Observability' }).unuse({ stack: 'dbcore', name: 'Cache' });
  const stores = {
    records: 'first, *sk, *tk, *ck, *cl, minTime, pending',
    snapshots: '[projection+version+position], position',
    meta: 'key',
    rejected: 'commit, at',
  };
  db.version(1).stores(stores);
  // Version 2 adds the slices; a version-1 database's records are sliced in the background.
  db.version(2).stores({ ...stores, slices: '[kind+name+first+last+n], first' });
  // Version 3 indexes snapshots by time (stateAt({ time }): storage/snapshots.ts); IndexedDB
  // builds the index over the snapshots there are, nothing is rewritten.
  db.version(SCHEMA_VERSION).stores({
    ...stores,
    slices: '[kind+name+first+last+n], first',
    snapshots: '[projection+version+position], position, [projection+version+maxTime]',
  });
  return db;
}

/**
 * `db` with its tables in `tx`'s scope bound to `tx`: every read and write through it goes to
 * that transaction, however many native awaits came before. (Dexie finds the current
 * transaction through a zone that follows native promises only for a bounded number of
 * microtask hops; past it, an unbound table call silently runs in a transaction of its own:
 * a write there commits even if the batch then fails, and runs again when it is retried.)
 */
export function boundTo(db: LogDb, tx: Transaction): LogDb {
  const bound = Object.create(db) as LogDb;
  for (const name of tx.storeNames) Object.defineProperty(bound, name, { value: tx.table(name), enumerable: true });
  return bound;
}
