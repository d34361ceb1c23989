/**
 * States are frozen as a fold of reducers ends (each append, each replay, each snapshot
 * loaded), so a reducer that changes the state it is given (against the contract: replay,
 * snapshots, undo and worker mode all rely on it not doing so) fails at once, as a
 * ProjectionError naming it, in worker and in-process mode alike. The states in the middle of
 * a fold are the fold's own and are not frozen: a replay of many events walks the result once.
 *
 * Invariants:
 * 1. Cost follows the change: given the state the fold started from (frozen already), the walk
 *    stops at every subtree the new state shares with it (by reference, at the same place)
 *    and at objects already frozen, so after a reducer's immutable update only what it newly
 *    made is visited. (Object.isFrozen is no shortcut: V8 answers it for a frozen object by
 *    looking at each of its properties, which made a 100k-entry state cost 1.6 ms a change.)
 * 2. Only plain objects and arrays are frozen; the contents of Maps and Sets are frozen too, but
 *    not the Map or Set itself (freezing does not stop `set`), nor class instances (a library's
 *    objects may cache into themselves) or Dates.
 * 3. Iterative: a deep state costs a walk, not the call stack.
 */
import { FAST_KEYS, sameKeys } from './diff.ts';

export function freezeState<S>(value: S, previous?: unknown): S {
  if (value === previous || !unfrozenObject(value)) return value;
  // The objects left to freeze, each with what stood at its place in the previous state.
  // Two stacks, not one of pairs: nothing is allocated per member.
  const items: object[] = [value];
  const was: unknown[] = [previous];
  const visit = (child: unknown, old: unknown): void => {
    // Shared with the previous state: frozen with it (invariant 1), and not even asked, since
    // Object.isFrozen costs a look at every property of a frozen object (V8).
    if (child !== old && unfrozenObject(child)) {
      items.push(child);
      was.push(old);
    }
  };
  while (items.length > 0) {
    const item = items.pop()!;
    const old = was.pop();
    if (Array.isArray(item)) {
      Object.freeze(item);
      const before = Array.isArray(old) ? (old as unknown[]) : undefined;
      for (let i = 0; i < item.length; i++) visit(item[i], before?.[i]);
    } else if (item instanceof Map) {
      const before = old instanceof Map ? (old as Map<unknown, unknown>) : undefined;
      for (const [key, member] of item as Map<unknown, unknown>) visit(member, before?.get(key));
    } else if (item instanceof Set) {
      const before = old instanceof Set ? (old as Set<unknown>) : undefined;
      for (const member of item as Set<unknown>) visit(member, before?.has(member) ? member : undefined);
    } else {
      const proto = Object.getPrototypeOf(item) as unknown;
      if (proto !== Object.prototype && proto !== null) continue;
      Object.freeze(item);
      const keys = Object.keys(item);
      if (keys.length <= FAST_KEYS && typeof old === 'object' && old !== null && sameKeys(keys, Object.keys(old))) {
        // The usual case: compared by index, no lookup by key (see core/diff.ts).
        const values = Object.values(item);
        const before = Object.values(old);
        for (let i = 0; i < values.length; i++) visit(values[i], before[i]);
      } else {
        const before = typeof old === 'object' && old !== null ? (old as Record<string, unknown>) : undefined;
        for (const key of keys)
          visit((item as Record<string, unknown>)[key], before !== undefined && Object.hasOwn(before, key) ? before[key] : undefined);
      }
    }
  }
  return value;
}

function unfrozenObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Object.isFrozen(value);
}
