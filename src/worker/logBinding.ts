/**
 * Which log a database belongs to (docs/protocol.md "Which log a database belongs to"): a database remembers the server and
 * `logId` it syncs with (meta `log`), from the first time it is opened with sync.
 *
 * Invariants:
 * 1. A database is bound to at most one log, for good: opening it with another is refused
 *    (a SyncError naming both) and changes nothing.
 * 2. Start local, sync later: a database that was never bound and is opened with sync has
 *    its local (confirmed) events turned pending, in order, so the first round pushes them
 *    and rebases them after the server's events. Positions do not move until then, so its
 *    snapshots stay valid.
 * 3. A bound database writes pending events even when opened without sync: they go to its
 *    log the next time it is opened with sync (a confirmed local event would claim a
 *    position the server gives to another).
 * 4. A database that dropped history without sync (compacted) cannot start syncing: what it
 *    dropped could never reach the log (HistoryUnavailableError).
 */
import { HistoryUnavailableError, SyncError } from '../core/errors/index.ts';
import { readCompaction } from '../storage/compactionMeta.ts';
import { clearSlices } from '../storage/slicer.ts';
import type { LogDb } from '../storage/schema.ts';

export interface LogAddress {
  url: string;
  logId: string;
}

const KEY = 'log';

/** The server URL as compared: scheme and host in canonical case, no trailing slash. */
function canonical(url: string): string {
  try {
    return new URL(url).href.replace(/\/+$/, '');
  } catch {
    return url.replace(/\/+$/, '');
  }
}

/** The log a database is bound to, if any (read in start-up's transaction). */
export async function readLog(db: LogDb): Promise<LogAddress | undefined> {
  return (await db.meta.get(KEY))?.value as LogAddress | undefined;
}

/**
 * What opening a database with `sync` (or without) means for its binding: it is bound to a
 * log, it is not and stays local, or it is to be bound now (bindLog). Throws if it is bound
 * to another log (invariant 1).
 */
export function checkLog(stored: LogAddress | undefined, name: string, sync: LogAddress | undefined): 'bound' | 'local' | 'bind' {
  if (!sync) return stored ? 'bound' : 'local';
  const wanted: LogAddress = { url: canonical(sync.url), logId: sync.logId };
  if (!stored) return 'bind';
  if (stored.url === wanted.url && stored.logId === wanted.logId) return 'bound';
  throw new SyncError(
    `The database "${name}" syncs with log "${stored.logId}" at ${stored.url}; it cannot be opened with log "${wanted.logId}" at ${wanted.url}. Open another database (another createStore name) for that log`,
    { details: { code: 'log_mismatch', stored, requested: wanted } },
  );
}

/**
 * Binds a database opened with sync for the first time to its log (invariants 2 and 4). In
 * a transaction of its own, which checks again: another tab may have bound it meanwhile.
 */
export async function bindLog(db: LogDb, name: string, sync: LogAddress): Promise<void> {
  await db.transaction('rw', db.records, db.slices, db.meta, async () => {
    if (checkLog(await readLog(db), name, sync) === 'bound') return;
    if ((await readCompaction(db)).compacted > 0) {
      throw new HistoryUnavailableError(
        `The database "${name}" was compacted without sync: the events it dropped can never reach log "${sync.logId}". Open another database for that log`,
        { details: { requested: { url: canonical(sync.url), logId: sync.logId } } },
      );
    }
    await db.records.where('pending').equals(0).modify({ pending: 1 });
    // Its records are pending now, and may move when rebased: slices hold confirmed ones only.
    await clearSlices(db);
    await db.meta.put({ key: KEY, value: { url: canonical(sync.url), logId: sync.logId } satisfies LogAddress });
  });
}
