/** Snapshots: `{ projection, version, position, state }`, one per projection every N events. */
import type { LogDb, SnapshotRecord } from './schema.ts';

/** The newest snapshot of a projection version at or before `position` that `accept` takes. */
export async function findSnapshot(
  db: LogDb,
  projection: string,
  version: number,
  position: number,
  accept: (snapshot: SnapshotRecord) => boolean,
): Promise<SnapshotRecord | undefined> {
  if (position < 1) return undefined;
  return db.snapshots
    .where('[projection+version+position]')
    .between([projection, version, 1], [projection, version, position], true, true)
    .reverse()
    .filter(accept)
    .first();
}

/**
 * The newest snapshot of a projection version whose prefix holds no event later than
 * `time` (`maxTime <= time`) that `accept` takes. A snapshot's maxTime never decreases
 * with its position, so the maxTime index's newest entry at or before `time` is the newest
 * such snapshot: read first, older ones only if `accept` refuses it.
 */
export async function findSnapshotByTime(
  db: LogDb,
  projection: string,
  version: number,
  time: number,
  accept: (snapshot: SnapshotRecord) => boolean,
): Promise<SnapshotRecord | undefined> {
  return db.snapshots
    .where('[projection+version+maxTime]')
    .between([projection, version, -Infinity], [projection, version, time], true, true)
    .reverse()
    .filter(accept)
    .first();
}

export async function hasSnapshot(db: LogDb, projection: string, version: number, position: number): Promise<boolean> {
  return (await db.snapshots.get([projection, version, position])) !== undefined;
}
