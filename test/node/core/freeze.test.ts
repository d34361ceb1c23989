/** States are frozen as reducers make them (src/core/freeze.ts). */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { FAST_KEYS } from '../../../src/core/diff.ts';
import { freezeState } from '../../../src/core/freeze.ts';
import { defineProjection, isProjectionError } from '../../../src/index.ts';
import { dbName, mutating, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';

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

  it('given the state it grew from, never looks into what the two share (not even Object.isFrozen)', () => {
    const untouchable = new Proxy(
      {},
      Object.fromEntries(
        ['get', 'ownKeys', 'isExtensible', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'preventExtensions', 'defineProperty'].map(
          (trap) => [
            trap,
            () => {
              throw new Error(`looked into a shared subtree (${trap})`);
            },
          ],
        ),
      ),
    );
    for (const size of [10, FAST_KEYS + 10]) {
      const groups: Record<string, unknown> = {};
      for (let i = 0; i < size; i++) groups[`g${i}`] = untouchable;
      groups['g1'] = Object.freeze({ fresh: Object.freeze([0]) }); // what the update replaces
      const previous = { groups, list: [untouchable, untouchable] };
      // What a reducer returns: new objects along the changed path, the rest shared.
      const next = { groups: { ...groups, g1: { fresh: [1, 2] } }, list: [...previous.list, { added: true }] };
      expect(freezeState(next, previous)).toBe(next);
      expect(Object.isFrozen(next)).toBe(true);
      expect(Object.isFrozen(next.groups)).toBe(true);
      expect(Object.isFrozen(next.groups.g1)).toBe(true);
      expect(Object.isFrozen((next.groups.g1 as { fresh: number[] }).fresh)).toBe(true);
      expect(Object.isFrozen(next.list[2])).toBe(true);
    }
  });

  it('freezes what moved to another key, and what replaced a shared value', () => {
    const previous = freezeState({ a: { n: 1 }, b: { n: 2 } });
    const next = { a: previous.b, b: { n: 3 }, c: { inner: { n: 4 } } };
    freezeState(next, previous);
    expect(Object.isFrozen(next.b)).toBe(true);
    expect(Object.isFrozen(next.c.inner)).toBe(true);
  });

  it('copes with cycles and with a state nested 100,000 levels deep', () => {
    const a: Record<string, unknown> = {};
    a['self'] = a;
    expect(() => freezeState(a)).not.toThrow();
    let deep: Record<string, unknown> = {};
    const top = deep;
    for (let i = 0; i < 100_000; i++) {
      const child: Record<string, unknown> = {};
      deep['d'] = child;
      deep = child;
    }
    freezeState(top);
    expect(Object.isFrozen(deep)).toBe(true);
  });
});

describe('a reducer that changes the state it is given', () => {
  const stores = storesPerTest();

  it('fails the append as a ProjectionError naming it, and stores nothing', async () => {
    const s = await stores.open({ name: dbName(), projections: { ...projections, mutating } });
    await s.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(s.append({ type: 'pushed' }));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details).toMatchObject({ projection: 'mutating' });
    expect(error.message).toContain('a reducer must return a new state, not change the one it is given');
    expect(await s.events()).toHaveLength(1);
    expect(s.get('mutating')).toEqual({ items: [] });
    expect(s.get<Todo[]>('todos')).toHaveLength(1);
  });

  it('is let through with freeze: false, and the page then shows what worker mode shows (its own copy, not the changed one)', async () => {
    const unchecked = defineProjection({ ...mutating, name: 'unchecked', freeze: false });
    const name = dbName();
    const s = await stores.open({ name, projections: { unchecked, todos: projections.todos } });
    const before = s.get('unchecked');
    const [event] = await s.append({ type: 'pushed' });
    expect(await s.events()).toHaveLength(1);
    // The engine's state changed in place; a worker-mode page (a copy) would not see it, nor does this one.
    expect(s.get('unchecked')).toBe(before);
    expect(s.get('unchecked')).toEqual({ items: [] });
    await s.close();
    // A replay from the log shows the reducer's effect, in both modes alike.
    const reopened = await stores.open({ name, projections: { unchecked, todos: projections.todos } });
    expect(reopened.get('unchecked')).toEqual({ items: [event!.id] });
    // Frozen projections are not copied: the page holds the engine's states, shared as they are.
    await reopened.append({ type: 'added', payload: { id: 'a', title: 'A' } });
    const list = reopened.get<Todo[]>('todos');
    await reopened.append({ type: 'noted' });
    expect(reopened.get<Todo[]>('todos')).toBe(list);
    expect(Object.isFrozen(list[0])).toBe(true);
  });

  it('gets frozen states from snapshots too, after a reopen', async () => {
    const name = dbName();
    const first = await stores.open({ name, projections: { ...projections, mutating }, snapshotEvery: 1 });
    await first.append([
      { type: 'added', payload: { id: 'a' } },
      { type: 'added', payload: { id: 'b' } },
    ]);
    await first.close();
    const s = await stores.open({ name, projections: { ...projections, mutating }, snapshotEvery: 1 });
    expect(Object.isFrozen(s.get('mutating'))).toBe(true);
    expect(isProjectionError(await rejection(s.append({ type: 'pushed' })))).toBe(true);
  });
});
