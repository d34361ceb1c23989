import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../../src/core/event.ts';
import { defineProjection } from '../../../src/core/projection.ts';

const initial = (): number => 0;
const reduce = (n: number): number => n + 1;

/** defineProjection's argument as an untyped caller (plain JavaScript) could pass it. */
type Loose = Parameters<typeof defineProjection<number>>[0];
const loose = (definition: Record<string, unknown>): Loose => definition as unknown as Loose;

describe('defineProjection', () => {
  it('returns a frozen projection with the given name, functions and version', () => {
    const p = defineProjection({ name: 'count', version: 3, initial, reduce });
    expect(p.name).toBe('count');
    expect(p.version).toBe(3);
    expect(p.initial).toBe(initial);
    expect(p.reduce).toBe(reduce);
    expect(p.reduce(p.initial(), {} as StoredEvent)).toBe(1);
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('is at version 1 when no version is given, and takes version 1 explicitly', () => {
    expect(defineProjection({ name: 'count', initial, reduce }).version).toBe(1);
    expect(defineProjection({ name: 'count', version: 1, initial, reduce }).version).toBe(1);
  });

  it.each([
    ['an empty name', ''],
    ['a number as name', 42],
    ['no name', undefined],
  ])('refuses %s with a TypeError', (_, name) => {
    expect(() => defineProjection(loose({ name, initial, reduce }))).toThrow(TypeError);
    expect(() => defineProjection(loose({ name, initial, reduce }))).toThrow(/name must be a non-empty string/);
  });

  it.each([
    ['0', 0],
    ['a negative version', -2],
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['a string', '2'],
  ])('refuses version %s with a TypeError naming the projection', (_, version) => {
    expect(() => defineProjection(loose({ name: 'count', version, initial, reduce }))).toThrow(TypeError);
    expect(() => defineProjection(loose({ name: 'count', version, initial, reduce }))).toThrow(
      /defineProjection\(count\): version must be a positive integer/,
    );
  });

  it.each([
    ['initial is missing', { reduce }],
    ['initial is a value', { initial: 0, reduce }],
    ['reduce is missing', { initial }],
    ['reduce is an object', { initial, reduce: {} }],
    ['both are missing', {}],
  ])('refuses a definition where %s with a TypeError naming the projection', (_, functions) => {
    expect(() => defineProjection(loose({ name: 'count', ...functions }))).toThrow(TypeError);
    expect(() => defineProjection(loose({ name: 'count', ...functions }))).toThrow(
      /defineProjection\(count\): initial and reduce must be functions/,
    );
  });
});
