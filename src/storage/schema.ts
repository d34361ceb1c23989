/**
 * The IndexedDB layout (Dexie). See docs/storage.md for the measurements behind it.
 *
 * One record per commit (one append() call) or per page of events pulled from the
 * server, not one per event: IndexedDB's cost is per record, so a 1000-event append is
 * one write. A record holds consecutive positions `first..last`; its multiEntry indexes
 * let queries by stream, type, commit and client find records without reading others:
 *   sk: [stream, first] for each stream in the record that has no slice
 *   tk: [type, first]   for each type in the record that has no slice
 *   ck: commit ids in the record
 *   cl: [clientId, first] for each client in the record
 * A stream (or type) with only a small share of a large record gets a *slice* instead of
 * an `sk` (`tk`) key: its events of that record stored again on their own, keyed
 * [kind, name, first, n], so that a query by stream on a log of pulled pages (each holding
 * many streams) reads about as many events as it returns, not every page (SLICE_* in records.ts).
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
import { Dexie, type EntityTable, type Table } from 'dexie';
import type { StoredEvent } from '../core/event.ts';
import { sliceRecords } from './records.ts';

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
  /** The streams (`ss`) and types (`st`) of the record that have a slice; absent: none. */
  ss?: string[];
  st?: string[];
}

export type SliceKey = [kind: string, name: string, first: number, n: number];

/** The events of one record with one stream (`kind` 's') or type ('t'): a copy, for queries. */
export interface SliceRecord {
  kind: 's' | 't';
  name: string;
  /** The record's first position: the events are at `first + at[i]`. */
  first: number;
  /** How many events: in the key, so that a scan knows a slice's size before it reads it. */
  n: number;
  pending: 0 | 1;
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

export interface MetaRecord {
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

export const SCHEMA_VERSION = 2;

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
  db.version(SCHEMA_VERSION)
    .stores({ ...stores, slices: '[kind+name+first+n]' })
    .upgrade((tx) => sliceRecords(tx.table('records'), tx.table('slices')));
  return db;
}
