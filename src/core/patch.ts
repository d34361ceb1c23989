/**
 * Applying a structural patch (./diff.ts makes them) to the page's copy of a state: the part of
 * worker mode that runs on the page, kept apart so the page's bundle holds only this.
 *
 * Invariants (with ./diff.ts's):
 * 1. In the result of `applyPatch`, every subtree the patch does not touch is the very object
 *    of the base it was applied to.
 * 2. A patch is plain data (structured-clonable); object keys are set as own data properties,
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

/** A plain object (prototype Object.prototype or null): what patches of kind 'object' describe. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `base` with `patch` applied, sharing every untouched subtree with `base` (invariant 1). */
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
