import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRecord } from '../../src/storage/records.ts';
import { boundTo, openLogDb, type LogDb } from '../../src/storage/schema.ts';
import { dbName } from '../support/fixtures.ts';

// A batch runs its operations in one transaction with many native awaits between its reads
// and writes. Dexie finds the current transaction through a zone that follows native
// promises for a bounded number of hops; past it, a table call silently runs in a
// transaction of its own. A batch's tables are bound to its transaction (boundTo), so a write
// after any number of awaits still belongs to it: undone when the batch fails.

const dbs: LogDb[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

const record = (first: number) =>
  makeRecord(first, [{ id: `e${first}`, type: 'added', payload: null, stream: 's', clientId: 'c', commit: `c${first}`, time: 1 }], false);

/** `n` awaits of async functions that touch no table (an undo's preparation is a chain like it). */
async function manyAwaits(n: number): Promise<void> {
  const step = async (): Promise<number> => 1;
  for (let i = 0; i < n; i++) await step();
}

describe('a batch’s tables bound to its transaction', () => {
  it('a write after many native awaits is part of the transaction, and a failure undoes it', async () => {
    const db = openLogDb({ name: dbName('bound') });
    dbs.push(db);
    const failed = db.transaction('rw', ['records'], async (tx) => {
      const bound = boundTo(db, tx);
      await bound.records.count(); // a read first, as a batch's checks are
      await manyAwaits(100);
      await bound.records.add(record(1));
      throw new Error('the batch fails');
    });
    await expect(failed).rejects.toThrow('the batch fails');
    expect(await db.records.count()).toBe(0);
  });

  it('without binding, the same write escapes into a transaction of its own (what binding prevents)', async () => {
    const db = openLogDb({ name: dbName('unbound') });
    dbs.push(db);
    const failed = db.transaction('rw', ['records'], async () => {
      await db.records.count();
      await manyAwaits(100);
      await db.records.add(record(1));
      throw new Error('the batch fails');
    });
    await expect(failed).rejects.toThrow();
    expect(await db.records.count()).toBe(1);
  });
});
