// A database deleted (another tab signing out), upgraded (a newer app in another tab) or closed by
// the browser while a store has it open (src/storage/connection.ts, engine invariant 4): the
// store closes its connection at once, so the deletion or upgrade goes through, and never reopens
// it; every later call fails with StoreClosedError naming why, and the status says so.
import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createStore, isStoreClosedError, type StoreStatus } from '../../src/index.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { databaseNames, deleteDatabase, upgradeDatabase } from '../support/idb.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';
import { syncServerPerTest } from '../support/syncServer.ts';
import { until, untilStatus } from '../support/wait.ts';

const stores = storesPerTest();
const server = syncServerPerTest(stores);
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('a database deleted while a store has it open', () => {
  it('is deleted at once; every later call rejects with StoreClosedError and nothing makes it again', async () => {
    const name = dbName('deleted');
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    await store.append({ type: 'added', payload: { id: 'b' } });
    const statuses: StoreStatus[] = [];
    store.onStatus((status) => statuses.push(status));

    expect(await deleteDatabase(name)).toEqual({ blocked: 0 });
    // The store heard it before the deletion went through (in-process, its status is already set).
    const lastError = { name: 'StoreClosedError', message: expect.stringContaining(`database "${name}" was deleted`) };
    expect(statuses).toEqual([expect.objectContaining({ head: 2, sync: 'off', lastError })]);
    expect(store.status).toMatchObject({ head: 2, lastError });

    const appended = await rejection(store.append({ type: 'added', payload: { id: 'c' } }));
    expect(isStoreClosedError(appended)).toBe(true);
    expect(appended.details).toEqual({ reason: 'database-deleted' });
    expect(appended.message).toMatch(/createStore\(\)/);
    const calls = [
      () => store.events(),
      () => store.undo(),
      () => store.state('todos'),
      () => store.stateAt('todos', { position: 1 }),
      () => store.compact({ before: 1 }),
      () => store.sync.rejected(),
    ];
    for (const call of calls) expect((await rejection(call)).details).toEqual({ reason: 'database-deleted' });
    // What the page holds stays readable, for the app to show while it tells the user.
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
    expect(await databaseNames()).not.toContain(name);
    await store.close();

    // Opened again: a new, empty log that starts at 1.
    const again = await stores.open({ name, projections });
    expect(again.status).toMatchObject({ head: 0, pending: 0 });
    expect(again.status.lastError).toBeUndefined();
    const [event] = await again.append({ type: 'added', payload: { id: 'd' } });
    expect(event?.position).toBe(1);
    expect((await again.events()).map((e) => e.payload)).toEqual([{ id: 'd' }]);
  });

  it('lets calls under way either commit before the deletion or fail with StoreClosedError, none in a new database', async () => {
    const name = dbName('midflight');
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'first' } });
    // The deletion comes while a batch's transaction runs; more calls queue behind that batch.
    const outcome = (call: Promise<{ position: number }[]>) =>
      call.then(
        (events) => `position ${events[0]?.position}`,
        (error: Error) => `${error.name} ${JSON.stringify((error as { details?: unknown }).details)} ${(error.cause as Error)?.name}`,
      );
    const queued: Promise<string>[] = [];
    let deletion: Promise<{ blocked: number }> | undefined;
    const transaction = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      const tx = transaction.apply(this, args);
      if (this.name === name && args[1] === 'readwrite' && !deletion) {
        deletion = deleteDatabase(name);
        queued.push(outcome(store.append({ type: 'added', payload: { id: 'queued' } })));
        queued.push(outcome(store.append({ type: 'added', payload: { id: 'checked' } }, { expectedVersion: 'any' })));
      }
      return tx;
    });
    const running = outcome(store.append({ type: 'added', payload: { id: 'running' } }));
    // The running batch's transaction committed before the deletion went on; the calls after it fail.
    expect(await running).toBe('position 2');
    expect(await deletion).toEqual({ blocked: 0 });
    const closed = 'StoreClosedError {"reason":"database-deleted"}';
    expect(await Promise.all(queued)).toEqual([`${closed} DatabaseClosedError`, `${closed} DatabaseClosedError`]);
    expect(await outcome(store.append({ type: 'added', payload: { id: 'after' } }))).toBe(`${closed} undefined`);
    expect(await databaseNames()).not.toContain(name);
  });

  it('fails createStore with StoreClosedError when it comes while the store opens', async () => {
    const name = dbName('opening');
    // The deletion comes while start-up reads the log (its first transaction after Dexie's open).
    const transaction = IDBDatabase.prototype.transaction;
    let deletion: Promise<{ blocked: number }> | undefined;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      if (this.name === name && args[1] !== 'readwrite' && !deletion && [...args[0]].length === 4) deletion = deleteDatabase(name);
      return transaction.apply(this, args);
    });
    const error = await rejection(createStore({ name, projections }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-deleted' });
    expect(await deletion).toEqual({ blocked: 0 });
    expect(await databaseNames()).not.toContain(name);
  });

  it('stops the sync loop: no push or pull after, its live stream ended', async () => {
    const events = new EventTarget();
    vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
    vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
    const name = dbName('synced');
    const requests: { url: string; signal: AbortSignal | undefined; after: boolean }[] = [];
    let gone = false;
    let liveOpened!: () => void;
    const live = new Promise<void>((resolve) => {
      liveOpened = resolve;
    });
    const fetchSpy: typeof fetch = (input, init) => {
      const url = String(input);
      requests.push({ url, signal: init?.signal ?? undefined, after: gone });
      if (url.includes('/live')) liveOpened();
      return fetch(input, init);
    };
    const store = await stores.open({ name, projections, sync: { url: server.url, logId: 'gone', fetch: fetchSpy } });
    await store.append({ type: 'added', payload: { id: 'a' } });
    await untilStatus(store, (s) => s.pending === 0 && s.sync === 'idle');
    await live;

    expect(await deleteDatabase(name)).toEqual({ blocked: 0 });
    gone = true;
    expect(store.status).toMatchObject({ sync: 'error', lastError: { name: 'StoreClosedError' } });
    // Its live stream was cut when the database went away.
    expect(requests.filter((r) => r.url.includes('/live')).every((r) => r.signal?.aborted)).toBe(true);
    expect((await rejection(store.sync.now())).details).toEqual({ reason: 'database-deleted' });
    events.dispatchEvent(new Event('online')); // would run a round at once

    // Another replica writes to the log: a store still syncing would pull it (into a new database).
    const other = await stores.open({ name: dbName('other'), projections, sync: { url: server.url, logId: 'gone' } });
    await other.append({ type: 'added', payload: { id: 'from-other' } });
    await other.sync.now();
    const watcher = await stores.open({ name: dbName('watcher'), projections, sync: { url: server.url, logId: 'gone' } });
    await watcher.sync.now();
    await until<Todo[]>(watcher, 'todos', (t) => t.length === 2);
    await store.close();
    expect(requests.filter((r) => r.after)).toEqual([]);
    expect(await databaseNames()).not.toContain(name);
    expect(store.status).toMatchObject({ sync: 'error', lastError: { name: 'StoreClosedError' } });
  });
});

describe('a database upgraded by another connection while a store has it open', () => {
  it('lets the upgrade through; every later call rejects with StoreClosedError, reason database-upgraded', async () => {
    const name = dbName('upgraded');
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    expect(await upgradeDatabase(name)).toEqual({ blocked: 0 });
    expect(store.status.lastError).toEqual({
      name: 'StoreClosedError',
      message: expect.stringContaining(`database "${name}" was upgraded by another connection`),
    });
    const error = await rejection(store.append({ type: 'added', payload: { id: 'b' } }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-upgraded' });
    // The old store wrote nothing with its schema: the database holds what the upgrade left.
    const versions = (await indexedDB.databases()).filter((d) => d.name === name).map((d) => d.version);
    expect(versions).toEqual([1000]);
    await store.close();
  });

  it('from a second store opening it through Dexie with a newer schema', async () => {
    const name = dbName('dexie');
    const store = await stores.open({ name, projections });
    const { Dexie } = await import('dexie');
    const newer = new Dexie(name);
    newer.version(100).stores({ records: 'first', extra: 'id' });
    await newer.open();
    expect(newer.verno).toBe(100);
    newer.close();
    expect((await rejection(store.events())).details).toEqual({ reason: 'database-upgraded' });
  });
});

describe('a database the browser closes under a store (site data cleared, a storage failure)', () => {
  it('is not reopened: every later call rejects with StoreClosedError, reason database-closed', async () => {
    const name = dbName('forced');
    const connections = new Set<IDBDatabase>();
    const transaction = IDBDatabase.prototype.transaction;
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      if (this.name === name) connections.add(this);
      return transaction.apply(this, args);
    });
    const store = await stores.open({ name, projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    expect(connections.size).toBe(1);
    // fake-indexeddb's types ask for the class; it takes (and needs) the connection.
    for (const connection of connections) forceCloseDatabase(connection as unknown as Parameters<typeof forceCloseDatabase>[0]);
    const error = await rejection(store.append({ type: 'added', payload: { id: 'b' } }));
    expect(isStoreClosedError(error)).toBe(true);
    expect(error.details).toEqual({ reason: 'database-closed' });
    expect(store.status.lastError).toEqual({ name: 'StoreClosedError', message: expect.stringContaining('closed by the browser') });
    expect(connections.size).toBe(1); // no connection was opened again
    await store.close();
  });
});
