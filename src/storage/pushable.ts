/**
 * What sync reads of the log's pending tail (storage/schema.ts invariant 4): the confirmed
 * head, the pending records, and the pending commits as the sync loop pushes them. Loaded
 * with the sync module: a store without sync does not carry it.
 */
import type { StoredEvent } from '../core/event.ts';
import type { WireEvent } from '../protocol/wire.ts';
import { readCompaction } from './compactionMeta.ts';
import { eventsOf } from './records.ts';
import { readRewrites } from './rewrites.ts';
import type { LogDb, LogRecord } from './schema.ts';
import { wireEvent } from './shapes.ts';
import { getOrSet } from '../core/maps.ts';
import { firstPendingPosition } from './pending.ts';

/**
 * The position of the last confirmed event: everything after it is pending. Two reads: run
 * it in a transaction (as readPushable does), or an append between them counts as confirmed.
 */
export async function readConfirmedHead(db: LogDb): Promise<number> {
  const firstPending = await firstPendingPosition(db);
  if (firstPending !== undefined) return firstPending - 1;
  const last = await db.records.orderBy(':id').last();
  return last?.last ?? (await readCompaction(db)).compacted;
}

/**
 * Pending records in log order: every record from the first pending one on (schema
 * invariant 4), read as a range of the primary key (a read through the `pending` index looks
 * each record up again: 10k one-event records took ~2x as long).
 */
export async function readPendingRecords(db: LogDb): Promise<LogRecord[]> {
  const first = await firstPendingPosition(db);
  return first === undefined ? [] : db.records.where(':id').aboveOrEqual(first).toArray();
}

/** Positions of pending records read per page of readPushable(): about one push's worth. */
const PUSHABLE_POSITIONS = 1000;

export interface Pushable {
  /** The confirmed head: the server has every pushed event after it. */
  confirmed: number;
  /** Pending commits, in log order, as wire events. */
  commits: WireEvent[][];
  /** Where the next page starts; undefined after the last. */
  next?: number;
  /** The log's rewrite epoch as read: unchanged later, nothing read here has moved (worker/integrate.ts confirmOwn). */
  epoch: number;
}

/**
 * The confirmed head, and the pending commits of the records that start within `positions`
 * positions of `from` (default: the first pending one), from one state of the log: a page,
 * so that the sync loop reads the next while it pushes this one. (Between two pages the log
 * may have been confirmed or rebased by another tab's round: a page holds pending records
 * only, and a commit pushed twice is confirmed once, by its id.)
 */
export function readPushable(db: LogDb, from?: number, positions = PUSHABLE_POSITIONS): Promise<Pushable> {
  return db.transaction('r', db.records, db.meta, async () => {
    const [confirmed, { epoch }] = await Promise.all([readConfirmedHead(db), readRewrites(db)]);
    const start = from ?? confirmed + 1;
    const records = (
      await db.records
        .where(':id')
        .between(start, start + positions, true, false)
        .toArray()
    ).filter((r) => r.pending === 1);
    const last = records[records.length - 1];
    return last ? { confirmed, commits: wireCommits(records), next: last.last + 1, epoch } : { confirmed, commits: [], epoch };
  });
}

/** The confirmed head, read in one transaction. */
export function readConfirmedHeadNow(db: LogDb): Promise<number> {
  return db.transaction('r', db.records, db.meta, () => readConfirmedHead(db));
}

/** The commits of pending records as wire events, in log order (the sync loop cuts them into pushes). */
function wireCommits(records: readonly LogRecord[]): WireEvent[][] {
  const commits: WireEvent[][] = [];
  for (const record of records) {
    const byCommit = new Map<string, WireEvent[]>();
    for (const e of record.events) {
      const wire = wireEvent(e, record.ev);
      getOrSet(byCommit, e.commit, () => []).push(wire);
    }
    commits.push(...byCommit.values());
  }
  return commits;
}

export function storedFromRecords(records: readonly LogRecord[], commit: string): StoredEvent[] {
  return records.flatMap((r) => [...eventsOf(r)].filter((e) => e.commit === commit));
}
