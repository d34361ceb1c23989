/**
 * Status equality, field by field and one level deep (lastError and storage are objects),
 * over whichever fields either side has, so a field added to StoreStatus is compared
 * without a change here. Used by the mirror (onStatus fires only on a change) and by
 * useStoreStatus (a stable snapshot for useSyncExternalStore).
 */
import type { StoreStatus } from '../api/store.ts';

export function sameStatus(a: StoreStatus, b: StoreStatus): boolean {
  return sameFields(a, b, (x, y) => Object.is(x, y) || (isObject(x) && isObject(y) && sameFields(x, y, Object.is)));
}

function sameFields(a: object, b: object, same: (x: unknown, y: unknown) => boolean): boolean {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  for (const key of Object.keys(x)) if (!same(x[key], y[key])) return false;
  for (const key of Object.keys(y)) if (!(key in x) && !same(undefined, y[key])) return false;
  return true;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
