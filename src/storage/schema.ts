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

export const SCHEMA_VERSION = 1;

export type LogDb = Dexie & {
  records: EntityTable<LogRecord, 'first'>;
  snapshots: Table<SnapshotRecord, [string, number, number]>;
  meta: EntityTable<MetaRecord, 'key'>;
  rejected: EntityTable<RejectedRecord, 'commit'>;
};

export function openLogDb(options: {
  name: string;
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
}): LogDb {
  const db = new Dexie(options.name, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
    // The default durability: a resolved append survives a crash of the tab or the
    // browser (the transaction committed), as every IndexedDB library assumes.
    chromeTransactionDurability: 'default',
  }) as LogDb;
  // No liveQuery() reads this database (the engine announces its own changes), so Dexie's
  // per-write observation (range sets of every key written, a BroadcastChannel post after
  // every write transaction) and its optimistic query cache are pure cost here.
  db.unuse({ stack: 'dbcore', name: 'Observability' }).unuse({ stack: 'dbcore', name: 'Cache' });
  db.version(SCHEMA_VERSION).stores({
    records: 'first, *sk, *tk, *ck, *cl, minTime, pending',
    snapshots: '[projection+version+position], position',
    meta: 'key',
    rejected: 'commit, at',
  });
  return db;
}

/** The record for a list of events at consecutive positions starting at `first`. */
export function makeRecord(first: number, events: RecordEvent[], pending: boolean): LogRecord {
  const streams = new Set<string>();
  const types = new Set<string>();
  const commits = new Set<string>();
  const clients = new Set<string>();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const e of events) {
    streams.add(e.stream);
    types.add(e.type);
    commits.add(e.commit);
    clients.add(e.clientId);
    if (e.time < minTime) minTime = e.time;
    if (e.time > maxTime) maxTime = e.time;
  }
  return {
    first,
    last: first + events.length - 1,
    pending: pending ? 1 : 0,
    events,
    sk: [...streams].map((s) => [s, first]),
    tk: [...types].map((t) => [t, first]),
    ck: [...commits],
    cl: [...clients].map((c) => [c, first]),
    minTime,
    maxTime,
  };
}

export function eventAt(record: LogRecord, index: number): StoredEvent {
  const e = record.events[index]!;
  const stored: StoredEvent = {
    id: e.id,
    type: e.type,
    payload: e.payload,
    stream: e.stream,
    position: record.first + index,
    pending: record.pending === 1,
    clientId: e.clientId,
    commit: e.commit,
    time: e.time,
  };
  if (e.meta !== undefined) stored.meta = e.meta;
  if (e.schemaVersion !== undefined) stored.schemaVersion = e.schemaVersion;
  return stored;
}

/** The events of a record with positions in from..to. */
export function* eventsOf(record: LogRecord, from = -Infinity, to = Infinity): Generator<StoredEvent> {
  const start = Math.max(0, from - record.first);
  const end = Math.min(record.events.length - 1, to - record.first);
  for (let i = start; i <= end; i++) yield eventAt(record, i);
}
