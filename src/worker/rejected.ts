/**
 * The commits the server rejected (the `rejected` table): kept for the app after they left
 * the log (worker/integrate.ts writes them), read by sync.rejected(), removed by
 * sync.clearRejected() once the app has dealt with them.
 */
import type { RejectedCommit } from '../api/store.ts';
import { InvalidEventError } from '../core/errors/index.ts';
import type { EventSchema } from '../core/upcast.ts';
import type { LogDb } from '../storage/schema.ts';

/** sync.rejected(): the commits the server rejected, oldest first, in the current shape as events() gives them. */
export async function readRejected(db: LogDb, schema: EventSchema): Promise<RejectedCommit[]> {
  const rows = await db.rejected.orderBy('at').toArray();
  return rows.map(({ commit, events, reason, streamVersion }) => ({
    commit,
    events: schema.read(events),
    reason,
    ...(streamVersion === undefined ? {} : { streamVersion }),
  }));
}

/** sync.clearRejected(commits?): removes those commits (every one without `commits`); resolves with how many were removed. */
export async function clearRejected(db: LogDb, commits: unknown): Promise<number> {
  if (commits === undefined) {
    return db.transaction('rw', db.rejected, async () => {
      const n = await db.rejected.count();
      await db.rejected.clear();
      return n;
    });
  }
  if (!Array.isArray(commits) || !commits.every((c) => typeof c === 'string')) {
    throw new InvalidEventError('sync.clearRejected(commits) takes an array of commit ids, or nothing to clear them all');
  }
  return db.transaction('rw', db.rejected, async () => {
    const known = (await db.rejected.bulkGet(commits)).filter((r) => r !== undefined).length;
    await db.rejected.bulkDelete(commits);
    return known;
  });
}
