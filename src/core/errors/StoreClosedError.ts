import { EventloomError } from './EventloomError.ts';

/**
 * The store is closed: create a new one with createStore() to go on. `details.reason` says
 * why:
 * - `'closed'`: the app called close(). Nothing was lost.
 * - `'database-deleted'`: its IndexedDB database was deleted while the store had it open
 *   (`indexedDB.deleteDatabase(name)`, in this tab or another: a sign-out), or was found
 *   deleted or replaced when the connection opened again (the back/forward cache).
 * - `'database-upgraded'`: another connection opened its database with a newer schema
 *   version (a newer version of the app, in another tab).
 * - `'database-closed'`: the browser closed its connection (the site's data cleared while
 *   the page was open, a storage failure).
 *
 * In these cases the store closed its connection at once, so as not to block the deletion
 * or upgrade, and it never opens the database again (that would make a new, empty one of
 * the same name): a call under way either committed before or rejects with this error, sync
 * stops, and `status.lastError` names it. get(), subscribe() and status keep the
 * last state, for the app to show while it tells the user (signed out elsewhere; reload).
 */
export class StoreClosedError extends EventloomError {
  override readonly name = 'StoreClosedError';
}

export function isStoreClosedError(error: unknown): error is StoreClosedError {
  return (error as { name?: unknown } | null)?.name === 'StoreClosedError';
}

/** Why a store is closed: StoreClosedError's `details.reason`. */
export type StoreClosedReason = 'closed' | 'database-deleted' | 'database-upgraded' | 'database-closed';

/**
 * The StoreClosedError for `reason`; `name`: the database's (for the reasons other than
 * 'closed'); `cause`: the failure it stands for (a call the closing cut short).
 */
export function storeClosed(reason: StoreClosedReason, name = '', cause?: unknown): StoreClosedError {
  const message = {
    closed: 'The store is closed; create a new one with createStore() to go on',
    'database-deleted': `The store's database "${name}" was deleted (indexedDB.deleteDatabase, in this tab or another) while the store had it open: the store closed it and writes nothing more. Open it again with createStore() to go on`,
    'database-upgraded': `The store's database "${name}" was upgraded by another connection (a newer version of the app, in another tab): the store closed it and writes nothing more. Reload the app, or open the database again with createStore()`,
    'database-closed': `The store's database "${name}" was closed by the browser (its site data cleared, or a storage failure) while the store had it open: the store writes nothing more. Open it again with createStore() to go on`,
  }[reason];
  return new StoreClosedError(message, { cause, details: { reason } });
}
