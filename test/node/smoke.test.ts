import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createStore } from '../../src/index.ts';
import { dbName, projections, type Todo } from '../support/fixtures.ts';

describe('smoke', () => {
  it('appends, undoes and redoes', async () => {
    const store = await createStore({ name: dbName(), projections, snapshotEvery: 3 });
    const [e] = await store.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    expect(e?.position).toBe(1);
    await store.append([{ type: 'added', payload: { id: 'b', title: 'B' } }, { type: 'toggled', payload: { id: 'a' } }]);
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
    expect(await store.undo()).toBe(true);
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a']);
    expect(store.status.canRedo).toBe(true);
    expect(await store.redo()).toBe(true);
    expect(store.get<Todo[]>('todos')).toEqual([{ id: 'a', title: 'A', done: true }, { id: 'b', title: 'B', done: false }]);
    expect(await store.stateAt('todos', { position: 1 })).toEqual([{ id: 'a', title: 'A', done: false }]);
    const events = await store.events();
    expect(events.map((x) => x.type)).toEqual(['added', 'added', 'toggled', '$undo', '$redo']);
    await store.close();
  });
});
