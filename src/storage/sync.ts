/**
 * Reads and writes of the log that sync needs: the confirmed prefix, pending commits,
 * log rewrites (schema invariant 4) and rejected commits.
 */
import type { StoredEvent } from '../core/event.ts';
import type { WireEvent } from '../sync/protocol.ts';
import { readCompaction } from './compaction.ts';
import { eventsOf } from './records.ts';
import type { LogDb, LogRecord } from './schema.ts';

/**
 * The position of the last confirmed event: everything after it is pending. Two reads: run
 * it in a transaction (as readPushable does), or an append between them counts as confirmed.
 */
export async function readConfirmedHead(db: LogDb): Promise<number> {
  const firstPending = await firstPendingPosition(db);
  if (firstPending !== undefined) return firstPending - 1;
  const last = await db.records.orderBy(':id').last();
  return last?.last ?? (await readCompaction(db)).base;
}

/**
 * The position of the first pending event, from the `pending` index's keys alone: pending
 * records are the log's tail (schema invariant 4), so no record need be read to find it or
 * to count the pending events (head - it + 1), however many there are.
 */
export async function firstPendingPosition(db: LogDb): Promise<number | undefined> {
  const [first] = await db.records.where('pending').equals(1).limit(1).primaryKeys();
  return first;
}

/** The number of pending events in a log whose head is `head`. */
export async function countPending(db: LogDb, head: number): Promise<number> {
  const first = await firstPendingPosition(db);
  return first === undefined ? 0 : head - first + 1;
}

/** Pending records in log order (every record after the confirmed head). */
export async function readPendingRecords(db: LogDb): Promise<LogRecord[]> {
  return db.records.where('pending').equals(1).sortBy('first');
}

/** The confirmed head, and every pending commit after it, from one state of the log. */
export function readPushable(db: LogDb): Promise<{ confirmed: number; commits: WireEvent[][] }> {
  return db.transaction('r', db.records, db.meta, async () => {
    const [confirmed, commits] = await Promise.all([readConfirmedHead(db), readPendingWire(db)]);
    return { confirmed, commits };
  });
}

/** The confirmed head, read in one transaction. */
export function readConfirmedHeadNow(db: LogDb): Promise<number> {
  return db.transaction('r', db.records, db.meta, () => readConfirmedHead(db));
}

/** Every pending commit as wire events, in log order (the sync loop cuts them into pushes). */
export async function readPendingWire(db: LogDb): Promise<WireEvent[][]> {
  const commits: WireEvent[][] = [];
  for (const record of await readPendingRecords(db)) {
    const byCommit = new Map<string, WireEvent[]>();
    for (const e of eventsOf(record)) {
      const wire: WireEvent = { id: e.id, type: e.type, payload: e.payload, stream: e.stream, clientId: e.clientId, commit: e.commit, time: e.time };
      if (e.payload === undefined) delete wire.payload;
      if (e.meta !== undefined) wire.meta = e.meta;
      if (e.schemaVersion !== undefined) wire.schemaVersion = e.schemaVersion;
      if (record.ev !== undefined) wire.expectedVersion = record.ev;
      let list = byCommit.get(e.commit);
      if (!list) byCommit.set(e.commit, (list = []));
      list.push(wire);
    }
    commits.push(...byCommit.values());
  }
  return commits;
}

export interface Rewrites {
  epoch: number;
  /** The latest rewrites, oldest first: from which position each changed the log. */
  log: { epoch: number; from: number }[];
}

const KEEP = 64;

export async function readRewrites(db: LogDb): Promise<Rewrites> {
  const value = (await db.meta.get('rewrite'))?.value as Rewrites | undefined;
  return value ?? { epoch: 0, log: [] };
}

/** Records that the log changed from `from`; returns the new epoch. */
export async function writeRewrite(db: LogDb, current: Rewrites, from: number): Promise<number> {
  const epoch = current.epoch + 1;
  const log = [...current.log, { epoch, from }].slice(-KEEP);
  await db.meta.put({ key: 'rewrite', value: { epoch, log } satisfies Rewrites });
  return epoch;
}

/** The lowest position changed by rewrites after `seen` (0 when too old to know). */
export function rewrittenFrom(rewrites: Rewrites, seen: number): number {
  if (rewrites.epoch === seen) return Infinity;
  const newer = rewrites.log.filter((r) => r.epoch > seen);
  if (newer.length < rewrites.epoch - seen) return 1;
  return Math.min(...newer.map((r) => r.from));
}

export function storedFromRecords(records: readonly LogRecord[], commit: string): StoredEvent[] {
  return records.flatMap((r) => [...eventsOf(r)].filter((e) => e.commit === commit));
}
