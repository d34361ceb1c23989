// Start-up reads what it needs in one read transaction (src/worker/startup.ts): the log, the
// client id, and the database's binding to a sync log (src/worker/logBinding.ts), which only
// a first open with sync has to write.
import 'fake-indexeddb/auto';
import { afterEach, expect, it, vi } from 'vitest';
import { createStore, isStoreClosedError } from '../../src/index.ts';
import { Engine } from '../../src/worker/engine.ts';
import { EngineSession } from '../../src/worker/session.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
afterEach(() => {
  vi.restoreAllMocks();
});

it('opening a database reads it in one transaction (and which database it is in one more) and writes nothing before it is ready but the catch-up batch', async () => {
  const name = dbName();
  const first = await stores.open({ name, projections });
  await first.append({ type: 'added', payload: { id: 'a' } });
  await first.close();
  const transactions = vi.spyOn(IDBDatabase.prototype, 'transaction');
  const store = await stores.open({ name, projections });
  const scopes = transactions.mock.calls.map(([tables, mode]) => ({ stores: [...tables].sort(), mode: mode ?? 'readonly' }));
  expect(scopes).toEqual([
    { stores: ['meta', 'records', 'rejected', 'slices', 'snapshots'], mode: 'readonly' }, // Dexie's open() reads the schema
    { stores: ['meta'], mode: 'readonly' }, // its incarnation, to know it again (src/storage/connection.ts)
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readonly' }, // start-up reads the log
    { stores: ['meta', 'records', 'slices', 'snapshots'], mode: 'readwrite' }, // a batch applies what another tab wrote meanwhile
  ]);
  expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
});

it('a store that a bad option stops from opening leaves nothing open: its database and its channel to other tabs are closed', async () => {
  const open = new Set<BroadcastChannel>();
  const Native = globalThis.BroadcastChannel;
  class Tracked extends Native {
    constructor(name: string) {
      super(name);
      open.add(this);
    }
    override close(): void {
      open.delete(this);
      super.close();
    }
  }
  vi.stubGlobal('BroadcastChannel', Tracked);
  const closes = vi.spyOn(IDBDatabase.prototype, 'close');
  try {
    const error = await rejection(createStore({ name: dbName(), projections, compaction: { keep: 0 } }));
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/compaction needs \{ keep: n \}/);
    expect(open.size).toBe(0);
    expect(closes).toHaveBeenCalled();
  } finally {
    vi.unstubAllGlobals();
  }
});

it('a closed engine says so before it looks at what it is given', async () => {
  const session = new EngineSession(await Engine.open({ name: dbName(), projections }, () => undefined));
  await session.close();
  const error = await rejection(session.append([{ type: '' }]));
  expect(isStoreClosedError(error)).toBe(true);
});
