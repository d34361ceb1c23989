/**
 * Whether structured clone gives back an equal value: only then may a state be stored as a
 * snapshot (a snapshot never changes what state is derived). Class instances lose their
 * prototype in a clone (an Immutable.js Map would come back as a plain object), functions
 * and symbols do not clone at all.
 */
const CLONEABLE = new Set<unknown>([
  Object.prototype,
  null,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
]);

const TYPED = Object.getPrototypeOf(Uint8Array.prototype) as object;

export function isCloneFaithful(value: unknown, seen = new Set<object>()): boolean {
  switch (typeof value) {
    case 'function':
    case 'symbol':
      return false;
    case 'object': {
      if (value === null || seen.has(value)) return true;
      const proto = Object.getPrototypeOf(value) as object | null;
      if (!CLONEABLE.has(proto) && Object.getPrototypeOf(proto ?? {}) !== TYPED) return false;
      seen.add(value);
      if (proto === Object.prototype || proto === null || proto === Array.prototype) {
        for (const key of Object.keys(value)) if (!isCloneFaithful((value as Record<string, unknown>)[key], seen)) return false;
        return true;
      }
      // A clone drops what a Date, Map, Set, RegExp or buffer carries as properties of its own
      // (a typed array's keys are its indices: not looked at, so as not to list them all).
      if ((!ArrayBuffer.isView(value) || value instanceof DataView) && Object.keys(value).length > 0) return false;
      if (value instanceof Map) {
        for (const [k, v] of value) if (!isCloneFaithful(k, seen) || !isCloneFaithful(v, seen)) return false;
      } else if (value instanceof Set) {
        for (const v of value) if (!isCloneFaithful(v, seen)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}
