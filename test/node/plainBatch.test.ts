// Plain appends run in one native IndexedDB transaction (src/worker/plainBatch.ts) whose
// checks must catch what another store did to the log without telling us: a rewrite (a
// rebase) or records past our head. Here that other store writes the database directly, so
// no message arrives and only the checks can see it.
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/index.ts';
import { makeRecord } from '../../src/storage/records.ts';
import { openLogDb, type LogDb } from '../../src/storage/schema.ts';
import { readRewrites, writeRewrite } from '../../src/storage/rewrites.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
const dbs: LogDb[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await stores.closeAll(); // each store before the handle on its database
  for (const db of dbs.splice(0)) db.close();
});

async function storeAndDb(): Promise<{ store: Store; db: LogDb }> {
  const name = dbName();
  const store = await stores.open({ name, projections });
  const db = openLogDb({ name });
  dbs.push(db);
  return { store, db };
}
const ids = (store: Store) => store.get<Todo[]>('todos').map((t) => t.id);

describe('a plain append', () => {
  it('does not go through Dexie’s transaction wrapper, and stores what it answered', async () => {
    const { store } = await storeAndDb();
    await store.append({ type: 'added', payload: { id: 'warm' } });
    const dexieTransactions = vi.spyOn(Dexie.prototype, 'transaction');
    const native = vi.spyOn(IDBDatabase.prototype, 'transaction');
    const stored = await store.append([
      { type: 'added', payload: { id: 'a' } },
      { type: 'added', payload: { id: 'b' } },
    ]);
    expect(dexieTransactions).not.toHaveBeenCalled();
    expect(native).toHaveBeenCalledTimes(1);
    expect((await store.events({ after: 1 })).map((e) => e.id)).toEqual(stored.map((e) => e.id));
  });

  it('sees a rewrite of the log by another store and applies it before its own commit', async () => {
    const { store, db } = await storeAndDb();
    await store.append({ type: 'added', payload: { id: 'a' } });
    await store.append({ type: 'added', payload: { id: 'b' } });
    // Another store rebased position 2 (its event is now another), and said so in the log.
    await db.transaction('rw', db.records, db.meta, async () => {
      const record = (await db.records.get(2))!;
      record.events[0]!.payload = { id: 'z' };
      await db.records.put(record);
      await writeRewrite(db, await readRewrites(db), 2);
    });
    await store.append({ type: 'added', payload: { id: 'c' } });
    expect(ids(store)).toEqual(['a', 'z', 'c']);
    expect((await store.events()).map((e) => [e.position, (e.payload as { id: string }).id])).toEqual([
      [1, 'a'],
      [2, 'z'],
      [3, 'c'],
    ]);
  });

  it('sees records another store wrote past its head and lands after them', async () => {
    const { store, db } = await storeAndDb();
    await store.append({ type: 'added', payload: { id: 'a' } });
    const other = {
      id: crypto.randomUUID(),
      type: 'added',
      payload: { id: 'other' },
      stream: 'default',
      clientId: 'another',
      commit: crypto.randomUUID(),
      time: Date.now(),
    };
    await db.records.add(makeRecord(2, [other], false));
    const [mine] = await store.append({ type: 'added', payload: { id: 'b' } });
    expect(mine!.position).toBe(3);
    expect(ids(store)).toEqual(['a', 'other', 'b']);
    expect((await store.events()).map((e) => e.position)).toEqual([1, 2, 3]);
  });
});
