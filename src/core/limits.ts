/**
 * The rules every event meets, wherever it is checked: at append() (core/event.ts), in the
 * client's check of server answers and in the server's check of pushes (protocol/wire.ts).
 * One definition, so a store never accepts an event its server refuses (docs/protocol.md "Objects").
 *
 * Invariants:
 * 1. Names (`type`, `stream`) are 1..256 characters and ids (`id`, `clientId`, `commit`)
 *    1..128, with no NUL (PostgreSQL text cannot hold it) and no lone surrogate (it does not
 *    survive UTF-8 on the wire).
 * 2. A value's depth is 0 for a scalar and 1 + the deepest member for an object or array;
 *    payload and meta may be at most MAX_DEPTH deep. The check never recurses past that
 *    depth, so no input can exhaust the stack.
 */
import * as v from 'valibot';

export const MAX_NAME = 256;
export const MAX_ID = 128;
export const MAX_DEPTH = 64;

/** No NUL and no lone surrogate (invariant 1). */
const CLEAN = /^(?:[^\u0000\uD800-\uDFFF]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/** A string field of 1..max characters that every storage and the wire carry unchanged. */
export const textSchema = (what: string, max: number) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.minLength(1, `${what} must not be empty`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
    v.regex(CLEAN, `${what} must not contain NUL characters or lone surrogates`),
  );

export const nameSchema = (what: string) => textSchema(what, MAX_NAME);
export const idSchema = (what: string) => textSchema(what, MAX_ID);

/**
 * A JSON object (not an array). Checked, not rebuilt: a copy made key by key (as v.record
 * does) would turn a `__proto__` key into the copy's prototype and lose it.
 */
export const metaSchema = v.custom<Record<string, unknown>>(
  (m) => typeof m === 'object' && m !== null && !Array.isArray(m),
  'meta must be an object',
);

/** Whether `value` (JSON-like data) is nested deeper than `max` levels (invariant 2). */
export function deeperThan(value: unknown, max: number): boolean {
  // Iterative: a hostile value nested a million levels deep costs a walk, not the stack.
  // Each entry is an object (or array) and its level, the value itself being level 1.
  const stack: [object, number][] = [];
  const visit = (item: unknown, depth: number): void => {
    if (typeof item === 'object' && item !== null) stack.push([item, depth]);
  };
  visit(value, 1);
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const member of Object.values(item)) visit(member, depth + 1);
  }
  return false;
}
