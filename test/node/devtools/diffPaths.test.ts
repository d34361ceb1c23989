// What an event changed, as paths (src/devtools/diffPaths.ts): the inspector's event pane lists these.
import { describe, expect, it } from 'vitest';
import { diffPaths } from '../../../src/devtools/diffPaths.ts';

describe('diffPaths()', () => {
  it('names each added, removed and changed leaf by its path', () => {
    const before = { todos: [{ id: 'a', done: false }], count: 1, gone: true };
    const after = {
      todos: [
        { id: 'a', done: true },
        { id: 'b', done: false },
      ],
      count: 1,
      fresh: 'x',
    };
    expect(diffPaths(before, after)).toEqual([
      { path: 'todos.0.done', kind: 'changed', before: false, after: true },
      { path: 'todos.1', kind: 'added', after: { id: 'b', done: false } },
      { path: 'gone', kind: 'removed', before: true },
      { path: 'fresh', kind: 'added', after: 'x' },
    ]);
  });

  it('finds nothing between equal states, and nothing under a part that kept its identity', () => {
    const shared = { deep: { big: Array.from({ length: 1000 }, (_, i) => i) } };
    expect(diffPaths({ a: 1, shared }, { a: 1, shared })).toEqual([]);
  });

  it('reports a whole value replaced by one of another kind at its own path, the root as the empty path', () => {
    expect(diffPaths([1, 2], { 0: 1 })).toEqual([{ path: '', kind: 'changed', before: [1, 2], after: { 0: 1 } }]);
    expect(diffPaths({ a: [1] }, { a: 'one' })).toEqual([{ path: 'a', kind: 'changed', before: [1], after: 'one' }]);
    expect(diffPaths(undefined, { a: 1 })).toEqual([{ path: '', kind: 'added', after: { a: 1 } }]);
  });

  it('stops at the limit on a state rebuilt wholesale', () => {
    const before = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i + 1]));
    expect(diffPaths(before, after, 10)).toHaveLength(10);
  });
});
