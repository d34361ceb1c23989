/**
 * The upcasting rules (src/core/upcast.ts) on their own: which version an app writes, what an
 * upcast event looks like, how an event newer than the app is told apart and recorded, the
 * UpcastError an upcaster's failure gives, and the checks of the `upcasters` option.
 */
import { describe, expect, it } from 'vitest';
import { UpcastError } from '../../../src/core/errors/index.ts';
import type { StoredEvent } from '../../../src/core/event.ts';
import { EventSchema, eventSchema, type Upcaster } from '../../../src/core/upcast.ts';

function stored(position: number, fields: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: `e${position}`,
    type: 'item.added',
    payload: { name: `n${position}` },
    stream: 'default',
    position,
    pending: false,
    clientId: 'c',
    commit: `k${position}`,
    time: 1000 + position,
    ...fields,
  };
}

const v1ToV2: Upcaster = (p: { name: string }) => ({ title: p.name });
const v2ToV3: Upcaster = (p: { title: string }) => ({ ...p, qty: 1 });

/** The UpcastError that `run` throws. */
function upcastError(run: () => unknown): UpcastError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UpcastError);
    expect((error as Error).name).toBe('UpcastError');
    return error as UpcastError;
  }
  throw new Error('expected an UpcastError, nothing was thrown');
}

describe('EventSchema: versions', () => {
  it('a type is at version 1 + the number of its upcasters', () => {
    const schema = new EventSchema({ 'item.added': [v1ToV2, v2ToV3], 'item.renamed': [v1ToV2], 'item.removed': [] });
    expect(schema.current('item.added')).toBe(3);
    expect(schema.current('item.renamed')).toBe(2);
    expect(schema.current('item.removed')).toBe(1);
    expect(schema.current('other')).toBe(1);
    expect(new EventSchema({}).current('item.added')).toBe(1);
  });
});

describe('EventSchema.upcast()', () => {
  it('returns an event already in the current shape as it is', () => {
    const schema = new EventSchema({ 'item.added': [v1ToV2] });
    const other = stored(1, { type: 'note' });
    expect(schema.upcast(other)).toBe(other);
    expect(schema.upcast(other)).not.toHaveProperty('schemaVersion');
    const current = stored(2, { payload: { title: 't' }, schemaVersion: 2 });
    expect(schema.upcast(current)).toBe(current);
    const plain = stored(3);
    expect(new EventSchema({}).upcast(plain)).toBe(plain);
    expect(new EventSchema({ 'item.added': [] }).upcast(plain)).toBe(plain);
  });

  it('runs each upcaster from the stored version to the current one, in order, leaving the stored event unchanged', () => {
    const calls: [string, unknown, StoredEvent][] = [];
    const schema = new EventSchema({
      'item.added': [
        (p: { name: string }, e) => {
          calls.push(['1→2', p, e]);
          return { title: p.name };
        },
        (p: { title: string }, e) => {
          calls.push(['2→3', p, e]);
          return { ...p, qty: 1 };
        },
        (p: { title: string; qty: number }, e) => {
          calls.push(['3→4', p, e]);
          return { ...p, tags: [] };
        },
      ],
    });
    const v1 = stored(1);
    const snapshot = structuredClone(v1);
    expect(schema.upcast(v1)).toEqual({ ...snapshot, payload: { title: 'n1', qty: 1, tags: [] }, schemaVersion: 4 });
    expect(v1).toEqual(snapshot);
    expect(calls.map(([step]) => step)).toEqual(['1→2', '2→3', '3→4']);
    expect(calls.every(([, , e]) => e === v1)).toBe(true);
    expect(calls[0]![1]).toBe(v1.payload);

    calls.length = 0;
    const v3 = stored(2, { payload: { title: 't', qty: 2 }, schemaVersion: 3 });
    expect(schema.upcast(v3)).toMatchObject({ payload: { title: 't', qty: 2, tags: [] }, schemaVersion: 4 });
    expect(calls.map(([step]) => step)).toEqual(['3→4']);
  });

  it('leaves out the payload when an upcaster turns it into undefined', () => {
    const schema = new EventSchema({ ping: [() => undefined] });
    const upcast = schema.upcast(stored(1, { type: 'ping', payload: { old: true } }))!;
    expect(upcast).not.toHaveProperty('payload');
    expect(upcast.schemaVersion).toBe(2);
    const kept = new EventSchema({ ping: [() => null] }).upcast(stored(1, { type: 'ping' }))!;
    expect(kept).toHaveProperty('payload', null);
  });

  it('an upcaster that throws gives UpcastError naming the event and the versions, keeping the cause', () => {
    const cause = new Error('bad title');
    const schema = new EventSchema({
      'item.added': [
        v1ToV2,
        () => {
          throw cause;
        },
      ],
    });
    const error = upcastError(() => schema.upcast(stored(7)));
    expect(error.message).toBe('The upcaster of "item.added" from version 2 to 3 threw on event e7 (position 7): bad title');
    expect(error.details).toEqual({ eventId: 'e7', type: 'item.added', position: 7, fromVersion: 2 });
    expect(error.cause).toBe(cause);
  });

  it('an upcaster that throws something other than an Error still gives UpcastError', () => {
    const throwing = (thrown: unknown) =>
      new EventSchema({
        note: [
          () => {
            throw thrown;
          },
        ],
      });
    const text = upcastError(() => throwing('no way').upcast(stored(1, { type: 'note' })));
    expect(text.message).toBe('The upcaster of "note" from version 1 to 2 threw on event e1 (position 1): no way');
    expect(text.cause).toBe('no way');
    const nothing = upcastError(() => throwing(null).upcast(stored(2, { type: 'note' })));
    expect(nothing.message).toBe('The upcaster of "note" from version 1 to 2 threw on event e2 (position 2): null');
    expect(nothing.details).toMatchObject({ fromVersion: 1 });
  });

  it('gives undefined for an event newer than the app, and records the lowest position of one', () => {
    const schema = new EventSchema({ 'item.added': [v1ToV2] });
    expect(schema.newerFrom).toBe(Infinity);
    expect(schema.upcast(stored(5, { schemaVersion: 3 }))).toBeUndefined();
    expect(schema.newerFrom).toBe(5);
    expect(schema.upcast(stored(9, { schemaVersion: 3 }))).toBeUndefined();
    expect(schema.newerFrom).toBe(5);
    expect(schema.upcast(stored(2, { type: 'note', schemaVersion: 2 }))).toBeUndefined();
    expect(schema.newerFrom).toBe(2);
    // Events the app knows leave it as it is.
    schema.upcast(stored(1));
    expect(schema.newerFrom).toBe(2);
  });

  it('a read (track = false, read(), reading) never records a newer event', () => {
    const schema = new EventSchema({ 'item.added': [v1ToV2] });
    const newer = stored(4, { schemaVersion: 5, payload: { future: true } });
    expect(schema.upcast(newer, false)).toBeUndefined();
    expect(schema.reading.upcast(newer)).toBeUndefined();
    const old = stored(3);
    expect(schema.read([old, newer])).toEqual([{ ...old, payload: { title: 'n3' }, schemaVersion: 2 }, newer]);
    expect(schema.read([newer])[0]).toBe(newer);
    expect(schema.reading.upcast(old)).toMatchObject({ payload: { title: 'n3' }, schemaVersion: 2 });
    expect(schema.newerFrom).toBe(Infinity);
  });
});

describe('eventSchema(): the upcasters option', () => {
  it('absent: no upcasters, every type at version 1', () => {
    const schema = eventSchema(undefined, 'createStore');
    expect(schema.current('anything')).toBe(1);
    const e = stored(1);
    expect(schema.upcast(e)).toBe(e);
  });

  it('takes a plain object, or one without a prototype, of arrays of functions', () => {
    expect(eventSchema({ 'item.added': [v1ToV2, v2ToV3], note: [] }, 'createStore').current('item.added')).toBe(3);
    const bare = Object.create(null) as Record<string, Upcaster[]>;
    bare['item.added'] = [v1ToV2];
    expect(eventSchema(bare, 'createStore').current('item.added')).toBe(2);
  });

  const notObject = (where: string) => `${where}: upcasters must be an object { [eventType]: [v1ToV2, v2ToV3, ...] }`;

  it.each([
    ['null', null],
    ['a number', 3],
    ['a string', 'item.added'],
    ['an array', [[v1ToV2]]],
    ['a Map', new Map([['item.added', [v1ToV2]]])],
    ['a function', () => ({})],
  ])('refuses %s with a TypeError naming where', (_, upcasters) => {
    expect(() => eventSchema(upcasters, 'serveStore')).toThrow(new TypeError(notObject('serveStore')));
  });

  it('refuses a function even without a prototype', () => {
    const bare = Object.setPrototypeOf(() => ({}), null) as unknown;
    expect(() => eventSchema(bare, 'createStore')).toThrow(new TypeError(notObject('createStore')));
  });

  it('refuses upcasters for marker types', () => {
    expect(() => eventSchema({ $undo: [v1ToV2] }, 'createStore')).toThrow(
      new TypeError('createStore: upcasters["$undo"]: types starting with "$" are reserved markers and have no upcasters'),
    );
  });

  it.each([
    ['a function', v1ToV2],
    ['an object', { 0: v1ToV2 }],
    ['an array with a string', ['v1ToV2']],
    ['an array with a function and a null', [v1ToV2, null]],
    ['an array with a null and a function', [null, v1ToV2]],
  ])('refuses a chain that is %s', (_, chain) => {
    expect(() => eventSchema({ ok: [v1ToV2], 'item.added': chain }, 'createStore')).toThrow(
      new TypeError('createStore: upcasters["item.added"] must be an array of functions (index i turns version i+1 into i+2)'),
    );
  });
});
