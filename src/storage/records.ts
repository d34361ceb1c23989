/**
 * Records (the layout in schema.ts): making them, and reading their events and those of
 * slices (storage/slicer.ts).
 */
import type { StoredEvent } from '../core/event.ts';
import type { LogRecord, RecordEvent, SliceRecord } from './schema.ts';
import { storedEvent } from './shapes.ts';

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

/** The event at `index` of a record's events, or of a slice's (at its own position `at[index]`). */
export function eventAt(part: LogRecord | SliceRecord, index: number): StoredEvent {
  // A slice holds confirmed events only (storage/slicer.ts).
  return 'at' in part
    ? storedEvent(part.events[index]!, part.at[index]!, false)
    : storedEvent(part.events[index]!, part.first + index, part.pending === 1);
}

/** The events of a record with positions in from..to. */
export function* eventsOf(record: LogRecord, from = -Infinity, to = Infinity): Generator<StoredEvent> {
  const start = Math.max(0, from - record.first);
  const end = Math.min(record.events.length - 1, to - record.first);
  for (let i = start; i <= end; i++) yield eventAt(record, i);
}

/** The events of a record or slice, with their positions. */
export function partEvents(part: LogRecord | SliceRecord): StoredEvent[] {
  return 'at' in part ? part.events.map((_, i) => eventAt(part, i)) : [...eventsOf(part)];
}
