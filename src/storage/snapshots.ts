/** Snapshots: `{ projection, version, position, state }`, one per projection every N events. */
import type { Collection } from 'dexie';
import type { LogDb, SnapshotRecord } from './schema.ts';

type SnapshotKey = [projection: string, version: number, position: number];

/** Keys looked at per request while searching back for an accepted snapshot. */
const KEYS = 64;

/**
 * The newest snapshot of a projection version at or before `position` whose position
 * `accept` takes. Decided on the keys (no state is read) and one snapshot read: a search
 * back past snapshots that an undo made unusable (markers.validStart) does not deserialize
 * each of their states.
 */
export function findSnapshot(
  db: LogDb,
  projection: string,
  version: number,
  position: number,
  accept: (position: number) => boolean,
): Promise<SnapshotRecord | undefined> {
  if (position < 1) return Promise.resolve(undefined);
  return newestAccepted(
    db,
    (below) =>
      db.snapshots.where('[projection+version+position]').between([projection, version, 1], [projection, version, below], true, true),
    position,
    accept,
  );
}

/**
 * The newest snapshot of a projection version whose prefix holds no event later than
 * `time` (`maxTime <= time`) and whose position `accept` takes. A snapshot's maxTime never
 * decreases with its position, so the maxTime index's entries at or before `time`, newest
 * first, are those snapshots newest first: decided on their keys, one snapshot read.
 */
export async function findSnapshotByTime(
  db: LogDb,
  projection: string,
  version: number,
  time: number,
  accept: (position: number) => boolean,
): Promise<SnapshotRecord | undefined> {
  const within = db.snapshots
    .where('[projection+version+maxTime]')
    .between([projection, version, -Infinity], [projection, version, time], true, true);
  for (const key of (await within.reverse().primaryKeys()) as unknown as SnapshotKey[]) if (accept(key[2])) return db.snapshots.get(key);
  return undefined;
}

/** Walks `range(below)`'s primary keys newest first, KEYS at a time, and reads the first snapshot whose position `accept` takes. */
async function newestAccepted(
  db: LogDb,
  range: (below: number) => Collection<SnapshotRecord, SnapshotKey>,
  position: number,
  accept: (position: number) => boolean,
): Promise<SnapshotRecord | undefined> {
  let below = position;
  for (;;) {
    const keys = (await range(below).reverse().limit(KEYS).primaryKeys()) as SnapshotKey[];
    for (const key of keys) if (accept(key[2])) return db.snapshots.get(key);
    if (keys.length < KEYS) return undefined;
    below = keys[keys.length - 1]![2] - 1;
    if (below < 1) return undefined;
  }
}
