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

export async function hasSnapshot(db: LogDb, projection: string, version: number, position: number): Promise<boolean> {
  return (await db.snapshots.get([projection, version, position])) !== undefined;
}
