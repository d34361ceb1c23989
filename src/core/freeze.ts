/**
 * States are frozen as a fold of reducers ends (each append, each replay, each snapshot
 * loaded), so a reducer that changes the state it is given (against the contract: replay,
 * snapshots, undo and worker mode all rely on it not doing so) fails at once, as a
 * ProjectionError naming it, in worker and in-process mode alike. The states in the middle of
 * a fold are the fold's own and are not frozen: a replay of many events walks the result once.
 *
 * Invariants:
 * 1. Cost follows the change: the walk stops at objects already frozen, so after a reducer's
 *    immutable update only what it newly made is visited.
 * 2. Only plain objects and arrays are frozen; the contents of Maps and Sets are frozen too, but
 *    not the Map or Set itself (freezing does not stop `set`), nor class instances (a library's
 *    objects may cache into themselves) or Dates.
 * 3. Iterative: a deep state costs a walk, not the call stack.
 */
export function freezeState<S>(value: S): S {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== 'object' || item === null || Object.isFrozen(item)) continue;
    if (Array.isArray(item)) {
      Object.freeze(item);
      for (const member of item) stack.push(member);
    } else if (item instanceof Map) {
      for (const member of item.values()) stack.push(member);
    } else if (item instanceof Set) {
      for (const member of item) stack.push(member);
    } else {
      const proto = Object.getPrototypeOf(item) as unknown;
      if (proto !== Object.prototype && proto !== null) continue;
      Object.freeze(item);
      for (const key of Object.keys(item)) stack.push((item as Record<string, unknown>)[key]);
    }
  }
  return value;
}
