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

describe('a full quota', () => {
  it('gives StorageFullError, stores nothing, and the store stays usable', async () => {
    const buckets = (navigator as Navigator & { storageBuckets: StorageBucketManager }).storageBuckets;
    const bucket = await buckets.open(dbName('quota').toLowerCase().replace(/[^a-z0-9_-]/g, '-'), { quota: 512 * 1024 });
    const store = await createStore({ name: dbName(), projections, indexedDB: bucket.indexedDB });
    try {
      await store.append({ type: 'added', payload: { id: 'a', title: 'small' } });
      let error: unknown;
      try {
        await store.append({ type: 'added', payload: { id: 'b', title: randomText(2 * 1024 * 1024) } });
      } catch (e) {
        error = e;
      }
      expect(isStorageFullError(error)).toBe(true);
      expect((await store.events()).map((e) => e.position)).toEqual([1]);
      expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
      expect(store.status.head).toBe(1);

      await store.append({ type: 'added', payload: { id: 'c', title: 'fits' } });
      expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'c']);
      expect((await store.events()).map((e) => e.position)).toEqual([1, 2]);
    } finally {
      await store.close();
    }
  });
});
