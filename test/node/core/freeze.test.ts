/** States are frozen as reducers make them (src/core/freeze.ts). */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { freezeState } from '../../../src/core/freeze.ts';
import { createStore, defineProjection, isProjectionError, type Store } from '../../../src/index.ts';
import { dbName, mutating, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';

describe('freezeState', () => {
  it('freezes plain objects and arrays all the way down, and what Maps and Sets hold', () => {
    const inMap = { n: 1 };
    const inSet = [1];
    const state = { list: [{ a: 1 }], nested: { deep: { deeper: [2] } }, map: new Map([['k', inMap]]), set: new Set([inSet]) };
    expect(freezeState(state)).toBe(state);
    for (const part of [state, state.list, state.list[0], state.nested, state.nested.deep, state.nested.deep.deeper, inMap, inSet]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    // A Map or Set stays usable (freezing would not stop set() anyway).
    expect(Object.isFrozen(state.map)).toBe(false);
    expect(Object.isFrozen(state.set)).toBe(false);
  });

  it('leaves class instances and Dates as they are', () => {
    class Counter {
      hits = 0;
    }
    const state = { counter: new Counter(), when: new Date(0) };
    freezeState(state);
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.counter)).toBe(false);
    expect(Object.isFrozen(state.when)).toBe(false);
  });

  it('does not walk into what is frozen already (an immutable update costs by what it made)', () => {
    const shared = freezeState({ big: Array.from({ length: 10 }, (_, i) => ({ i })) });
    // A frozen object whose contents were not frozen: proof the walk stops at it.
    const stop = Object.freeze({ inner: { open: true } });
    const next = { shared, stop, fresh: { x: 1 } };
    freezeState(next);
    expect(Object.isFrozen(next.fresh)).toBe(true);
    expect(Object.isFrozen(stop.inner)).toBe(false);
  });

  it('copes with cycles and with a state nested 100,000 levels deep', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => freezeState(a)).not.toThrow();
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 100_000; i++) deep = (deep['d'] = {}) as Record<string, unknown>;
    freezeState(top);
    expect(Object.isFrozen(deep)).toBe(true);
  });
});

describe('a reducer that changes the state it is given', () => {
  const open: Store[] = [];
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('fails the append as a ProjectionError naming it, and stores nothing', async () => {
    const s = await createStore({ name: dbName(), projections: { ...projections, mutating } });
    open.push(s);
    await s.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(s.append({ type: 'pushed' }));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details).toMatchObject({ projection: 'mutating' });
    expect(error.message).toContain('a reducer must return a new state, not change the one it is given');
    expect(await s.events()).toHaveLength(1);
    expect(s.get('mutating')).toEqual({ items: [] });
    expect(s.get<Todo[]>('todos')).toHaveLength(1);
  });

  it('is let through with freeze: false (the check skipped, as in production builds that want it)', async () => {
    const unchecked = defineProjection({ ...mutating, name: 'unchecked', freeze: false });
    const s = await createStore({ name: dbName(), projections: { unchecked } });
    open.push(s);
    await s.append({ type: 'pushed' });
    expect(await s.events()).toHaveLength(1);
  });

  it('gets frozen states from snapshots too, after a reopen', async () => {
    const name = dbName();
    const first = await createStore({ name, projections: { ...projections, mutating }, snapshotEvery: 1 });
    await first.append([{ type: 'added', payload: { id: 'a' } }, { type: 'added', payload: { id: 'b' } }]);
    await first.close();
    const s = await createStore({ name, projections: { ...projections, mutating }, snapshotEvery: 1 });
    open.push(s);
    expect(Object.isFrozen(s.get('mutating'))).toBe(true);
    expect(isProjectionError(await rejection(s.append({ type: 'pushed' })))).toBe(true);
  });
});
