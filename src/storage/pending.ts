/**
 * The log's pending tail (storage/schema.ts invariant 4): where it starts and how long it is,
 * from the `pending` index's keys alone. What the sync loop reads of it is ./pushable.ts.
 */
import type { LogDb } from './schema.ts';

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
