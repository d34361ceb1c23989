/**
 * Compaction of a worker store in real Chromium: the local IndexedDB shrinks, state and time
 * travel after the point stay, history before it comes back from the real sync server, and
 * the typed errors cross the worker boundary.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isHistoryUnavailableError, isInvalidEventError, type Store } from 'eventloom';
import { dbName, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const workers: Worker[] = [];
const stores = storesPerTest();
afterEach(async () => {
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
});

async function open(name: string, options: { logId?: string } = {}): Promise<Store> {
  const worker = new Worker(new URL('./sync.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  const sync = options.logId ? { sync: { url: inject('syncUrl'), logId: options.logId, live: false } } : {};
  return stores.open({ name, worker, snapshotEvery: 10, ...sync });
}

/** How many records the store's database holds (read directly, as another page would). */
async function recordCount(name: string): Promise<number> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      const request = db.transaction('records').objectStore('records').count();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

describe('compaction in real Chromium', () => {
  it('a worker store without sync: records go, state stays, reads before the point give HistoryUnavailableError', async () => {
    const name = dbName('compact-worker');
    const s = await open(name);
    for (let i = 1; i <= 40; i++) await s.append({ type: 'added', payload: { id: `t${i}`, title: `${i}` } });
    const state = s.get<Todo[]>('todos');
    const at35 = await s.stateAt('todos', { position: 35 });
    expect(await recordCount(name)).toBe(40);

    expect(await s.compact({ before: 31 })).toEqual({ compacted: 30, removed: 30 });
    expect(await recordCount(name)).toBe(10);
    expect(s.status.compacted).toBe(30);
    expect(s.get('todos')).toEqual(state);
    expect(await s.stateAt('todos', { position: 35 })).toEqual(at35);
    expect(await s.undo()).toBe(true);
    expect(s.get<Todo[]>('todos')).toHaveLength(39);

    const error = await rejection(s.stateAt('todos', { position: 5 }));
    expect(isHistoryUnavailableError(error)).toBe(true);
    const bad = await rejection(s.compact({ before: 1000 }));
    expect(isInvalidEventError(bad)).toBe(true);
    expect(await recordCount(name)).toBe(11); // 10 kept + the undo marker
  });

  it('a syncing worker store fetches history before the point from the server', async () => {
    const name = dbName('compact-sync');
    const logId = `compact-${Date.now()}`;
    const s = await open(name, { logId });
    for (let i = 1; i <= 30; i++) await s.append({ type: 'added', payload: { id: `t${i}`, title: `${i}` } });
    await s.sync.now();
    const all = await s.events();
    const at12 = await s.stateAt('todos', { position: 12 });
    // The 30 events came back from the server as one page (one record): the point cuts it.
    expect(await s.compact({ before: 21 })).toEqual({ compacted: 20, removed: 20 });
    expect(await s.stateAt('todos', { position: 12 })).toEqual(at12);
    expect(await s.events()).toEqual(all);
  });
});
