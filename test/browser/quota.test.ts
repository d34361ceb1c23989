import { describe, expect, it } from 'vitest';
import { createStore, isStorageFullError } from 'eventloom';
import { dbName, projections, type Todo } from '../support/fixtures.ts';

// A Storage Bucket with its own small quota: real Chromium IndexedDB enforcing a real
// quota, without touching the test origin's. (Overriding the origin's quota through the
// DevTools protocol does not reach a backing store that is already open.)
interface StorageBucketManager {
  open(name: string, options: { quota: number }): Promise<{ indexedDB: IDBFactory }>;
}

function randomText(length: number): string {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
  return Array.from(bytes, (b) => String.fromCharCode(33 + (b % 90))).join('');
}

async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new Error(`${what} failed: ${(error as Error).name}: ${(error as Error).message}`, { cause: error });
  }
}

/** Fills a bucket with `kib` KiB in small records (no blob files) in a separate database. */
async function filler(factory: IDBFactory, name: string, kib: number): Promise<void> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = factory.open(name);
    request.onupgradeneeded = () => request.result.createObjectStore('fill');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const tx = db.transaction('fill', 'readwrite');
  for (let i = 0; i < kib / 16; i++) tx.objectStore('fill').put(randomText(16 * 1024), i);
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error);
  });
  db.close();
}

async function deleted(factory: IDBFactory, name: string): Promise<void> {
  await new Promise((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = resolve;
    request.onerror = () => reject(request.error);
  });
}

describe('a full quota', () => {
  it('gives StorageFullError, stores nothing, and the store goes on once space is freed', async () => {
    const buckets = (navigator as Navigator & { storageBuckets: StorageBucketManager }).storageBuckets;
    const bucket = await buckets.open(
      dbName('quota')
        .toLowerCase()
        .replace(/[^a-z0-9_-]/g, '-'),
      { quota: 2 * 1024 * 1024 },
    );
    await filler(bucket.indexedDB, 'other-data', 1024);
    const store = await createStore({ name: dbName(), projections, indexedDB: bucket.indexedDB });
    try {
      await step('the first small append', () => store.append({ type: 'added', payload: { id: 'a', title: 'small' } }));
      // 32 appends of 48 KiB issued together: one group-committed transaction of 1.5 MiB.
      const results = await Promise.allSettled(
        Array.from({ length: 32 }, (_, i) => store.append({ type: 'added', payload: { id: `big${i}`, title: randomText(48 * 1024) } })),
      );
      expect(results.every((r) => r.status === 'rejected' && isStorageFullError(r.reason))).toBe(true);
      expect((await store.events()).map((e) => e.position)).toEqual([1]);
      expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
      expect(store.status.head).toBe(1);

      await deleted(bucket.indexedDB, 'other-data'); // the user frees space
      await step('the append after space was freed', () => store.append({ type: 'added', payload: { id: 'c', title: 'fits' } }));
      expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'c']);
      expect((await store.events()).map((e) => e.position)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });
});
