/**
 * The validation of what an app appends (src/core/event.ts), on its own: what validateInputs()
 * normalises and what InvalidEventError tells the app when it refuses (its message names the
 * offending event and field; `details` carries them for code).
 */
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '../../../src/core/errors/index.ts';
import { assertJsonData, DEFAULT_STREAM, isMarkerType, REDO, UNDO, validateInputs } from '../../../src/core/event.ts';
import { MAX_DEPTH } from '../../../src/core/limits.ts';

/** The InvalidEventError that `run` throws (fails the test if it throws nothing or something else). */
function invalid(run: () => unknown): InvalidEventError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).name).toBe('InvalidEventError');
    return error as InvalidEventError;
  }
  throw new Error('expected an InvalidEventError, nothing was thrown');
}

/** `{ a: { a: … } }` with `depth` objects (depth 0: a number). */
function nestedObjects(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

const JSON_RULE = 'payload and meta must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null)';

describe('markers', () => {
  it('only $undo and $redo are marker types', () => {
    expect(isMarkerType(UNDO)).toBe(true);
    expect(isMarkerType(REDO)).toBe(true);
    expect(UNDO).toBe('$undo');
    expect(REDO).toBe('$redo');
    expect(isMarkerType('$other')).toBe(false);
    expect(isMarkerType('undo')).toBe(false);
  });
});

describe('validateInputs(): what it keeps', () => {
  it('fills in the default stream and leaves out an absent meta', () => {
    const { events, expectedVersion } = validateInputs({ type: 'added', payload: { id: 1 } }, undefined);
    expect(DEFAULT_STREAM).toBe('default');
    expect(events).toStrictEqual([{ type: 'added', payload: { id: 1 }, stream: 'default' }]);
    expect(expectedVersion).toBe('any');
  });

  it('keeps the stream, meta and payload given, event by event and in order', () => {
    const meta = { by: 'ann', when: [1, 2] };
    const { events } = validateInputs(
      [
        { type: 'a', stream: 's1', meta },
        { type: 'b', payload: [null, true, 'x', 1.5] },
      ],
      'any',
    );
    expect(events).toStrictEqual([
      { type: 'a', payload: undefined, stream: 's1', meta },
      { type: 'b', payload: [null, true, 'x', 1.5], stream: 'default' },
    ]);
    expect(events[0]!.meta).toBe(meta);
  });

  it('an explicit meta: undefined is the same as no meta', () => {
    const { events } = validateInputs({ type: 'a', meta: undefined } as never, undefined);
    expect(events[0]).not.toHaveProperty('meta');
  });

  it.each([['none'], ['any'], [0], [7]] as const)('takes expectedVersion %s', (expected) => {
    expect(validateInputs({ type: 'a' }, expected).expectedVersion).toBe(expected);
  });

  it('takes expectedVersion for several events of one stream', () => {
    const { events, expectedVersion } = validateInputs(
      [
        { type: 'a', stream: 's' },
        { type: 'b', stream: 's' },
      ],
      3,
    );
    expect(expectedVersion).toBe(3);
    expect(events.map((e) => e.stream)).toEqual(['s', 's']);
  });

  it('takes events of several streams when expectedVersion is "any" or absent', () => {
    const input = [{ type: 'a', stream: 's1' }, { type: 'b' }];
    expect(validateInputs(input, 'any').events.map((e) => e.stream)).toEqual(['s1', 'default']);
    expect(validateInputs(input, undefined).expectedVersion).toBe('any');
  });
});

describe('validateInputs(): what it refuses', () => {
  it('refuses an empty list', () => {
    expect(invalid(() => validateInputs([], undefined)).message).toBe('append() needs at least one event');
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['a string', 'added'],
  ])('refuses %s as an event, saying what an event is', (_, event) => {
    const error = invalid(() => validateInputs(event as never, undefined));
    expect(error.message).toBe('Invalid event: an event must be an object { type, payload?, stream?, meta? }');
    expect(error.details).toEqual({ index: 0, field: '' });
  });

  it('names the event by its index when several are appended, and not when one is', () => {
    const many = invalid(() => validateInputs([{ type: 'ok' }, 7 as never], undefined));
    expect(many.message).toBe('Invalid event (event 1): an event must be an object { type, payload?, stream?, meta? }');
    expect(many.details).toEqual({ index: 1, field: '' });
    const one = invalid(() => validateInputs([{ type: '' }], undefined));
    expect(one.message).toBe('Invalid event: type must not be empty');
    expect(one.details).toEqual({ index: 0, field: 'type' });
  });

  it.each([
    ['a missing type', {}, 'type'],
    ['a type that is not a string', { type: 5 }, 'type'],
    ['an empty type', { type: '' }, 'type'],
    ['a type of 257 characters', { type: 'x'.repeat(257) }, 'type'],
    ['an empty stream', { type: 'a', stream: '' }, 'stream'],
    ['a stream that is not a string', { type: 'a', stream: 3 }, 'stream'],
    ['meta that is null', { type: 'a', meta: null }, 'meta'],
    ['meta that is an array', { type: 'a', meta: [1] }, 'meta'],
    ['meta that is a string', { type: 'a', meta: 'm' }, 'meta'],
  ])('refuses %s, naming the field', (_, event, field) => {
    const error = invalid(() => validateInputs([{ type: 'first' }, event as never], undefined));
    expect(error.details).toEqual({ index: 1, field });
    expect(error.message).toMatch(new RegExp(`^Invalid event \\(event 1\\): ${field}`));
  });

  it('says what is wrong with the field, naming it once', () => {
    expect(invalid(() => validateInputs({ type: 'x'.repeat(257) }, undefined)).message).toBe(
      'Invalid event: type must be at most 256 characters',
    );
    expect(invalid(() => validateInputs({ type: 'a', stream: 3 } as never, undefined)).message).toBe(
      'Invalid event: stream must be a string',
    );
    expect(invalid(() => validateInputs({ type: 'a', meta: [] } as never, undefined)).message).toBe(
      'Invalid event: meta must be an object',
    );
  });

  it('names the field when the problem found does not', () => {
    const error = invalid(() => validateInputs({} as never, undefined));
    expect(error.details).toEqual({ index: 0, field: 'type' });
    expect(error.message).toMatch(/^Invalid event: type: \S/);
  });

  it('refuses types starting with "$", which are reserved for markers', () => {
    for (const type of ['$undo', '$redo', '$mine']) {
      const error = invalid(() => validateInputs({ type }, undefined));
      expect(error.message).toBe('Invalid event: types starting with "$" are reserved for markers ($undo, $redo)');
      expect(error.details).toEqual({ index: 0, field: 'type' });
    }
    expect(validateInputs({ type: 'a$' }, undefined).events[0]!.type).toBe('a$');
  });

  it('refuses a payload that is not JSON data, naming the event', () => {
    const error = invalid(() => validateInputs([{ type: 'a' }, { type: 'b', payload: { when: new Date(0) } }], undefined));
    expect(error.message).toBe(`payload (event 1).when is a Date, not a plain object: ${JSON_RULE}`);
    expect(invalid(() => validateInputs({ type: 'b', payload: Number.NaN }, undefined)).message).toBe(
      `payload is NaN, which JSON cannot carry: ${JSON_RULE}`,
    );
  });

  it('refuses meta that is not JSON data, naming meta', () => {
    expect(invalid(() => validateInputs({ type: 'a', meta: { at: new Map() } }, undefined)).message).toBe(
      `meta.at is a Map, not a plain object: ${JSON_RULE}`,
    );
    expect(invalid(() => validateInputs([{ type: 'a' }, { type: 'a', meta: { n: Infinity } }], undefined)).message).toBe(
      `meta (event 1).n is Infinity, which JSON cannot carry: ${JSON_RULE}`,
    );
  });

  it.each([['all'], [null], [true], [{}], [Number.NaN], [-1], [1.5], [Infinity]])(
    'refuses expectedVersion %s, saying what it may be',
    (expected) => {
      const error = invalid(() => validateInputs({ type: 'a' }, expected));
      expect(error.message).toBe('Invalid append options: expectedVersion must be "none", "any" or a non-negative integer');
    },
  );

  it.each([['none'], [0], [4]] as const)('refuses expectedVersion %s for events of several streams, naming them', (expected) => {
    const error = invalid(() =>
      validateInputs([{ type: 'a', stream: 'one' }, { type: 'b', stream: 'two' }, { type: 'c', stream: 'one' }, { type: 'd' }], expected),
    );
    expect(error.message).toBe('expectedVersion applies to one stream, but the events name 3: one, two, default');
    expect(error.details).toEqual({ streams: ['one', 'two', 'default'] });
  });
});

describe('assertJsonData()', () => {
  const ok = (value: unknown) => expect(() => assertJsonData(value, 'payload')).not.toThrow();
  const problem = (value: unknown, where = 'payload') => {
    const error = invalid(() => assertJsonData(value, where));
    const suffix = `: ${JSON_RULE}`;
    expect(error.message.endsWith(suffix)).toBe(true);
    return error.message.slice(0, -suffix.length);
  };

  it('takes plain JSON data, undefined object members and null-prototype objects', () => {
    ok(undefined);
    ok(null);
    ok('text');
    ok(true);
    ok(false);
    ok(0);
    ok(-1.25);
    ok([]);
    ok({});
    ok({ a: undefined, b: [1, 'two', null, { c: false }] });
    const bare = Object.create(null) as Record<string, unknown>;
    bare['x'] = { y: [true] };
    ok(bare);
  });

  it('takes the same object twice when it is not inside itself', () => {
    const shared = { n: 1 };
    ok({ a: shared, b: shared, c: [shared, shared] });
    ok([shared, { deeper: shared }]);
  });

  it.each([
    [Number.NaN, 'payload is NaN, which JSON cannot carry'],
    [Infinity, 'payload is Infinity, which JSON cannot carry'],
    [{ n: -Infinity }, 'payload.n is -Infinity, which JSON cannot carry'],
    [10n, 'payload is a bigint'],
    [Symbol('s'), 'payload is a symbol'],
    [{ f: () => 1 }, 'payload.f is a function'],
    [{ a: { b: [1, { c: Symbol.iterator }] } }, 'payload.a.b[1].c is a symbol'],
    [new Date(0), 'payload is a Date, not a plain object'],
    [{ m: new Map() }, 'payload.m is a Map, not a plain object'],
    [[1, new Set()], 'payload[1] is a Set, not a plain object'],
    [[1, undefined, 3], 'payload[1] is undefined'],
    [[[0, [1, 2, undefined]]], 'payload[0][1][2] is undefined'],
    [[1, 2, Number.NaN], 'payload[2] is NaN, which JSON cannot carry'],
  ])('refuses %s, naming where', (value, expected) => {
    expect(problem(value)).toBe(expected);
  });

  it('refuses holes in an array as undefined', () => {
    expect(problem([1, , 3])).toBe('payload[1] is undefined');
  });

  it('reports the first problem in order', () => {
    expect(problem({ a: 1, b: Number.NaN, c: new Date() })).toBe('payload.b is NaN, which JSON cannot carry');
    expect(problem([0, [1, () => 0], undefined])).toBe('payload[1][1] is a function');
  });

  it('names an object without a constructor name', () => {
    const orphan = Object.create(Object.create(null) as object) as object;
    expect(problem({ x: orphan })).toBe('payload.x is a object, not a plain object');
    class Thing {}
    expect(problem([new Thing()])).toBe('payload[0] is a Thing, not a plain object');
  });

  it('refuses circular references', () => {
    const loop: Record<string, unknown> = { a: 1 };
    loop['self'] = loop;
    expect(problem(loop, 'meta')).toBe('meta.self is a circular reference');
    const ring: unknown[] = [1];
    ring.push({ back: ring });
    expect(problem(ring)).toBe('payload[1].back is a circular reference');
  });

  it(`takes data ${MAX_DEPTH} levels deep and refuses ${MAX_DEPTH + 1}, naming the limit`, () => {
    ok(nestedObjects(MAX_DEPTH));
    let arrays: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH; i++) arrays = [arrays];
    ok(arrays);
    for (const deep of [nestedObjects(MAX_DEPTH + 1), [arrays], { a: nestedObjects(MAX_DEPTH + 5) }]) {
      const error = invalid(() => assertJsonData(deep, 'meta (event 2)'));
      expect(error.message).toBe(`meta (event 2) is nested deeper than ${MAX_DEPTH} levels, which the sync server refuses`);
      expect(error.details).toEqual({ maxDepth: MAX_DEPTH });
    }
  });

  it('reports a problem found before the depth limit is reached', () => {
    expect(problem({ bad: Number.NaN, deep: nestedObjects(MAX_DEPTH + 1) })).toBe('payload.bad is NaN, which JSON cannot carry');
  });
});
