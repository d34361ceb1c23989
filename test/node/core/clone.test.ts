import { describe, expect, it } from 'vitest';
import { isCloneFaithful } from '../../../src/core/clone.ts';

// isCloneFaithful decides whether a projection state may be stored as a snapshot: only when a
// structured clone of it gives back an equal value. Each `true` case below is checked against
// structuredClone itself, so the tests hold the function to the behaviour it stands in for.
function roundTrips(value: unknown): boolean {
  const copy: unknown = structuredClone(value);
  return Object.getPrototypeOf(copy) === Object.getPrototypeOf(value);
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

class Bytes extends Uint8Array {}

describe('isCloneFaithful', () => {
  it.each([
    ['a number', 1],
    ['a string', 'text'],
    ['a boolean', false],
    ['a bigint', 10n],
    ['undefined', undefined],
    ['null', null],
  ])('accepts %s', (_, value) => {
    expect(isCloneFaithful(value)).toBe(true);
  });

  it('refuses functions and symbols, which do not clone at all', () => {
    expect(isCloneFaithful(() => 1)).toBe(false);
    expect(isCloneFaithful(Symbol('s'))).toBe(false);
    expect(() => structuredClone(Symbol('s'))).toThrow();
  });

  it('accepts plain objects, null-prototype objects and arrays of clonable data', () => {
    const values = [{ a: 1, b: { c: [1, 'x', null] } }, Object.assign(Object.create(null) as object, { a: { b: 2 } }), [1, [2, { c: 3 }]]];
    for (const value of values) {
      expect(isCloneFaithful(value)).toBe(true);
      expect(structuredClone(value)).toEqual(value);
    }
  });

  it('refuses a function or symbol anywhere inside a plain object', () => {
    expect(isCloneFaithful({ a: 1, f: () => 1 })).toBe(false);
    expect(isCloneFaithful({ a: { b: { c: Symbol('deep') } } })).toBe(false);
    // the first member is fine, a later one is not: every member is looked at
    expect(isCloneFaithful({ ok: 1, alsoOk: 'x', bad: () => 2 })).toBe(false);
  });

  it('refuses a function inside a null-prototype object', () => {
    const bag = Object.assign(Object.create(null) as object, { ok: 1, f: () => 1 });
    expect(isCloneFaithful(bag)).toBe(false);
  });

  it('refuses a function inside an array', () => {
    expect(isCloneFaithful([1, 2, () => 3])).toBe(false);
    expect(isCloneFaithful([[[Symbol('deep')]]])).toBe(false);
  });

  it('refuses class instances: a clone would come back as a plain object', () => {
    const point = new Point(1, 2);
    expect(isCloneFaithful(point)).toBe(false);
    expect(isCloneFaithful({ nested: [point] })).toBe(false);
    expect(roundTrips(point)).toBe(false);
  });

  it('refuses a subclass of a typed array: the clone is a plain Uint8Array', () => {
    const bytes = new Bytes([1, 2]);
    expect(isCloneFaithful(bytes)).toBe(false);
    expect(roundTrips(bytes)).toBe(false);
  });

  it.each([
    ['a Date', new Date(0)],
    ['a RegExp', /a+b/gi],
    ['a Uint8Array', new Uint8Array([1, 2, 3])],
    ['a Float64Array', new Float64Array([1.5, -2])],
    ['a BigInt64Array', new BigInt64Array([1n])],
    ['an ArrayBuffer', new ArrayBuffer(8)],
    ['a DataView', new DataView(new ArrayBuffer(4))],
    [
      'a Map of data',
      new Map<unknown, unknown>([
        ['a', { b: 1 }],
        [{ k: 1 }, [2]],
      ]),
    ],
    ['a Set of data', new Set<unknown>([1, 'x', { a: [1] }])],
  ])('accepts %s, which structured clone keeps as it is', (_, value) => {
    expect(isCloneFaithful(value)).toBe(true);
    expect(isCloneFaithful({ inside: [value] })).toBe(true);
    expect(roundTrips(value)).toBe(true);
  });

  it('refuses a Map with a function or class instance as a key or as a value', () => {
    expect(isCloneFaithful(new Map([['f', () => 1]]))).toBe(false);
    expect(isCloneFaithful(new Map([[() => 1, 'f']]))).toBe(false);
    expect(
      isCloneFaithful(
        new Map<unknown, unknown>([
          ['ok', 1],
          ['p', new Point(0, 0)],
        ]),
      ),
    ).toBe(false);
    expect(isCloneFaithful(new Map<unknown, unknown>([[new Point(0, 0), 1]]))).toBe(false);
  });

  it('refuses a Set holding a function or a class instance', () => {
    expect(isCloneFaithful(new Set<unknown>([1, () => 1]))).toBe(false);
    expect(isCloneFaithful(new Set<unknown>(['ok', new Point(0, 0)]))).toBe(false);
  });

  it('refuses a Date, Map, Set, RegExp or buffer carrying properties of its own, which a clone drops', () => {
    const carriers = [new Date(0), new Map([['k', 1]]), new Set([1]), /x/g, new ArrayBuffer(4), new DataView(new ArrayBuffer(4))];
    for (const plain of carriers) expect(isCloneFaithful(plain)).toBe(true);
    for (const value of carriers) {
      const carrying = Object.assign(value, { note: 'x' });
      expect(structuredClone(carrying)).not.toHaveProperty('note');
      expect(isCloneFaithful(carrying)).toBe(false);
    }
  });

  it('accepts cycles and shared references, which structured clone keeps', () => {
    const cycle: { self?: unknown; list: unknown[] } = { list: [] };
    cycle.self = cycle;
    cycle.list.push(cycle);
    const shared = { n: 1 };
    const map = new Map<string, unknown>();
    map.set('me', map);
    const set = new Set<unknown>();
    set.add(set);
    expect(isCloneFaithful(cycle)).toBe(true);
    expect(isCloneFaithful([shared, shared, { again: shared }])).toBe(true);
    expect(isCloneFaithful(map)).toBe(true);
    expect(isCloneFaithful(set)).toBe(true);
    const copy = structuredClone(cycle);
    expect(copy.self).toBe(copy);
  });

  it('still refuses a function reached through a cycle', () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    cycle.f = () => 1;
    expect(isCloneFaithful(cycle)).toBe(false);
  });
});
