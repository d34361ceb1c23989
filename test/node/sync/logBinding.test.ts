import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { isHistoryUnavailableError, isSyncError, type CreateStoreOptions, type Store } from '../../../src/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';

// Which log a database belongs to (DESIGN "Sync"): start local, sync later; never another log.
const stores = storesPerTest();
const server = syncServerPerTest(stores);

function openStore(name: string, sync?: { logId: string; url?: string }, extra: Partial<CreateStoreOptions> = {}): Promise<Store> {
  return stores.open({
    name,
    projections,
    ...extra,
    ...(sync ? { sync: { url: sync.url ?? server.url, logId: sync.logId, live: false } } : {}),
  });
}

const added = (id: string) => ({ type: 'added', payload: { id } });
const todoIds = (store: Store) => store.get<Todo[]>('todos').map((t) => t.id);

describe('start local, sync later', () => {
  it('local events go to the log when the database is first opened with sync, rebased after the server’s', async () => {
    const remote = await openStore(dbName('remote'), { logId: 'later' });
    await remote.append([added('r1'), added('r2'), added('r3')]);
    await remote.sync.now();

    const name = dbName('guest');
    const guest = await openStore(name);
    await guest.append(added('l1'));
    await guest.append(added('l2'));
    await guest.undo();
    await guest.redo();
    await guest.append(added('l3'));
    expect(guest.status.pending).toBe(0);
    await guest.close();

    const signedIn = await openStore(name, { logId: 'later' });
    expect(signedIn.status.pending).toBe(5); // l1, l2, the undo and redo markers, l3
    expect(todoIds(signedIn)).toEqual(['l1', 'l2', 'l3']);
    await signedIn.sync.now();
    expect(signedIn.status.pending).toBe(0);
    expect(todoIds(signedIn)).toEqual(['r1', 'r2', 'r3', 'l1', 'l2', 'l3']);
    const log = await signedIn.events();
    expect(log.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.every((e) => !e.pending)).toBe(true);

    await remote.append(added('r4'));
    await remote.sync.now();
    await signedIn.sync.now();
    expect(todoIds(signedIn)).toEqual(['r1', 'r2', 'r3', 'l1', 'l2', 'l3', 'r4']);
    expect(todoIds(remote)).toEqual(todoIds(signedIn));
    expect(await remote.events()).toEqual(await signedIn.events());
    expect(await signedIn.undo()).toBe(true); // the history made offline is still this client's
    expect(todoIds(signedIn)).toEqual(['r1', 'r2', 'r3', 'l1', 'l2', 'r4']);
  });

  it('a database that synced keeps its events pending when opened without sync, and pushes them later', async () => {
    const name = dbName('bound');
    const first = await openStore(name, { logId: 'bound' });
    await first.append(added('online'));
    await first.sync.now();
    await first.close();

    const offline = await openStore(name);
    const [e] = await offline.append(added('offline'));
    expect(e).toMatchObject({ position: 2, pending: true });
    expect(offline.status).toMatchObject({ pending: 1, sync: 'off' });
    await offline.close();

    const again = await openStore(name, { logId: 'bound' });
    await again.sync.now();
    const other = await openStore(dbName('other'), { logId: 'bound' });
    await other.sync.now();
    expect(todoIds(other)).toEqual(['online', 'offline']);
  });
});

describe('one database, one log', () => {
  it('refuses to open a database with another log than the one it synced with, naming both, and changes nothing', async () => {
    const name = dbName('mine');
    const store = await openStore(name, { logId: 'log-a' });
    await store.append(added('x'));
    await store.sync.now();
    await store.close();

    const error = await rejection(openStore(name, { logId: 'log-b' }));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toContain('"log-a"');
    expect(error.message).toContain('"log-b"');
    const otherServer = await rejection(openStore(name, { logId: 'log-a', url: 'http://127.0.0.2:9' }));
    expect(isSyncError(otherServer)).toBe(true);
    expect(otherServer.message).toContain('127.0.0.2');

    const back = await openStore(name, { logId: 'log-a', url: `${server.url}/` });
    expect(back.status).toMatchObject({ head: 1, pending: 0 });
    expect(todoIds(back)).toEqual(['x']);
  });

  it('refuses sync for a database that compacted history away without sync', async () => {
    const name = dbName('compacted');
    const local = await openStore(name);
    for (let i = 0; i < 5; i++) await local.append(added(`t${i}`));
    await local.compact({ before: 4 });
    await local.close();
    const error = await rejection(openStore(name, { logId: 'compacted' }));
    expect(isHistoryUnavailableError(error)).toBe(true);
    const again = await openStore(name);
    expect(again.status).toMatchObject({ head: 5, pending: 0 });
  });
});
