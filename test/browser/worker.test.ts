import { afterEach, describe, expect, it } from 'vitest';
import {
  isConcurrencyError,
  isInvalidEventError,
  isProjectionError,
  isStoreClosedError,
  isUnknownProjectionError,
  type Store,
} from 'eventloom';
import { dbName, fragile, mutating, mutatingUnchecked, projections, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const workers: Worker[] = [];
const stores = storesPerTest();

function newWorker(): Worker {
  const worker = new Worker(new URL('./store.worker.ts', import.meta.url), { type: 'module' });
  workers.push(worker);
  return worker;
}

async function open(name: string, options: { snapshotEvery?: number } = {}): Promise<Store> {
  return stores.open({ name, worker: newWorker(), ...options });
}

afterEach(async () => {
  await stores.closeAll(); // while their workers still answer
  for (const w of workers.splice(0)) w.terminate();
});

/** Resolves with the first state a subscriber sees that passes `accept`. */
function nextState<S>(store: Store, projection: string, accept: (s: S) => boolean): Promise<S> {
  return new Promise((resolve) => {
    const off = store.subscribe<S>(projection, (s) => {
      if (accept(s)) {
        off();
        resolve(s);
      }
    });
  });
}

describe('worker mode in real Chromium', () => {
  it('delivers state to subscribers after an append from the main thread', async () => {
    const store = await open(dbName());
    const seen = nextState<Todo[]>(store, 'todos', (s) => s.length === 1);
    const [event] = await store.append({ type: 'added', payload: { id: 'a', title: 'Buy milk' } });
    expect(await seen).toEqual([{ id: 'a', title: 'Buy milk', done: false }]);
    expect(store.get<Todo[]>('todos')).toEqual([{ id: 'a', title: 'Buy milk', done: false }]);
    expect(event).toMatchObject({ position: 1, pending: false, stream: 'default', clientId: store.clientId });
    expect(store.status).toMatchObject({ head: 1, pending: 0, canUndo: true, canRedo: false, sync: 'off' });
  });

  it('sends what changed: parts of a state a change did not touch keep their identity on the page', async () => {
    const name = dbName();
    const store = await open(name);
    await store.append([
      { type: 'added', payload: { id: 'a', title: 'A' } },
      { type: 'added', payload: { id: 'b', title: 'B' } },
    ]);
    const before = store.get<Todo[]>('todos');
    await store.append({ type: 'toggled', payload: { id: 'b' } });
    const after = store.get<Todo[]>('todos');
    expect(after).toEqual([
      { id: 'a', title: 'A', done: false },
      { id: 'b', title: 'B', done: true },
    ]);
    expect(after).not.toBe(before);
    expect(after[0]).toBe(before[0]); // untouched: the very object the page had
    await store.undo();
    const undone = store.get<Todo[]>('todos');
    expect(undone).toEqual(before);
    expect(undone[0]).toBe(before[0]);
    // The page's copy equals what the worker derives from the log.
    await store.close();
    const reopened = await open(name);
    expect(reopened.get<Todo[]>('todos')).toEqual(undone);
  });

  it('refuses a reducer that changes the state it is given, as in-process mode does: ProjectionError, nothing stored', async () => {
    const store = await open(dbName());
    await store.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(store.append({ type: 'pushed' }));
    expect(isProjectionError(error)).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ projection: 'mutating' });
    expect(store.get('mutating')).toEqual({ items: [] });
    expect(await store.events()).toHaveLength(1);
  });

  it('with the check off (freeze: false), such a reducer shows the same states in worker and in-process mode', async () => {
    const inWorker = dbName();
    const inProcess = dbName();
    const local = (name: string) => stores.open({ name, projections: { ...projections, fragile, mutating, mutatingUnchecked } });
    const pair = [await open(inWorker), await local(inProcess)];
    for (const store of pair) await store.append([{ type: 'shoved' }, { type: 'added', payload: { id: 'a', title: 'A' } }]);
    const [w, l] = pair.map((s) => s.get('mutatingUnchecked'));
    expect(w).toEqual({ items: [] });
    expect(l).toEqual(w);
    for (const store of pair) await store.close();
    // Reopened, each replays the log: the reducer's effect shows, in both alike.
    const again = [await open(inWorker), await local(inProcess)];
    const [wa, la] = again.map((s) => s.get<{ items: string[] }>('mutatingUnchecked'));
    expect(wa?.items).toHaveLength(1);
    expect(la?.items).toHaveLength(1);
  });

  it('keeps the log, state, clientId and undo history across a close and reopen', async () => {
    const name = dbName();
    const first = await open(name, { snapshotEvery: 2 });
    await first.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    await first.append({ type: 'added', payload: { id: 'b', title: 'B' } });
    await first.append({ type: 'added', payload: { id: 'c', title: 'C' } });
    await first.undo();
    const clientId = first.clientId;
    await first.close();

    const second = await open(name, { snapshotEvery: 2 });
    expect(second.clientId).toBe(clientId);
    expect(second.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
    expect(second.status).toMatchObject({ head: 4, canUndo: true, canRedo: true });
    expect(await second.redo()).toBe(true);
    expect(second.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b', 'c']);
    expect((await second.events()).map((e) => e.type)).toEqual(['added', 'added', 'added', '$undo', '$redo']);
  });

  it("lets two stores on one database see each other's appends without a reload", async () => {
    const name = dbName();
    const a = await open(name);
    const b = await open(name);
    const bSees = nextState<Todo[]>(b, 'todos', (s) => s.length === 1);
    await a.append({ type: 'added', payload: { id: 'from-a', title: 'A' } });
    expect((await bSees)[0]?.id).toBe('from-a');

    const aSees = nextState<Todo[]>(a, 'todos', (s) => s.length === 2);
    await b.append({ type: 'added', payload: { id: 'from-b', title: 'B' } });
    expect((await aSees).map((t) => t.id)).toEqual(['from-a', 'from-b']);
    expect(a.status.head).toBe(2);
    expect((await a.events()).map((e) => e.position)).toEqual([1, 2]);
  });

  it('keeps error names and details across the worker boundary, and stores nothing', async () => {
    const store = await open(dbName());
    await store.append({ type: 'added', payload: { id: 'a' }, stream: 'todo-a' });

    const reserved = await rejection(store.append({ type: '$undo', payload: {} }));
    expect(isInvalidEventError(reserved)).toBe(true);
    expect((reserved as Error).name).toBe('InvalidEventError');

    const fn = await rejection(store.append({ type: 'added', payload: { f: () => 1 } }));
    expect(isInvalidEventError(fn)).toBe(true);
    const node = await rejection(store.append({ type: 'added', payload: { el: document.createElement('div') } }));
    expect(isInvalidEventError(node)).toBe(true);

    const conflict = await rejection(store.append({ type: 'toggled', payload: { id: 'a' }, stream: 'todo-a' }, { expectedVersion: 0 }));
    expect(isConcurrencyError(conflict)).toBe(true);
    expect((conflict as { details: unknown }).details).toMatchObject({ stream: 'todo-a', actualVersion: 1 });

    const boom = await rejection(store.append({ type: 'boom' }));
    expect(isProjectionError(boom)).toBe(true);
    expect((boom as { details: unknown }).details).toMatchObject({ projection: 'fragile' });

    const badQuery = await rejection(store.events({ limit: -1 }));
    expect(isInvalidEventError(badQuery)).toBe(true);
    expect(isUnknownProjectionError(await rejection(store.stateAt('nope', { position: 1 })))).toBe(true);
    expect(() => store.get('nope')).toThrow(expect.objectContaining({ name: 'UnknownProjectionError' }));

    expect((await store.events()).map((e) => e.type)).toEqual(['added']);
    expect(store.status.head).toBe(1);
    await store.close();
    expect(isStoreClosedError(await rejection(store.append({ type: 'added' })))).toBe(true);
  });

  it('serves several stores from one worker, and a new store after close()', async () => {
    const worker = newWorker();
    const nameA = dbName();
    const a = await stores.open({ name: nameA, worker });
    const b = await stores.open({ name: dbName(), worker });
    await a.append({ type: 'added', payload: { id: 'in-a' } });
    await b.append({ type: 'added', payload: { id: 'in-b' } });
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['in-a']);
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['in-b']);
    await a.close();
    const again = await stores.open({ name: nameA, worker });
    expect(again.get<Todo[]>('todos').map((t) => t.id)).toEqual(['in-a']);
    await again.append({ type: 'added', payload: { id: 'more' } });
    expect(again.status.head).toBe(2);
    expect(b.status.head).toBe(1);
  });
});
