/**
 * An engine's connection to its database, which must never go on in another database of the
 * same name. IndexedDB takes a database away from its open connections in three ways: another
 * connection deletes it (`indexedDB.deleteDatabase`: another tab signing out) or upgrades it (a
 * newer version of the app with a newer schema), firing `versionchange` and waiting until they
 * close; or the browser closes them itself (site data cleared, a storage failure), firing
 * `close`. Dexie closes the connection on each and opens the database again on the next call
 * (also after the page comes back from the back/forward cache, and when a transaction cannot
 * start on a connection the browser is closing), which would make a new, empty database of the
 * same name, or write with the old schema into the new one: a log going on from the head in
 * memory, corrupt.
 *
 * So: on `versionchange` or the browser's `close` the connection is closed for good; and every
 * time Dexie opens the database again, before any call goes on, the database must still be this
 * one: the same incarnation (a random id kept in `meta`, made when the database first gets one),
 * else it is closed for good too. A reopen of the same database (the back/forward cache) goes on
 * as before.
 */
import { uuidv7 } from 'uuidv7';
import type { StoreClosedReason } from '../core/errors/index.ts';
import type { LogDb } from './schema.ts';

/** Why a database was taken away from a connection (StoreClosedError's `details.reason`). */
export type GoneReason = Exclude<StoreClosedReason, 'closed'>;

/**
 * Opens `db` and closes it for good when its database is taken away: calls on it then reject
 * with Dexie's DatabaseClosedError, never reopening it, and `gone` is called once with why. The
 * connection is closed at once, so the deletion or upgrade is not blocked; transactions already
 * running finish first (IndexedDB lets them commit before the deletion or upgrade goes on).
 */
export async function openForGood(db: LogDb, gone: (reason: GoneReason) => void): Promise<void> {
  let told = false;
  let incarnation: string | undefined;
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
  // Every open, Dexie's own reopens included; calls wait until it resolves.
  db.on(
    'ready',
    async () => {
      // Fired only when the browser closed the connection (our own close() fires none).
      db.backendDB().addEventListener('close', () => close('database-closed'));
      const stored = (await db.meta.get('incarnation'))?.value;
      if (incarnation === undefined) {
        incarnation = typeof stored === 'string' ? stored : uuidv7();
        if (stored === undefined) await db.meta.put({ key: 'incarnation', value: incarnation });
      } else if (stored !== incarnation) {
        // Not the database this engine read: deleted (and now made again, empty, by this open)
        // or replaced while the connection was closed.
        close('database-deleted');
      }
    },
    true,
  );
  await db.open();
}
