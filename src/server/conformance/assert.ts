/**
 * The conformance suite's assertions: small and framework-free, so the suite loads in any
 * runtime and under any test runner (the package does not depend on one). A failed check
 * throws a ConformanceError that says what was checked and, for data, where it differs.
 */

/** A storage broke the SyncStorage contract; the message says which rule and how. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/** `value` for a message: JSON where possible, cut short. */
function show(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === 'bigint'
        ? `${value}n`
        : (JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Where a difference is, for a message: nothing at the top, else `$.events[0].id: `. */
const at = (path: string): string => (path === '$' ? '' : `${path}: `);

const kind = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : typeof value;

/**
 * Where `actual` differs from `expected`, or undefined if they are equal as data, strictly:
 * a property set to undefined is not an absent one, an array hole is not undefined, and
 * objects must share their prototype (Vitest's toStrictEqual, for JSON-like data).
 */
function difference(actual: unknown, expected: unknown, path = '$'): string | undefined {
  if (Object.is(actual, expected)) return undefined;
  if (
    typeof actual !== 'object' ||
    typeof expected !== 'object' ||
    actual === null ||
    expected === null ||
    Array.isArray(actual) !== Array.isArray(expected)
  ) {
    return `${at(path)}got ${show(actual)}, expected ${show(expected)}`;
  }
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected))
    return `${at(path)}got ${kind(actual)} of another class than expected`;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${at(path)}got ${actual.length} items, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      if (i in actual !== i in expected)
        return `${path}[${i}]: ${i in actual ? 'present' : 'a hole'}, expected ${i in expected ? 'an item' : 'a hole'}`;
      const found = difference(actual[i], expected[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const missing = Object.keys(e).filter((k) => !Object.hasOwn(a, k));
  if (missing.length > 0) return `${at(path)}lacks ${missing.map((k) => `"${k}"`).join(', ')} (expected ${show(e[missing[0]!])})`;
  const extra = Object.keys(a).filter((k) => !Object.hasOwn(e, k));
  if (extra.length > 0) return `${at(path)}has ${extra.map((k) => `"${k}"`).join(', ')} it should not have (${show(a[extra[0]!])})`;
  for (const k of Object.keys(e)) {
    const found = difference(a[k], e[k], `${path}.${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Throws a ConformanceError with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/** Throws unless `actual` equals `expected` as data (see difference()); `what` names the value. */
export function same(actual: unknown, expected: unknown, what: string): void {
  const found = difference(actual, expected);
  if (found !== undefined) throw new ConformanceError(`${what}: ${found}`);
}

/** What `promise` rejects with; throws if it fulfils instead. `what` names the call. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return error;
  }
  throw new ConformanceError(`${what}: expected it to reject, it answered ${show(value)}`);
}

/** `error` as text for a message: its name and message. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `a non-Error ${show(error)}`;
}
