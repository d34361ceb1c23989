/**
 * An engine's connection to its database, opened for good. IndexedDB takes a database away
 * from its open connections in three ways: another connection deletes it
 * (`indexedDB.deleteDatabase`: another tab signing out) or upgrades it (a newer version of the
 * app opening it with a newer schema), firing `versionchange` and waiting until they close;
 * or the browser closes them itself (site data cleared, a storage failure), firing `close`.
 * Dexie's own handlers close the connection but let the next call reopen the database, which
 * makes a new, empty one of the same name (or writes with the old schema into the new one):
 * a log going on from the head in memory, corrupt. Here the connection is closed for good.
 */
import type { StoreClosedReason } from '../core/errors/index.ts';
import type { LogDb } from './schema.ts';

/** Why a database was taken away from a connection (StoreClosedError's `details.reason`). */
export type GoneReason = Exclude<StoreClosedReason, 'closed'>;

/**
 * Opens `db` (made with autoOpen false: ./schema.ts) and closes it for good when its database is
 * taken away: calls on it then reject with Dexie's DatabaseClosedError, never reopening it, and
 * `gone` is called once with why. The connection is closed at once, so the deletion or upgrade
 * is not blocked; transactions already running finish first (IndexedDB lets them commit
 * before the deletion or upgrade goes on).
 */
export async function openForGood(db: LogDb, gone: (reason: GoneReason) => void): Promise<void> {
  let told = false;
  const close = (reason: GoneReason): void => {
    db.close({ disableAutoOpen: true });
    if (told) return;
    told = true;
    gone(reason);
  };
  db.on('versionchange', (event: IDBVersionChangeEvent) => {
    // A deletion has no new version (null; 0 in some implementations).
    close(event.newVersion ? 'database-upgraded' : 'database-deleted');
    return false; // Dexie's default handler, after this one, would allow a reopen
  });
  await db.open();
  // Fired only when the browser closed the connection (our own close() fires none).
  db.backendDB().addEventListener('close', () => close('database-closed'));
}
