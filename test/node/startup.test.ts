// Start-up reads what it needs in one read transaction (src/worker/startup.ts): the log, the
// client id, and the database's binding to a sync log (src/worker/logBinding.ts), which only
// a first open with sync has to write.
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
afterEach(() => {
  vi.restoreAllMocks();
});

it('opening a database reads it in one transaction and writes nothing before it is ready but the catch-up batch', async () => {
  const name = dbName();
  const first = await stores.open({ name, projections });
  await first.append({ type: 'added', payload: { id: 'a' } });
  await first.close();
  const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
  const store = await stores.open({ name, projections });
  const scopes = transactions.mock.calls.map(([tables, mode]) => ({ stores: [...tables].sort(), mode: mode ?? 'readonly' }));
  expect(scopes).toEqual([
    { stores: ['meta', 'records', 'rejected', 'slices', 'snapshots'], mode: 'readonly' }, // Dexie's open() reads the schema
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readonly' }, // start-up reads the log
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readwrite' }, // a batch applies what another tab wrote meanwhile
  ]);
  expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
});
