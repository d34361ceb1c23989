import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { isConcurrencyError, type Store } from '../../src/index.ts';
import { bank, dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { until, untilStatus } from '../support/wait.ts';

// Two stores on one database stand for two tabs: they share the log and talk through
// BroadcastChannel, as tabs do.
const stores = storesPerTest();
async function tabs(n: number): Promise<Store[]> {
  const name = dbName();
  const opened: Store[] = [];
  for (let i = 0; i < n; i++) opened.push(await stores.open({ name, projections }));
  return opened;
}

describe('two stores on one database', () => {
  it("see each other's appends without reopening", async () => {
    const [a, b] = (await tabs(2)) as [Store, Store];
    const seen = until<Todo[]>(b, 'todos', (s) => s.length === 1);
    await a.append({ type: 'added', payload: { id: 'x', title: 'from a' } });
    expect((await seen)[0]?.title).toBe('from a');
    expect((await untilStatus(b, (s) => s.head === 1)).head).toBe(1);
  });

  it('catch up when one is opened while the other is appending', async () => {
    const name = dbName();
    const writer = await stores.open({ name, projections: { bank } });
    const writes = Array.from({ length: 40 }, () => writer.append({ type: 'deposit', payload: { n: 1 } }));
    const reader = await stores.open({ name, projections: { bank } });
    await Promise.all(writes);
    await until<number>(reader, 'bank', (n) => n === 40);
    expect(reader.status.head).toBe(40);
  });

  it('interleave appends into one log with unique positions and converge on one state', async () => {
    const [a, b] = (await tabs(2)) as [Store, Store];
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.append({ type: 'added', payload: { id: `a${i}` } })),
      ...Array.from({ length: 20 }, (_, i) => b.append({ type: 'added', payload: { id: `b${i}` } })),
    ]);
    const log = await a.events();
    expect(log.map((e) => e.position)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await until<Todo[]>(a, 'todos', (s) => s.length === 40);
    await until<Todo[]>(b, 'todos', (s) => s.length === 40);
    expect(a.get('todos')).toEqual(referenceState(todos, log));
    expect(b.get('todos')).toEqual(a.get('todos'));
  });

  it("apply each other's undo markers", async () => {
    const [a, b] = (await tabs(2)) as [Store, Store];
    await a.append({ type: 'added', payload: { id: 'keep' } });
    await a.append({ type: 'added', payload: { id: 'drop' } });
    await until<Todo[]>(b, 'todos', (s) => s.length === 2);
    await a.undo();
    const after = await until<Todo[]>(b, 'todos', (s) => s.length === 1);
    expect(after.map((t) => t.id)).toEqual(['keep']);
    // same database, same clientId: b can redo what a undid
    expect(b.clientId).toBe(a.clientId);
    expect(await b.redo()).toBe(true);
    expect((await until<Todo[]>(a, 'todos', (s) => s.length === 2)).map((t) => t.id)).toEqual(['keep', 'drop']);
  });

  it("share one undo history: each tab's undo() sees the other tab's latest commits", async () => {
    const [a, b] = (await tabs(2)) as [Store, Store];
    await a.append({ type: 'added', payload: { id: 'a1' } });
    await a.append({ type: 'added', payload: { id: 'a2' } });
    await until<Todo[]>(b, 'todos', (s) => s.length === 2);
    await b.append({ type: 'added', payload: { id: 'b1' } });
    await until<Todo[]>(a, 'todos', (s) => s.length === 3);
    // a's own commits are in its memory; b's commit came from the log: a undoes b1 first.
    expect(await a.undo()).toBe(true);
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2']);
    expect(await a.undo()).toBe(true);
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1']);
    await until<Todo[]>(b, 'todos', (s) => s.length === 1);
    // b redoes in the order a undid: a2 first, then b1.
    expect(await b.redo()).toBe(true);
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2']);
    await until<Todo[]>(a, 'todos', (s) => s.length === 2);
    expect(await a.redo()).toBe(true);
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2', 'b1']);
    expect(a.status).toMatchObject({ canUndo: true, canRedo: false });
    expect(a.get('todos')).toEqual(referenceState(todos, await a.events()));
  });

  it('check expectedVersion against the shared log, so only one of two racing tabs wins', async () => {
    const [a, b] = (await tabs(2)) as [Store, Store];
    const results = await Promise.allSettled([
      a.append({ type: 'added', payload: { id: 'a' }, stream: 'doc' }, { expectedVersion: 'none' }),
      b.append({ type: 'added', payload: { id: 'b' }, stream: 'doc' }, { expectedVersion: 'none' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(isConcurrencyError(loser.reason)).toBe(true);
    expect(await a.events({ stream: 'doc' })).toHaveLength(1);
  });
});
