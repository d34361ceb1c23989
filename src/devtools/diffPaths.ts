/**
 * What changed between two states, as the paths a person reads: each added, removed or
 * changed leaf (or whole subtree, when one side is not an object), in a stable order. Pure;
 * for the inspector's "what this event changed" (./detail.ts).
 */

export interface PathChange {
  /** The path from the state's root, e.g. `todos.3.title` (the root itself is ``). */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** At most this many changes are listed: a state rebuilt wholesale is summarised, not walked to the end. */
const MAX_CHANGES = 500;

export function diffPaths(before: unknown, after: unknown, limit = MAX_CHANGES): PathChange[] {
  const out: PathChange[] = [];
  walk(before, after, [], out, limit);
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function walk(before: unknown, after: unknown, path: string[], out: PathChange[], limit: number): void {
  if (out.length >= limit || Object.is(before, after)) return;
  const at = path.join('.');
  if (!isRecord(before) || !isRecord(after) || Array.isArray(before) !== Array.isArray(after)) {
    if (before === undefined) out.push({ path: at, kind: 'added', after });
    else if (after === undefined) out.push({ path: at, kind: 'removed', before });
    else out.push({ path: at, kind: 'changed', before, after });
    return;
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const has = [Object.hasOwn(before, key), Object.hasOwn(after, key)];
    const next = [...path, key];
    if (has[0] && !has[1]) out.push({ path: next.join('.'), kind: 'removed', before: before[key] });
    else if (!has[0] && has[1]) out.push({ path: next.join('.'), kind: 'added', after: after[key] });
    else walk(before[key], after[key], next, out, limit);
    if (out.length >= limit) return;
  }
}
