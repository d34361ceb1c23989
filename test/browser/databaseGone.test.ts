// Worker mode in real Chromium: the page deletes (or another connection upgrades) the database
// a worker's store has open. The worker's engine gets `versionchange`, closes its connection and
// never reopens it; its errors cross to the page by name, with their details.
import { afterEach, describe, expect, it } from 'vitest';
import { isStoreClosedError, type Store } from 'eventloom';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { databaseNames, deleteDatabase, upgradeDatabase } from '../support/idb.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

const workers: Worker[] = [];
const stores = storesPerTest();

async function open(name: string): Promise<Store> {
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  return stores.open({ name, worker });
}

afterEach(async () => {
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
});

describe('a worker store whose database goes away', () => {
  it('lets the page delete it; the next append rejects with StoreClosedError and no database is made again', async () => {
    const name = dbName('deleted');
    const store = await open(name);
    await store.append({ type: 'added', payload: { id: 'a' } });
    await store.append({ type: 'added', payload: { id: 'b' } });
    expect(await databaseNames()).toContain(name);

    expect(await deleteDatabase(name)).toEqual({ blocked: 0 });
    const error = await rejection(store.append({ type: 'added', payload: { id: 'c' } }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-deleted' });
    const status = await untilStatus(store, (s) => s.lastError !== undefined);
    expect(status).toMatchObject({ head: 2, sync: 'off', lastError: { name: 'StoreClosedError' } });
    expect(status.lastError?.message).toContain(`database "${name}" was deleted`);
    expect((await rejection(store.events())).details).toEqual({ reason: 'database-deleted' });
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
    expect(await databaseNames()).not.toContain(name);
    await store.close();
    expect(await databaseNames()).not.toContain(name);

    const again = await open(name);
    expect(again.status).toMatchObject({ head: 0, pending: 0 });
    expect((await again.append({ type: 'added', payload: { id: 'd' } }))[0]?.position).toBe(1);
  });

  it('lets another connection upgrade it; calls then reject with StoreClosedError, reason database-upgraded', async () => {
    const name = dbName('upgraded');
    const store = await open(name);
    await store.append({ type: 'added', payload: { id: 'a' } });
    expect(await upgradeDatabase(name)).toEqual({ blocked: 0 });
    const error = await rejection(store.append({ type: 'added', payload: { id: 'b' } }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-upgraded' });
    expect((await untilStatus(store, (s) => s.lastError !== undefined)).lastError?.name).toBe('StoreClosedError');
    expect((await indexedDB.databases()).find((d) => d.name === name)?.version).toBe(1000);
  });
});

// In-process mode: Dexie closes every connection of the page when it goes into the back/forward
// cache (pagehide, persisted) and opens the database again on the next call after it comes back.
describe('an in-process store and the back/forward cache', () => {
  const leaveAndComeBack =
    (between: () => Promise<unknown> = async () => undefined) =>
    async () => {
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      await between();
      dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
    };

  it('goes on where it was when the page comes back', async () => {
    const name = dbName('bfcache');
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    await leaveAndComeBack()();
    const [b] = await store.append({ type: 'added', payload: { id: 'b' } });
    expect(b?.position).toBe(2);
    expect((await store.events()).map((e) => (e.payload as { id: string }).id)).toEqual(['a', 'b']);
    expect(store.status.lastError).toBeUndefined();
  });

  it('writes nothing into a database of the same name made again while the page was away: StoreClosedError', async () => {
    const name = dbName('bfcache-deleted');
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    // Deleted while the page was in the cache: its connection was closed, so nothing blocks it
    // and no versionchange reaches the store.
    await leaveAndComeBack(async () => expect(await deleteDatabase(name)).toEqual({ blocked: 0 }))();
    const error = await rejection(store.append({ type: 'added', payload: { id: 'b' } }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-deleted' });
    expect(store.status.lastError?.name).toBe('StoreClosedError');
    await store.close();
    const again = await stores.open({ name, projections });
    expect(again.status).toMatchObject({ head: 0, pending: 0 });
  });
});
