/**
 * status.storage in real Chromium: the origin's (or a Storage Bucket's) use and quota from
 * the StorageManager, and whether persistent storage was granted after the store asked.
 */
import { describe, expect, it } from 'vitest';
import { isStorageFullError, type CreateStoreOptions, type Store, type StorageInfo } from 'eventloom';
import { dbName, projections } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

interface StorageBucket {
  indexedDB: IDBFactory;
  estimate(): Promise<{ usage?: number; quota?: number }>;
  persisted(): Promise<boolean>;
  persist(): Promise<boolean>;
}
const buckets = (navigator as Navigator & { storageBuckets: { open(name: string, options: { quota: number }): Promise<StorageBucket> } })
  .storageBuckets;

const stores = storesPerTest();

const withStorage = (store: Store): Promise<StorageInfo> => untilStatus(store, (s) => s.storage !== undefined).then((s) => s.storage!);
/** Random printable text: IndexedDB compresses values, so repeated text would take no room. */
function text(kib: number): string {
  const bytes = new Uint8Array(kib * 1024);
  for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return Array.from(bytes, (b) => String.fromCharCode(33 + (b % 90))).join('');
}

describe('status.storage', () => {
  it.each<[string, () => CreateStoreOptions]>([
    ['in-process', () => ({ name: dbName('storage'), projections })],
    [
      'in a worker',
      () => ({ name: dbName('storage'), worker: new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' }) }),
    ],
  ])('%s: reports the origin use, quota and persistence as the StorageManager does, and use growing with the log', async (_, options) => {
    const store = await stores.open(options());
    const first = await withStorage(store);
    const estimate = await navigator.storage.estimate();
    expect(first.quota).toBe(estimate.quota);
    expect(first.usage).toBeGreaterThanOrEqual(0);
    // The store asked for persistence at open; whatever the browser answered is reported.
    const granted = await navigator.storage.persist();
    expect((await untilStatus(store, (s) => s.storage?.persisted === granted)).storage?.persisted).toBe(granted);

    // About 1 MiB more in the log shows in the use reported after the writes.
    await store.append(Array.from({ length: 8 }, (_, i) => ({ type: 'added', payload: { id: `big${i}`, title: text(128) } })));
    const grown = await untilStatus(store, (s) => (s.storage?.usage ?? 0) >= first.usage + 512 * 1024);
    expect(grown.storage!.usage).toBeLessThanOrEqual(grown.storage!.quota);
  });

  it('reports a Storage Bucket when given one, and a full bucket gives StorageFullError with nothing lost', async () => {
    const quota = 2 * 1024 * 1024;
    const bucket = await buckets.open(
      dbName('bucket')
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '-'),
      { quota },
    );
    const store = await stores.open({ name: dbName('bucket-store'), projections, indexedDB: bucket.indexedDB, storage: bucket });
    expect((await withStorage(store)).quota).toBe(quota);
    await store.append({ type: 'added', payload: { id: 'a', title: 'small' } });

    // Appends of 48 KiB each, one at a time, until the bucket is full.
    let stored = 1;
    let full: unknown;
    for (let i = 0; i < 64 && full === undefined; i++) {
      try {
        await store.append({ type: 'added', payload: { id: `big${i}`, title: text(48) } });
        stored++;
      } catch (error) {
        full = error;
      }
    }
    expect(isStorageFullError(full)).toBe(true);
    // Every append that resolved is in the log and the state; the refused one is in neither.
    expect((await store.events()).length).toBe(stored);
    expect(store.get<unknown[]>('todos')).toHaveLength(stored);
    expect(store.status.head).toBe(stored);
    const reported = await untilStatus(store, (s) => (s.storage?.usage ?? 0) > quota / 2);
    expect(reported.storage!.quota).toBe(quota);
    // (quota.test.ts: once space is freed, the same store appends again.)
  });
});
