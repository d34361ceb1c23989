/**
 * Log rewrites (storage/schema.ts invariant 4): every change to positions other stores on
 * this database may have applied (a rebase, a rejected commit, a compaction) bumps the
 * rewrite epoch and records from which position it changed the log, so another store
 * sees at its next batch whether, and from where, to read the log again.
 */
import type { LogDb } from './schema.ts';

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

/** The lowest position changed by rewrites after `seen` (1, the whole log, when too old to know). */
export function rewrittenFrom(rewrites: Rewrites, seen: number): number {
  if (rewrites.epoch === seen) return Infinity;
  const newer = rewrites.log.filter((r) => r.epoch > seen);
  if (newer.length < rewrites.epoch - seen) return 1;
  return Math.min(...newer.map((r) => r.from));
}
