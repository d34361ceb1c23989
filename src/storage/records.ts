/**
 * Records and slices (the layout in schema.ts): making them, writing and deleting them
 * together, and reading their events.
 */
import type { Table } from 'dexie';
import type { StoredEvent } from '../core/event.ts';
import type { LogDb, LogRecord, RecordEvent, SliceKey, SliceRecord } from './schema.ts';

/**
 * In a record that asks for slices (events from the server: pulled, confirmed or restored),
 * a stream or type gets one when it holds fewer than 1/SLICE_SHARE of the record's events and
 * at least SLICE_MIN_COUNT of them. Reading a record for a name that has no slice then costs
 * at most SLICE_SHARE times the events it returns, or a few events read per name: a slice is
 * one more row to write (about as costly as writing 30 events, see docs/storage.md), so a
 * record of 100 events of 60 streams is not cut into 60 rows of one or two events. A page of
 * 1000 events of 100 streams has about 100 slices. A local append asks for none: its record
 * is written while the app waits, and it is usually of one stream; when the server confirms
 * it, it is written again (as the server's), with its slices.
 */
export const SLICE_SHARE = 8;
export const SLICE_MIN_COUNT = 4;

/** The record for a list of events at consecutive positions starting at `first`. */
export function makeRecord(first: number, events: RecordEvent[], options: { pending: boolean; slices?: boolean }): LogRecord {
  const { pending, slices = false } = options;
  const streams = new Map<string, number>();
  const types = new Map<string, number>();
  const commits = new Set<string>();
  const clients = new Set<string>();
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const e of events) {
    streams.set(e.stream, (streams.get(e.stream) ?? 0) + 1);
    types.set(e.type, (types.get(e.type) ?? 0) + 1);
    commits.add(e.commit);
    clients.add(e.clientId);
    if (e.time < minTime) minTime = e.time;
    if (e.time > maxTime) maxTime = e.time;
  }
  // A name with a small share of a large record gets a slice instead of a key (SLICE_*).
  const sliced = (count: number) => slices && count >= SLICE_MIN_COUNT && count * SLICE_SHARE < events.length;
  const record: LogRecord = {
    first,
    last: first + events.length - 1,
    pending: pending ? 1 : 0,
    events,
    sk: [...streams].filter(([, n]) => !sliced(n)).map(([s]) => [s, first]),
    tk: [...types].filter(([, n]) => !sliced(n)).map(([t]) => [t, first]),
    ck: [...commits],
    cl: [...clients].map((c) => [c, first]),
    minTime,
    maxTime,
  };
  const ss = [...streams].filter(([, n]) => sliced(n)).map(([s]) => s);
  const st = [...types].filter(([, n]) => sliced(n)).map(([t]) => t);
  if (ss.length > 0) record.ss = ss;
  if (st.length > 0) record.st = st;
  return record;
}

/** The slices a record asks for (its `ss` and `st`). */
export function slicesOf(record: LogRecord): SliceRecord[] {
  if (!record.ss && !record.st) return [];
  const out: SliceRecord[] = [];
  const group = (kind: SliceRecord['kind'], names: string[] | undefined, nameOf: (e: RecordEvent) => string) => {
    if (!names) return;
    const slices = new Map(names.map((name) => [name, { kind, name, first: record.first, n: 0, pending: record.pending, at: [], events: [] } as SliceRecord]));
    record.events.forEach((e, i) => {
      const slice = slices.get(nameOf(e));
      if (!slice) return;
      slice.at.push(i);
      slice.events.push(e);
      slice.n++;
    });
    out.push(...slices.values());
  };
  group('s', record.ss, (e) => e.stream);
  group('t', record.st, (e) => e.type);
  return out;
}

/** The keys of a record's slices. */
export function sliceKeys(record: LogRecord): SliceKey[] {
  return slicesOf(record).map((s) => [s.kind, s.name, s.first, s.n]);
}

/**
 * Version 1 to 2 (slices): gives the records written before slices existed the slices
 * makeRecord would give them now, a bounded number of records at a time.
 */
export async function sliceRecords(records: Table<LogRecord, number>, slices: Table<SliceRecord, SliceKey>): Promise<void> {
  let after = -Infinity;
  for (;;) {
    const batch = await records.where(':id').above(after).limit(64).toArray();
    if (batch.length === 0) return;
    after = batch[batch.length - 1]!.first;
    const changed = batch.map((r) => makeRecord(r.first, r.events, { pending: r.pending === 1, slices: true })).map((fresh, i) => {
      const { ev } = batch[i]!;
      if (ev !== undefined) fresh.ev = ev;
      return fresh;
    });
    const withSlices = changed.filter((r) => r.ss || r.st);
    if (withSlices.length === 0) continue;
    await records.bulkPut(withSlices);
    await slices.bulkAdd(withSlices.flatMap(slicesOf));
  }
}

/** The event at `index` of a record's (or slice's) events; `offset` is its place in the record. */
export function eventAt(record: LogRecord | SliceRecord, index: number, offset = index): StoredEvent {
  const e = record.events[index]!;
  const stored: StoredEvent = {
    id: e.id,
    type: e.type,
    payload: e.payload,
    stream: e.stream,
    position: record.first + offset,
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

/** The events of a record or slice, with their positions. */
export function partEvents(part: LogRecord | SliceRecord): StoredEvent[] {
  if (!('at' in part)) return [...eventsOf(part)];
  return part.events.map((_, j) => eventAt(part, j, part.at[j]!));
}

/** Adds records and their slices (inside a transaction over both tables). */
export function addRecords(db: LogDb, records: readonly LogRecord[]): Promise<unknown> {
  const slices = records.flatMap(slicesOf);
  const added = db.records.bulkAdd(records as LogRecord[]);
  return slices.length === 0 ? added : Promise.all([added, db.slices.bulkAdd(slices)]);
}

/** Deletes records and their slices (inside a transaction over both tables). */
export function deleteRecords(db: LogDb, records: readonly LogRecord[]): Promise<unknown> {
  const slices = records.flatMap(sliceKeys);
  const deleted = db.records.bulkDelete(records.map((r) => r.first));
  return slices.length === 0 ? deleted : Promise.all([deleted, db.slices.bulkDelete(slices)]);
}
