/**
 * status.storage with an injected StorageManager stand-in (Node has none): when it is read,
 * what is asked of it, and that a failing one never fails the store.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { dbName, projections } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

function fakeStorage(options: { grant?: boolean } = {}) {
  const calls = { estimate: 0, persist: 0 };
  let usage = 1000;
  let persisted = false;
  return {
    calls,
    grow: (bytes: number) => {
      usage += bytes;
    },
    storage: {
      estimate: async (): Promise<{ usage: number; quota: number }> => {
        calls.estimate++;
        return { usage, quota: 50_000 };
      },
      persisted: async () => persisted,
      persist: async () => {
        calls.persist++;
        persisted = options.grant ?? true;
        return persisted;
      },
    },
  };
}

const stores = storesPerTest();

describe('status.storage', () => {
  it('is absent where there is no StorageManager (Node)', async () => {
    const store = await stores.open({ name: dbName('no-storage'), projections });
    await store.append({ type: 'added', payload: { id: 'a' } });
    expect(store.status).not.toHaveProperty('storage');
  });

  it('asks for persistence once at open, reports the answer, and reads use again after writes', async () => {
    const fake = fakeStorage({ grant: true });
    const store = await stores.open({ name: dbName('storage'), projections, storage: fake.storage });
    const granted = await untilStatus(store, (s) => s.storage?.persisted === true);
    expect(granted.storage).toEqual({ usage: 1000, quota: 50_000, persisted: true });
    expect(fake.calls.persist).toBe(1);

    const reads = fake.calls.estimate;
    fake.grow(4000);
    // A burst of writes: one read after them, not one per write.
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.append({ type: 'added', payload: { id: `x${i}` } })));
    expect((await untilStatus(store, (s) => s.storage?.usage === 5000)).storage).toEqual({ usage: 5000, quota: 50_000, persisted: true });
    expect(fake.calls.estimate - reads).toBe(1);
  });

  it('does not ask with persist: false, and reports a refusal', async () => {
    const quiet = fakeStorage();
    const a = await stores.open({ name: dbName('no-persist'), projections, storage: quiet.storage, persist: false });
    expect((await untilStatus(a, (s) => s.storage !== undefined)).storage?.persisted).toBe(false);
    expect(quiet.calls.persist).toBe(0);

    const refused = fakeStorage({ grant: false });
    const b = await stores.open({ name: dbName('refused'), projections, storage: refused.storage });
    await untilStatus(b, (s) => s.storage !== undefined);
    expect(refused.calls.persist).toBe(1);
    expect(b.status.storage?.persisted).toBe(false);
  });

  it('a failing estimate keeps the last figures and fails no call', async () => {
    const fake = fakeStorage();
    const store = await stores.open({ name: dbName('failing'), projections, storage: fake.storage, persist: false });
    const first = (await untilStatus(store, (s) => s.storage !== undefined)).storage;
    const failed = new Promise<void>((resolve) => {
      fake.storage.estimate = async () => {
        resolve();
        throw new Error('estimate failed');
      };
    });
    await store.append({ type: 'added', payload: { id: 'a' } });
    await failed; // the read after the write happened, and failed
    await store.append({ type: 'added', payload: { id: 'b' } });
    expect(store.status.storage).toEqual(first);
    expect(store.get<unknown[]>('todos')).toHaveLength(2);
  });

  it('a slow first reading that lands after a newer one is dropped, not shown', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let persisted = false;
    let reads = 0;
    const storage = {
      estimate: async () => {
        if (++reads === 1) await gate; // the reading at open answers last
        return { usage: 1000, quota: 50_000 };
      },
      persisted: async () => persisted,
      persist: async () => (persisted = true),
    };
    const store = await stores.open({ name: dbName('race'), projections, storage });
    await untilStatus(store, (s) => s.storage?.persisted === true);
    release();
    await gate;
    await store.append({ type: 'added', payload: { id: 'a' } }); // a round trip after the late answer
    expect(store.status.storage).toEqual({ usage: 1000, quota: 50_000, persisted: true });
  });

  it('rejects storage with a worker (it cannot cross): pass it to serveStore()', async () => {
    await expect(stores.open({ name: dbName('x'), worker: {} as Worker, storage: fakeStorage().storage })).rejects.toThrow(/serveStore/);
  });
});
