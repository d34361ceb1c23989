/**
 * Structural diffs of projection states (src/core/diff.ts): a patch turns the page's copy of
 * the previous state into the next one, shares what did not change, and costs by the change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffState, FAST_KEYS } from '../../../src/core/diff.ts';
import { applyPatch, type Patch } from '../../../src/core/patch.ts';

/** What the page gets: the state and the patch after a trip through postMessage. */
const overTheWire = <T>(value: T): T => structuredClone(value);

type Tree = unknown;
const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }));
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', '__proto__', 'constructor'), tie('tree'), { maxKeys: 4 }),
    fc.array(fc.tuple(fc.constantFrom('k1', 'k2', 3, 4), tie('tree')), { maxLength: 3 }).map((entries) => new Map(entries)),
  ),
}));

/** The containers on the way to a random place in `value`, as keys. */
function paths(value: Tree, prefix: (string | number)[] = []): (string | number)[][] {
  const out = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push(...paths(v, [...prefix, i]));
    });
  } else if (value instanceof Map) for (const [k, v] of value) out.push(...paths(v, [...prefix, k as string | number]));
  else if (typeof value === 'object' && value !== null)
    for (const k of Object.keys(value)) out.push(...paths((value as Record<string, Tree>)[k], [...prefix, k]));
  return out;
}

const child = (value: Tree, key: string | number): Tree =>
  value instanceof Map ? value.get(key) : Object.hasOwn(value as object, key) ? (value as Record<string | number, Tree>)[key] : undefined;

/** An immutable update, as a reducer writes one: `value` at `path`, copies along the path only. */
function setIn(value: Tree, path: (string | number)[], to: Tree): Tree {
  if (path.length === 0) return to;
  const [key, ...rest] = path as [string | number, ...(string | number)[]];
  const updated = setIn(child(value, key), rest, to);
  if (value instanceof Map) return new Map(value).set(key, updated);
  if (Array.isArray(value)) return value.map((v, i) => (i === key ? updated : v));
  // A copy of the same prototype with every own key as data (a `__proto__` key included).
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string | number, Tree>;
  const own = (k: string | number, v: Tree) =>
    Object.defineProperty(copy, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const k of Object.keys(value as object)) own(k, (value as Record<string, Tree>)[k]);
  own(key, updated);
  return copy;
}

describe('diffState and applyPatch', () => {
  it('turn the page’s copy of any state into any other state', () => {
    fc.assert(
      fc.property(tree, tree, (prev, next) => {
        const page = applyPatch(overTheWire(prev), overTheWire(diffState(prev, next)));
        expect(page).toEqual(next);
      }),
      { numRuns: 500 },
    );
  });

  it('after an immutable update, share every subtree the update did not copy, and give the update', () => {
    fc.assert(
      fc.property(tree, fc.nat(), tree, (prev, pick, value) => {
        const all = paths(prev);
        const path = all[pick % all.length]!;
        const next = setIn(prev, path, value);
        const base = overTheWire(prev);
        const page = applyPatch(base, overTheWire(diffState(prev, next)));
        expect(page).toEqual(next);
        // Along the path the page has new containers; every sibling off the path is the base's own.
        let before: Tree = base;
        let after: Tree = page;
        for (const key of path) {
          for (const [k] of before instanceof Map ? before : Object.entries(typeof before === 'object' && before !== null ? before : {})) {
            const sibling = before instanceof Map ? k : Array.isArray(before) ? Number(k) : k;
            if (sibling !== key && typeof child(before, sibling) === 'object' && child(before, sibling) !== null) {
              expect(child(after, sibling)).toBe(child(before, sibling));
            }
          }
          if (typeof after !== 'object' || after === null || typeof before !== 'object' || before === null) break;
          before = child(before, key);
          after = child(after, key);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives no patch, and keeps the page’s state as it is, when nothing changed', () => {
    const state = { groups: { g1: { a: 1 } }, list: [1, 2], map: new Map([['k', { x: 1 }]]) };
    expect(diffState(state, state)).toBeUndefined();
    // A reducer that rebuilt equal objects changes nothing on the page either.
    expect(diffState(state, structuredClone(state))).toBeUndefined();
    const page = overTheWire(state);
    expect(applyPatch(page, undefined)).toBe(page);
  });

  it('never walks a subtree the update shared (cost follows the change, not the state)', () => {
    // A subtree that throws on any look inside it: the diff may compare its reference only.
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('walked a shared subtree');
        },
        ownKeys: () => {
          throw new Error('walked a shared subtree');
        },
        getPrototypeOf: () => {
          throw new Error('walked a shared subtree');
        },
      },
    );
    const groups: Record<string, unknown> = { g2: untouchable };
    for (let i = 3; i < 300; i++) groups[`g${i}`] = untouchable;
    const prev = { groups: { ...groups, g1: { a: 1, b: 2 } } };
    const next = { groups: { ...prev.groups, g1: { ...prev.groups.g1, b: 3 } } };
    const patch = diffState(prev, next);
    expect(patch).toStrictEqual<Patch>({
      kind: 'object',
      removed: [],
      set: [
        [
          'groups',
          { kind: 'object', removed: [], set: [['g1', { kind: 'object', removed: [], set: [['b', { kind: 'value', value: 3 }]] }]] },
        ],
      ],
    });
  });

  it('walks objects of more keys than V8 keeps fast by key, and gives the same patches', () => {
    const prev: Record<string, unknown> = {};
    for (let i = 0; i < FAST_KEYS + 80; i++) prev[`k${i}`] = { i };
    const { k7: _removed, ...rest } = prev;
    const next = { ...rest, k3: { i: -3 }, added: { i: 0 } };
    const patch = diffState(prev, next);
    expect(patch).toStrictEqual<Patch>({
      kind: 'object',
      set: [
        ['k3', { kind: 'object', removed: [], set: [['i', { kind: 'value', value: -3 }]] }],
        ['added', { kind: 'value', value: { i: 0 } }],
      ],
      removed: ['k7'],
    });
    const page = applyPatch(overTheWire(prev), overTheWire(patch)) as Record<string, unknown>;
    expect(page).toEqual(next);
    expect(Object.keys(page)).toEqual(Object.keys(next));
  });

  it('compares by key when the same keys come in another order', () => {
    const prev = { a: { n: 1 }, b: { n: 2 }, c: { n: 3 } };
    const next = { c: prev.c, a: { n: 10 }, b: prev.b };
    const patch = diffState(prev, next);
    expect(patch).toStrictEqual<Patch>({
      kind: 'object',
      removed: [],
      set: [['a', { kind: 'object', removed: [], set: [['n', { kind: 'value', value: 10 }]] }]],
    });
    const base = overTheWire(prev);
    const page = applyPatch(base, overTheWire(patch)) as typeof prev;
    expect(page).toEqual(next);
    expect(page.b).toBe(base.b);
  });

  it('sets a __proto__ key as the state’s own data, never as its prototype', () => {
    const prev = { a: 1 };
    const next = JSON.parse('{"a":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const page = applyPatch(overTheWire(prev), overTheWire(diffState(prev, next))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(page)).toBe(Object.prototype);
    expect(Object.hasOwn(page, '__proto__')).toBe(true);
    expect(page).toEqual(next);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('sends class instances, Sets and Maps with object keys whole', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const key = { id: 1 };
    for (const [prev, next] of [
      [new Point(1), new Point(2)],
      [new Set([1]), new Set([1, 2])],
      [new Map([[key, 1]]), new Map([[key, 2]])],
      [{ a: 1 }, [1]],
      [[1], { 0: 1 }],
    ] as const) {
      expect(diffState(prev, next)).toStrictEqual({ kind: 'value', value: next });
    }
  });
});
