// Start-up reads what it needs in one read transaction (src/worker/startup.ts): the log, the
// client id, and the database's binding to a sync log (src/worker/logBinding.ts), which only
// a first open with sync has to write.
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import { createStore, type Store } from '../../src/index.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';

const open: Store[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of open.splice(0)) await s.close();
});

it('opening a database reads it in one transaction and writes nothing before it is ready but the catch-up batch', async () => {
  const name = dbName();
  const first = await createStore({ name, projections });
  await first.append({ type: 'added', payload: { id: 'a' } });
  await first.close();
  const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
  const store = await createStore({ name, projections });
  open.push(store);
  const scopes = transactions.mock.calls.map(([stores, mode]) => ({ stores: [...stores].sort(), mode: mode ?? 'readonly' }));
  expect(scopes).toEqual([
    { stores: ['meta', 'records', 'rejected', 'slices', 'snapshots'], mode: 'readonly' }, // Dexie's open() reads the schema
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readonly' }, // start-up reads the log
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readwrite' }, // a batch applies what another tab wrote meanwhile
  ]);
  expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
});
