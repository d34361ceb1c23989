/**
 * Structural diffs of projection states (issue 13, step 1): what a change did to a state, so
 * the worker can send the page that and not the whole state, and the page can apply it with
 * structural sharing (what did not change keeps its identity, so memoised views stay put).
 *
 * Invariants:
 * 1. `applyPatch(prev', diffState(prev, next))` deep-equals `next` for any `prev'` that
 *    deep-equals `prev` (the page's copy of the worker's previous state).
 * 2. Cost follows the change: subtrees the reducer shared between `prev` and `next` (the same
 *    reference) are never walked; only the path a reducer copied is compared.
 * 3. Applying (./patch.ts, the page's part) shares every subtree a patch does not touch.
 */
import { isPlainObject, type Patch } from './patch.ts';

export type { Patch } from './patch.ts';

/**
 * Up to this many keys, V8 keeps an object "fast" (a shape, values in an array), and walking
 * its values by index beats a lookup per key; past it, an object is a hash table (a
 * "dictionary"), and listing its values costs more than looking each key up.
 */
export const FAST_KEYS = 1020;

/** The same keys in the same order (property keys are interned: compared by identity). */
export function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hasPrimitiveKeys(map: Map<unknown, unknown>): boolean {
  for (const key of map.keys()) if (typeof key !== 'string' && typeof key !== 'number') return false;
  return true;
}

/** What turns `prev` into `next`, comparing by reference first (invariant 2). */
export function diffState(prev: unknown, next: unknown): Patch {
  if (Object.is(prev, next)) return undefined;
  if (isPlainObject(prev) && isPlainObject(next) && Object.getPrototypeOf(prev) === Object.getPrototypeOf(next)) {
    const set: [string, Patch][] = [];
    const nextKeys = Object.keys(next);
    const prevKeys = Object.keys(prev);
    let removed: string[] = [];
    if (nextKeys.length <= FAST_KEYS && sameKeys(prevKeys, nextKeys)) {
      // The usual case (a spread that replaced values): values compared by index, with no
      // lookup by key, which V8 makes slow when one site sees objects of many shapes.
      const before = Object.values(prev);
      const after = Object.values(next);
      for (let i = 0; i < after.length; i++) {
        if (Object.is(before[i], after[i])) continue; // shared: not walked (invariant 2)
        const patch = diffState(before[i], after[i]);
        if (patch !== undefined) set.push([nextKeys[i]!, patch]);
      }
    } else {
      let kept = 0;
      for (const key of nextKeys) {
        const had = Object.hasOwn(prev, key);
        if (had) kept++;
        const patch = had ? diffState(prev[key], next[key]) : { kind: 'value' as const, value: next[key] };
        if (patch !== undefined) set.push([key, patch]);
      }
      if (kept < prevKeys.length) removed = prevKeys.filter((key) => !Object.hasOwn(next, key));
    }
    return set.length === 0 && removed.length === 0 ? undefined : { kind: 'object', set, removed };
  }
  if (Array.isArray(prev) && Array.isArray(next)) {
    const set: [number, Patch][] = [];
    for (let i = 0; i < next.length; i++) {
      const patch = i < prev.length ? diffState(prev[i], next[i]) : { kind: 'value' as const, value: next[i] };
      if (patch !== undefined) set.push([i, patch]);
    }
    return set.length === 0 && next.length === prev.length ? undefined : { kind: 'array', length: next.length, set };
  }
  if (prev instanceof Map && next instanceof Map && hasPrimitiveKeys(prev) && hasPrimitiveKeys(next)) {
    const set: [string | number, Patch][] = [];
    for (const [key, value] of next as Map<string | number, unknown>) {
      const patch = prev.has(key) ? diffState(prev.get(key), value) : { kind: 'value' as const, value };
      if (patch !== undefined) set.push([key, patch]);
    }
    const removed = [...(prev as Map<string | number, unknown>).keys()].filter((key) => !next.has(key));
    return set.length === 0 && removed.length === 0 ? undefined : { kind: 'map', set, removed };
  }
  return { kind: 'value', value: next };
}
