import 'fake-indexeddb/auto';
import * as v from 'valibot';
import { describe, expect, it, vi } from 'vitest';
import { deeperThan, idSchema, MAX_DEPTH, MAX_ID, MAX_NAME, nameSchema, textSchema } from '../../src/core/limits.ts';
import { isInvalidEventError, type Store } from '../../src/index.ts';
import { createSyncApp, memoryStorage } from '../../src/server/index.ts';
import { dbName, projections } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

// append() applies the sync server's own rules (src/core/limits.ts): nothing it stores can
// be refused by the server for its names or its depth.
const stores = storesPerTest();

async function store(): Promise<Store> {
  return stores.open({ name: dbName('limits'), projections });
}

/** `[[[…]]]` nested `depth` levels deep (depth 0: a number). */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('append() applies the server’s limits', () => {
  it.each([
    ['a type with a NUL', { type: 'a\u0000b' }, 'type'],
    ['a type with a lone surrogate', { type: 'bad\uD800' }, 'type'],
    ['a stream with a NUL', { type: 'ok', stream: 's\u0000' }, 'stream'],
    ['a stream with a lone low surrogate', { type: 'ok', stream: '\uDC00s' }, 'stream'],
  ])('refuses %s with InvalidEventError and stores nothing', async (_, event, field) => {
    const s = await store();
    const error = await rejection(s.append(event));
    expect(isInvalidEventError(error)).toBe(true);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(/NUL|surrogate/);
    expect(s.status.head).toBe(0);
    expect(await s.events()).toEqual([]);
  });

  it('keeps names with surrogate pairs (emoji) and other Unicode', async () => {
    const s = await store();
    const [e] = await s.append({ type: 'added 📝', stream: 'straße/😀', payload: { id: 'x' } });
    expect(e).toMatchObject({ type: 'added 📝', stream: 'straße/😀' });
  });

  it('takes a payload 64 levels deep and refuses 65, in payload and in meta', async () => {
    const s = await store();
    await s.append({ type: 'deep', payload: nested(64), meta: { m: nested(63) } });
    const payload = await rejection(s.append({ type: 'deep', payload: nested(65) }));
    expect(isInvalidEventError(payload)).toBe(true);
    expect(payload.message).toMatch(/deeper than 64/);
    const meta = await rejection(s.append({ type: 'deep', meta: { m: nested(64) } }));
    expect(isInvalidEventError(meta)).toBe(true);
    expect(s.status.head).toBe(1);
  });

  it('refuses a payload nested a hundred thousand levels deep with InvalidEventError, not a RangeError', async () => {
    const s = await store();
    const error = await rejection(s.append({ type: 'deep', payload: nested(100_000) }));
    expect(error.name).toBe('InvalidEventError');
    expect(s.status.head).toBe(0);
  });

  it('the server refuses what append() refuses, with the same depth limit', async () => {
    const app = createSyncApp({ storage: memoryStorage() });
    const push = (payload: unknown, type = 't') =>
      app.fetch(
        new Request('http://127.0.0.1/v1/logs/l/events', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            events: [{ id: `id-${Math.random()}`, type, payload, stream: 'default', clientId: 'c', commit: `c-${Math.random()}`, time: 1 }],
          }),
        }),
      );
    expect((await push(nested(64))).status).toBe(200);
    expect((await push(nested(65))).status).toBe(400);
    expect((await push(1, 'x\u0000')).status).toBe(400);
  });
});

/**
 * limits.ts evaluated afresh inside the calling test. Its character rule (CLEAN) and metaSchema are
 * built when the module loads; loading it within the test lets Stryker's per-test coverage see
 * that this test runs them (a module loaded at import time counts as nobody's).
 */
async function freshLimits(): Promise<typeof import('../../src/core/limits.ts')> {
  vi.resetModules();
  return import('../../src/core/limits.ts');
}

/** The messages a value gets from a schema (none when it is accepted). */
function problems(schema: v.GenericSchema, value: unknown): string[] {
  return v.safeParse(schema, value).issues?.map((i) => i.message) ?? [];
}

describe('the name and id rules (core/limits.ts)', () => {
  it('takes names of 1 to 256 characters and ids of 1 to 128', () => {
    expect(problems(nameSchema('type'), 'a')).toEqual([]);
    expect(problems(nameSchema('type'), 'x'.repeat(MAX_NAME))).toEqual([]);
    expect(problems(idSchema('commit'), 'x'.repeat(MAX_ID))).toEqual([]);
    expect(MAX_NAME).toBe(256);
    expect(MAX_ID).toBe(128);
  });

  it('refuses a name that is not a string, empty or too long, naming the field and the limit', () => {
    expect(problems(nameSchema('stream'), 42)).toEqual(['stream must be a string']);
    expect(problems(nameSchema('stream'), '')).toEqual(['stream must not be empty']);
    expect(problems(nameSchema('stream'), 'x'.repeat(MAX_NAME + 1))).toEqual(['stream must be at most 256 characters']);
    expect(problems(idSchema('clientId'), 'x'.repeat(MAX_ID + 1))).toEqual(['clientId must be at most 128 characters']);
    expect(problems(textSchema('label', 3), 'abcd')).toEqual(['label must be at most 3 characters']);
    expect(problems(textSchema('label', 3), 'abc')).toEqual([]);
  });

  it.each([
    ['a NUL at the start', '\u0000abc'],
    ['a NUL in the middle', 'a\u0000b'],
    ['a NUL at the end', 'abc\u0000'],
    ['a lone high surrogate at the end', 'abc\uD800'],
    ['a lone high surrogate before a letter', '\uDBFFabc'],
    ['a lone low surrogate', 'a\uDC00b'],
    ['a lone low surrogate at the end', 'ab\uDFFF'],
    ['a pair in the wrong order', '\uDC00\uD800'],
    ['two high surrogates', '\uD800\uD800'],
  ])('refuses %s, naming the field', async (_, name) => {
    const { idSchema, nameSchema } = await freshLimits();
    expect(problems(nameSchema('type'), name)).toEqual(['type must not contain NUL characters or lone surrogates']);
    expect(problems(idSchema('id'), name)).toEqual(['id must not contain NUL characters or lone surrogates']);
  });

  it.each([
    ['letters and punctuation', 'todo.added/v2 (x)'],
    ['a surrogate pair (emoji)', '😀'],
    ['pairs at the edges of the surrogate ranges', '\uD800\uDC00\uDBFF\uDFFF'],
    ['text around a pair', 'a😀b'],
    ['characters next to the surrogate range', '\uD7FF\uE000\uFFFF'],
    ['a control character other than NUL', 'a\u0001\u001Fb'],
    ['accents and CJK', 'straße 東京'],
  ])('keeps %s', async (_, name) => {
    const { nameSchema } = await freshLimits();
    expect(problems(nameSchema('type'), name)).toEqual([]);
  });
});

describe('the meta rule', () => {
  it('takes an object, with or without a prototype', async () => {
    const { metaSchema } = await freshLimits();
    expect(problems(metaSchema, { a: 1 })).toEqual([]);
    expect(problems(metaSchema, Object.create(null))).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an array', [1]],
    ['a string', 'meta'],
    ['a number', 1],
  ])('refuses %s', async (_, meta) => {
    const { metaSchema } = await freshLimits();
    expect(problems(metaSchema, meta)).toEqual(['meta must be an object']);
  });

  it('keeps a __proto__ key as a key, not as a prototype', async () => {
    const { metaSchema } = await freshLimits();
    const meta = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const result = v.safeParse(metaSchema, meta);
    expect(result.success).toBe(true);
    expect(result.output).toBe(meta);
    expect(Object.keys(result.output as object)).toEqual(['__proto__', 'a']);
  });
});

describe('deeperThan', () => {
  it('counts a scalar (null included) as depth 0', () => {
    for (const value of [1, 'x', true, null, undefined]) expect(deeperThan(value, 0)).toBe(false);
  });

  it('counts an empty object or array as depth 1', () => {
    expect(deeperThan({}, 0)).toBe(true);
    expect(deeperThan([], 0)).toBe(true);
    expect(deeperThan({}, 1)).toBe(false);
    expect(deeperThan([], 1)).toBe(false);
  });

  it('counts the deepest member, in objects and arrays alike', () => {
    const value = { shallow: 1, list: [1, 2, { deep: [null, 'x'] }], other: { a: {} } };
    // value > list > { deep } > [null, 'x']: 4 levels
    expect(deeperThan(value, 3)).toBe(true);
    expect(deeperThan(value, 4)).toBe(false);
    expect(deeperThan({ a: null, b: [null] }, 2)).toBe(false);
    expect(deeperThan({ a: null, b: [null] }, 1)).toBe(true);
  });

  it('finds a deep member after shallow ones, wherever it is', () => {
    expect(deeperThan([1, 2, 3, [[[1]]]], 3)).toBe(true);
    expect(deeperThan([[[[1]]], 1, 2, 3], 3)).toBe(true);
    expect(deeperThan({ z: { y: { x: {} } }, a: 1 }, 3)).toBe(true);
    expect(deeperThan({ a: 1, z: { y: { x: {} } } }, 4)).toBe(false);
  });

  it('agrees with MAX_DEPTH at the limit', () => {
    expect(deeperThan(nested(MAX_DEPTH), MAX_DEPTH)).toBe(false);
    expect(deeperThan(nested(MAX_DEPTH + 1), MAX_DEPTH)).toBe(true);
    expect(deeperThan({ m: nested(MAX_DEPTH) }, MAX_DEPTH)).toBe(true);
  });

  it('walks a value nested a hundred thousand levels deep without exhausting the stack', () => {
    expect(deeperThan(nested(100_000), MAX_DEPTH)).toBe(true);
    expect(deeperThan(nested(100_000), 100_000)).toBe(false);
  });
});
