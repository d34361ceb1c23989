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
 * 3. In the result of `applyPatch`, every subtree the patch does not touch is the very object
 *    of the base it was applied to.
 * 4. A patch is plain data (structured-clonable); object keys are set as own data properties,
 *    `__proto__` included, never through a setter.
 */

/** What changed in a value; `undefined` means nothing did. */
export type Patch =
  | undefined
  /** The whole value, as it is now. */
  | { readonly kind: 'value'; readonly value: unknown }
  /** A plain object: changed keys (a patch each) and removed keys. */
  | { readonly kind: 'object'; readonly set: readonly (readonly [string, Patch])[]; readonly removed: readonly string[] }
  /** An array: its new length and changed indices. */
  | { readonly kind: 'array'; readonly length: number; readonly set: readonly (readonly [number, Patch])[] }
  /** A Map with string or number keys: changed keys and removed keys. */
  | { readonly kind: 'map'; readonly set: readonly (readonly [string | number, Patch])[]; readonly removed: readonly (string | number)[] };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

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

/** `base` with `patch` applied, sharing every untouched subtree with `base` (invariant 3). */
export function applyPatch(base: unknown, patch: Patch): unknown {
  if (patch === undefined) return base;
  switch (patch.kind) {
    case 'value':
      return patch.value;
    case 'object': {
      const from = isPlainObject(base) ? base : {};
      const proto = Object.getPrototypeOf(from) as object | null;
      const plain = proto === Object.prototype && !Object.hasOwn(from, '__proto__');
      if (plain && patch.removed.length === 0 && patch.set.every(([key]) => Object.hasOwn(from, key))) {
        // Values changed, keys as they were: Object.assign onto {} copies the shape in one go
        // in V8 (~2 µs for 1,000 keys; a spread does too, but only while its call site has
        // seen few shapes, and this one sees every object of every state: ~285 µs then).
        const copy: Record<string, unknown> = Object.assign({}, from);
        for (const [key, change] of patch.set) copy[key] = applyPatch(from[key], change);
        return copy;
      }
      const copy = Object.create(proto) as Record<string, unknown>;
      const removed = new Set(patch.removed);
      for (const key of Object.keys(from)) if (!removed.has(key)) define(copy, key, from[key]);
      for (const [key, change] of patch.set) define(copy, key, applyPatch(Object.hasOwn(from, key) ? from[key] : undefined, change));
      // Keys added one by one leave V8 a slow ("dictionary") object past ~128 of them, and
      // every later copy of it slow too; a spread of it makes a fast one (up to ~1,000 keys).
      return plain && !Object.hasOwn(copy, '__proto__') ? { ...copy } : copy;
    }
    case 'array': {
      const from = Array.isArray(base) ? (base as unknown[]) : [];
      const copy = from.slice(0, patch.length);
      copy.length = patch.length;
      for (const [index, change] of patch.set) copy[index] = applyPatch(from[index], change);
      return copy;
    }
    case 'map': {
      const copy = new Map(base instanceof Map ? (base as Map<unknown, unknown>) : []);
      for (const key of patch.removed) copy.delete(key);
      for (const [key, change] of patch.set) copy.set(key, applyPatch(copy.get(key), change));
      return copy;
    }
  }
}

/** An own data property, whatever the key (invariant 4: `__proto__` must not set the prototype). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
