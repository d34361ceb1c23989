import { describe, expect, it } from 'vitest';
import { isProjectionError } from '../../../src/core/errors/index.ts';
import type { StoredEvent } from '../../../src/core/event.ts';
import { defineProjection, type Projection } from '../../../src/core/projection.ts';
import { fold, initialState, reduceOne, type FoldOptions, type States } from '../../../src/core/replay.ts';
import { EventSchema } from '../../../src/core/upcast.ts';

/** A stored event at `position`, its own commit and time = position * 10 unless told. */
function ev(position: number, fields: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: `e${position}`,
    type: 'added',
    payload: { n: position },
    stream: 'default',
    position,
    pending: false,
    clientId: 'c',
    commit: `k${position}`,
    time: position * 10,
    ...fields,
  };
}

/** The ids of the events a projection was given, in order. */
const seen = defineProjection<string[]>({ name: 'seen', initial: () => [], reduce: (ids, e) => [...ids, e.id] });
/** Sums payload `n` (what the reducer sees after upcasting). */
const sum = defineProjection<number>({ name: 'sum', initial: () => 0, reduce: (s, e) => s + (e.payload as { n: number }).n });

const identity = new EventSchema({});

function run(events: StoredEvent[], options: Partial<FoldOptions> = {}): States {
  const projections = options.projections ?? [seen as Projection<unknown>];
  const states: States = options.states ?? Object.fromEntries(projections.map((p) => [p.name, p.initial()]));
  fold({ projections, states, startAt: {}, undone: new Set(), upcast: identity, ...options }, events);
  return states;
}

describe('fold', () => {
  it('folds every event into every projection, in order, updating the states in place', () => {
    const states: States = { seen: ['before'], sum: 100 };
    const returned = run([ev(1), ev(2), ev(3)], { projections: [seen, sum] as Projection<unknown>[], states });
    expect(returned).toBe(states);
    expect(states).toEqual({ seen: ['before', 'e1', 'e2', 'e3'], sum: 106 });
  });

  it('skips $undo and $redo markers', () => {
    const events = [ev(1), ev(2, { type: '$undo', payload: { commit: 'k1' } }), ev(3, { type: '$redo', payload: { commit: 'k1' } }), ev(4)];
    expect(run(events, { undone: new Set(['k9']) }).seen).toEqual(['e1', 'e4']);
  });

  it('skips every event of an undone commit', () => {
    const events = [ev(1, { commit: 'a' }), ev(2, { commit: 'b' }), ev(3, { commit: 'a' }), ev(4, { commit: 'c' })];
    expect(run(events, { undone: new Set(['a', 'c']) }).seen).toEqual(['e2']);
  });

  it('in a time view, applies the events at or before its time, not those after', () => {
    const events = [ev(1, { time: 100 }), ev(2, { time: 200 }), ev(3, { time: 300 })];
    expect(run(events, { maxTime: 200 }).seen).toEqual(['e1', 'e2']);
    expect(run(events, { maxTime: 250 }).seen).toEqual(['e1', 'e2']);
    expect(run(events, { maxTime: 99 }).seen).toEqual([]);
    // an event recorded with an earlier clock after a later one is still in the view
    expect(run([ev(1, { time: 300 }), ev(2, { time: 100 })], { maxTime: 200 }).seen).toEqual(['e2']);
    expect(run(events).seen).toEqual(['e1', 'e2', 'e3']);
  });

  it('applies to each projection only the events after its start position', () => {
    const states = run([ev(1), ev(2), ev(3), ev(4)], {
      projections: [seen, sum] as Projection<unknown>[],
      states: { seen: ['from a snapshot at 2'], sum: 0 },
      startAt: { seen: 2 },
    });
    expect(states).toEqual({ seen: ['from a snapshot at 2', 'e3', 'e4'], sum: 10 });
  });

  it('gives reducers the upcast event', () => {
    const schema = new EventSchema({ added: [(p: { n: number }) => ({ n: p.n * 100 })] });
    const states = run([ev(1), ev(2, { schemaVersion: 2 })], { projections: [sum] as Projection<unknown>[], upcast: schema });
    expect(states.sum).toBe(100 + 2);
  });

  it('skips an event newer than the app knows and notes its position', () => {
    const schema = new EventSchema({});
    const states = run([ev(1), ev(2, { schemaVersion: 5 }), ev(3), ev(4, { schemaVersion: 3 })], { upcast: schema });
    expect(states.seen).toEqual(['e1', 'e3']);
    expect(schema.newerFrom).toBe(2);
  });

  it('never upcasts a marker or an event it skips, so those do not count as met', () => {
    const schema = new EventSchema({ added: [(p: unknown) => p] });
    const upcast = (e: StoredEvent) => {
      given.push(e.id);
      return schema.upcast(e);
    };
    const given: string[] = [];
    const events = [
      ev(1),
      ev(2, { type: '$undo', payload: { commit: 'k3' }, schemaVersion: 9 }),
      ev(3, { schemaVersion: 9 }),
      ev(4, { time: 1000, schemaVersion: 9 }),
    ];
    const states = run(events, { undone: new Set(['k3']), maxTime: 500, upcast: { upcast } });
    expect(states.seen).toEqual(['e1']);
    expect(given).toEqual(['e1']);
    expect(schema.newerFrom).toBe(Infinity);
  });

  it('calls onBoundary after each position that is a multiple of `every`, markers and skipped events included', () => {
    const calls: [number, unknown][] = [];
    const events = [ev(1), ev(2, { type: '$undo', payload: { commit: 'k1' } }), ev(3), ev(4, { commit: 'x' }), ev(5), ev(6)];
    run(events, {
      undone: new Set(['k1', 'x']),
      every: 2,
      onBoundary: (position, states) => calls.push([position, structuredClone(states.seen)]),
    });
    expect(calls).toEqual([
      [2, []],
      [4, ['e3']],
      [6, ['e3', 'e5', 'e6']],
    ]);
  });

  it('calls no onBoundary without `every`, and needs no onBoundary with it', () => {
    const calls: number[] = [];
    run([ev(1), ev(2)], { onBoundary: (position) => calls.push(position) });
    expect(calls).toEqual([]);
    expect(run([ev(1), ev(2)], { every: 1 }).seen).toEqual(['e1', 'e2']);
  });
});

const fragile = defineProjection<number>({
  name: 'fragile',
  initial: () => 0,
  reduce: (n, e) => {
    if (e.type === 'boom') throw new Error('boom is not allowed');
    if (e.type === 'text') throw 'a thrown string';
    if (e.type === 'nothing') throw undefined;
    if (e.type === 'null') throw null;
    return n + 1;
  },
});

function thrown(f: () => unknown): Error & { details: Record<string, unknown> } {
  try {
    f();
  } catch (error) {
    return error as Error & { details: Record<string, unknown> };
  }
  throw new Error('expected a throw');
}

describe('reduceOne', () => {
  it('returns what the reducer returns', () => {
    expect(reduceOne(fragile as Projection<unknown>, 4, ev(1))).toBe(5);
  });

  it('wraps a reducer error in a ProjectionError that names the projection and the event', () => {
    const error = thrown(() => reduceOne(fragile as Projection<unknown>, 0, ev(7, { id: 'evt-7', type: 'boom' })));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details).toEqual({ projection: 'fragile', eventId: 'evt-7', position: 7 });
    expect((error.cause as Error).message).toBe('boom is not allowed');
    expect(error.message).toBe('Projection "fragile" threw on event evt-7 (boom at position 7): boom is not allowed');
  });

  it.each([
    ['text', 'a thrown string'],
    ['nothing', 'undefined'],
    ['null', 'null'],
  ])('reports a thrown non-Error (%s) as a ProjectionError with it in the message', (type, text) => {
    const error = thrown(() => reduceOne(fragile as Projection<unknown>, 0, ev(3, { type })));
    expect(isProjectionError(error)).toBe(true);
    expect(error.message).toMatch(new RegExp(`: ${text}$`));
    expect(error.details.projection).toBe('fragile');
  });

  it('fold stops at the event a reducer throws on, with a ProjectionError', () => {
    const states: States = { fragile: 0 };
    const error = thrown(() => run([ev(1), ev(2, { type: 'boom' }), ev(3)], { projections: [fragile] as Projection<unknown>[], states }));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details.position).toBe(2);
    expect(states.fragile).toBe(1);
  });
});

describe('initialState', () => {
  it('returns what initial() returns', () => {
    const p = defineProjection({ name: 'list', initial: () => ['start'], reduce: (s: string[]) => s });
    expect(initialState(p as Projection<unknown>)).toEqual(['start']);
  });

  it.each([
    ['an Error', new Error('no initial state'), 'no initial state'],
    ['a string', 'just text', 'just text'],
    ['null', null, 'null'],
  ])('wraps %s thrown by initial() in a ProjectionError naming the projection', (_, cause, text) => {
    const p = defineProjection<number>({
      name: 'broken',
      initial: () => {
        throw cause;
      },
      reduce: (n) => n,
    });
    const error = thrown(() => initialState(p as Projection<unknown>));
    expect(isProjectionError(error)).toBe(true);
    expect(error.details).toEqual({ projection: 'broken' });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(`Projection "broken": initial() threw: ${text}`);
  });
});

describe('frozen states (src/core/freeze.ts)', () => {
  const list = defineProjection<{ ids: string[] }>({
    name: 'list',
    initial: () => ({ ids: [] }),
    reduce: (s, e) => ({ ids: [...s.ids, e.id] }),
  });
  const loose = defineProjection<{ ids: string[] }>({ ...list, name: 'loose', freeze: false });

  it('freezes each state a fold ends with, unless its projection says freeze: false, and adds no state it was not given', () => {
    const states: States = { list: { ids: [] }, loose: { ids: [] } };
    fold({ projections: [list, loose] as Projection<unknown>[], states, startAt: {}, undone: new Set(), upcast: identity }, [ev(1), ev(2)]);
    expect(states['list']).toEqual({ ids: ['e1', 'e2'] });
    expect(Object.isFrozen(states['list'])).toBe(true);
    expect(Object.isFrozen((states['list'] as { ids: string[] }).ids)).toBe(true);
    expect(Object.isFrozen(states['loose'])).toBe(false);
    const only: States = { list: { ids: [] } };
    fold({ projections: [list, loose] as Projection<unknown>[], states: only, startAt: {}, undone: new Set(), upcast: identity }, []);
    expect(Object.keys(only)).toEqual(['list']);
  });

  it('hints at a changed input only when the reducer failed on a frozen state', () => {
    const pushing = defineProjection<{ ids: string[] }>({
      name: 'pushing',
      initial: () => ({ ids: [] }),
      reduce: (s, e) => {
        s.ids.push(e.id);
        return s;
      },
    }) as Projection<unknown>;
    const HINT = 'a reducer must return a new state, not change the one it is given';
    const onFrozen = reduceError(() => reduceOne(pushing, initialState(pushing), ev(1)));
    expect(onFrozen.message).toContain(HINT);
    // The same TypeError on a state that is not frozen, or another error on a frozen one: no hint.
    const typeErrorUnfrozen = defineProjection<unknown>({
      name: 't',
      initial: () => ({}),
      reduce: () => {
        throw new TypeError('x');
      },
      freeze: false,
    });
    expect(reduceError(() => reduceOne(typeErrorUnfrozen, initialState(typeErrorUnfrozen), ev(1))).message).not.toContain(HINT);
    const rangeErrorFrozen = defineProjection<unknown>({
      name: 'r',
      initial: () => ({}),
      reduce: () => {
        throw new RangeError('x');
      },
    });
    expect(reduceError(() => reduceOne(rangeErrorFrozen, initialState(rangeErrorFrozen), ev(1))).message).not.toContain(HINT);
    const typeErrorOnNumber = defineProjection<number>({
      name: 'n',
      initial: () => 0,
      reduce: () => {
        throw new TypeError('x');
      },
    }) as Projection<unknown>;
    expect(reduceError(() => reduceOne(typeErrorOnNumber, initialState(typeErrorOnNumber), ev(1))).message).not.toContain(HINT);
    const typeErrorOnNull = defineProjection<null>({
      name: 'z',
      initial: () => null,
      reduce: () => {
        throw new TypeError('x');
      },
    }) as Projection<unknown>;
    expect(reduceError(() => reduceOne(typeErrorOnNull, initialState(typeErrorOnNull), ev(1))).message).not.toContain(HINT);
  });
});

function reduceError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isProjectionError(error)).toBe(true);
    return error as Error;
  }
  throw new Error('expected a ProjectionError');
}
