/**
 * A new database filled with a log as it was exported (eventloom/devtools openLogExport):
 * the events at their positions, with their ids, clients, commits and times, the pending
 * ones as the log's pending tail (storage/schema.ts invariant 4).
 */
import type { StoredEvent } from '../core/event.ts';
import { InvalidEventError } from '../core/errors/index.ts';
import { makeRecord } from '../storage/records.ts';
import { openLogDb, type LogDb, type LogRecord } from '../storage/schema.ts';
import { recordEventFromWire } from '../storage/shapes.ts';

/** Events per record written. */
const RECORD_EVENTS = 1000;

/**
 * Writes `events` into the new database `config` names, before an engine opens it (in-process
 * mode only: client/local.ts; a worker never seeds, so its bundle does not carry this).
 */
export async function seedDatabase(config: Parameters<typeof openLogDb>[0], events: readonly StoredEvent[]): Promise<void> {
  const db = openLogDb(config);
  await db.open();
  try {
    await seedLog(db, events);
  } finally {
    db.close();
  }
}

async function seedLog(db: LogDb, events: readonly StoredEvent[]): Promise<void> {
  events.forEach((e, i) => {
    if (e.position !== i + 1) {
      throw new InvalidEventError(`The log to open must hold every position from 1 on; position ${i + 1} holds ${e.position}`, {
        details: { index: i, position: e.position },
      });
    }
  });
  const firstPending = events.findIndex((e) => e.pending);
  if (firstPending !== -1 && events.slice(firstPending).some((e) => !e.pending)) {
    throw new InvalidEventError('The log to open has a confirmed event after a pending one: pending events are the log’s tail');
  }
  const records: LogRecord[] = [];
  for (let i = 0; i < events.length; ) {
    const pending = events[i]!.pending;
    let end = Math.min(events.length, i + RECORD_EVENTS);
    if (!pending && firstPending !== -1 && end > firstPending) end = firstPending;
    records.push(makeRecord(i + 1, events.slice(i, end).map(recordEventFromWire), pending));
    i = end;
  }
  await db.transaction('rw', db.records, async () => {
    if ((await db.records.count()) > 0) throw new InvalidEventError('A log can only be opened into a new database');
    await db.records.bulkAdd(records);
  });
}
