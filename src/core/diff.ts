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

function hasPrimitiveKeys(map: Map<unknown, unknown>): boolean {
  for (const key of map.keys()) if (typeof key !== 'string' && typeof key !== 'number') return false;
  return true;
}

/** What turns `prev` into `next`, comparing by reference first (invariant 2). */
export function diffState(prev: unknown, next: unknown): Patch {
  if (Object.is(prev, next)) return undefined;
  if (isPlainObject(prev) && isPlainObject(next) && Object.getPrototypeOf(prev) === Object.getPrototypeOf(next)) {
    const set: [string, Patch][] = [];
    for (const key of Object.keys(next)) {
      const patch = Object.hasOwn(prev, key) ? diffState(prev[key], next[key]) : { kind: 'value' as const, value: next[key] };
      if (patch !== undefined) set.push([key, patch]);
    }
    const removed = Object.keys(prev).filter((key) => !Object.hasOwn(next, key));
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
      const copy = Object.create(Object.getPrototypeOf(from) as object | null) as Record<string, unknown>;
      const removed = new Set(patch.removed);
      for (const key of Object.keys(from)) if (!removed.has(key)) define(copy, key, from[key]);
      for (const [key, change] of patch.set) define(copy, key, applyPatch(Object.hasOwn(from, key) ? from[key] : undefined, change));
      return copy;
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
