/**
 * createStore({ durability }): the log's write transactions ask IndexedDB for that
 * durability (real Chromium, which honours it); 'default' unless asked.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Durability } from 'eventloom';
import { dbName, projections } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';

const asked: (string | undefined)[] = [];
const original = IDBDatabase.prototype.transaction;
afterEach(() => {
  IDBDatabase.prototype.transaction = original;
  asked.length = 0;
});
/** Records the durability of every read-write transaction opened from now on (in this page: in-process stores). */
function record(): void {
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    names: string | string[],
    mode?: IDBTransactionMode,
    options?: IDBTransactionOptions,
  ) {
    const tx = original.call(this, names, mode, options);
    if (mode === 'readwrite') asked.push(tx.durability);
    return tx;
  } as typeof original;
}

describe('durability', () => {
  const stores = storesPerTest();

  it.each<[Durability | undefined, string]>([
    [undefined, 'default'],
    ['strict', 'strict'],
    ['relaxed', 'relaxed'],
  ])('%s: every write transaction of the log is %s', async (durability, expected) => {
    record();
    const store = await stores.open({ name: dbName('durability'), projections, ...(durability ? { durability } : {}) });
    await store.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    await store.undo();
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(new Set(asked)).toEqual(new Set([expected]));
  });

  it('an unknown durability is a TypeError, and nothing is opened', async () => {
    const name = dbName('durability-bad');
    await expect(stores.open({ name, projections, durability: 'flushed' as Durability })).rejects.toThrow(TypeError);
    expect((await indexedDB.databases()).some((d) => d.name === name)).toBe(false);
  });
});
