/** The compaction point as the database keeps it (meta 'compacted'; storage/compaction.ts). */
import type { LogDb } from './schema.ts';

export interface Compaction {
  /** The compaction point: positions 1..compacted are not in the local database (0: nothing was compacted). */
  compacted: number;
  /** Per stream, its non-marker events at positions <= compacted (invariant 2). */
  streams: Record<string, number>;
  /** The largest event time at positions <= compacted. */
  maxTime: number;
}

const KEY = 'compacted';

/** meta 'compacted' as the database holds it (the point is stored as `base`, the name it was first written with). */
interface StoredCompaction {
  base: number;
  streams: Record<string, number>;
  maxTime: number;
}

export async function readCompaction(db: LogDb): Promise<Compaction> {
  const value = (await db.meta.get(KEY))?.value as StoredCompaction | undefined;
  return value
    ? { compacted: value.base, streams: value.streams, maxTime: value.maxTime }
    : { compacted: 0, streams: {}, maxTime: -Infinity };
}

export async function writeCompaction(db: LogDb, compaction: Compaction): Promise<void> {
  const { compacted: base, streams, maxTime } = compaction;
  await db.meta.put({ key: KEY, value: { base, streams, maxTime } satisfies StoredCompaction });
}
