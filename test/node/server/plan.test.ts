/**
 * The server's push rule on its own (src/server/plan.ts): planPush() against lookups the test
 * states, so each invariant is checked without a storage around it. The storages' conformance
 * suite (conformance.ts) checks the same rule end to end on every storage.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictingPushError,
  groupCommits,
  InvalidPushError,
  markerTargets,
  planPush,
  type PushLookups,
} from '../../../src/server/plan.ts';
import type { PositionedEvent, WireEvent } from '../../../src/protocol/wire.ts';

const ev = (id: string, commit: string, over: Partial<WireEvent> = {}): WireEvent => ({
  id,
  type: 't',
  stream: 's',
  clientId: 'c',
  commit,
  time: 1,
  ...over,
});
const undo = (id: string, commit: string, target: string): WireEvent => ev(id, commit, { type: '$undo', payload: { commit: target } });
const redo = (id: string, commit: string, target: string): WireEvent => ev(id, commit, { type: '$redo', payload: { commit: target } });

function lookups(over: Partial<PushLookups> = {}): PushLookups {
  return { head: 0, existing: new Map(), versions: new Map(), targets: new Map(), ...over };
}

/** The message of the error `run` throws, checking its class. */
function thrown(run: () => unknown, type: new (message: string) => Error): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    expect((error as Error).name).toBe(type.name);
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('groupCommits and markerTargets', () => {
  it('groups consecutive events of one commit, and keeps a commit that comes back as a new group', () => {
    const [a1, a2, b1, a3] = [ev('1', 'a'), ev('2', 'a'), ev('3', 'b'), ev('4', 'a')];
    expect(groupCommits([a1, a2, b1, a3])).toEqual([[a1, a2], [b1], [a3]]);
    expect(groupCommits([])).toEqual([]);
  });

  it('lists each commit the markers name once, and nothing for other events', () => {
    expect(
      markerTargets([ev('1', 'a', { payload: { commit: 'z' } }), undo('2', 'm', 'a'), redo('3', 'n', 'a'), undo('4', 'o', 'b')]),
    ).toEqual(['a', 'b']);
    expect(markerTargets([ev('1', 'a')])).toEqual([]);
  });
});

describe('placing commits', () => {
  it('gives consecutive positions after the head, writes rows without expectedVersion, and counts stream versions', () => {
    const events = [ev('1', 'a', { expectedVersion: 2 }), ev('2', 'a'), ev('3', 'b', { stream: 'other' })];
    const plan = planPush(events, lookups({ head: 5, versions: new Map([['s', 2]]) }));
    expect(plan.results).toEqual([
      { id: '1', position: 6 },
      { id: '2', position: 7 },
      { id: '3', position: 8 },
    ]);
    expect(plan.rows).toEqual([
      { ...ev('1', 'a'), position: 6 },
      { ...ev('2', 'a'), position: 7 },
      { ...ev('3', 'b', { stream: 'other' }), position: 8 },
    ]);
    expect(plan.rows.some((r) => 'expectedVersion' in r)).toBe(false);
    expect(plan.head).toBe(8);
    expect(plan.versions).toEqual(
      new Map([
        ['s', 4],
        ['other', 1],
      ]),
    );
  });

  it('does not count markers toward a stream version', () => {
    const plan = planPush([ev('1', 'a'), undo('2', 'u', 'a'), redo('3', 'r', 'a')], lookups({ versions: new Map([['s', 1]]) }));
    expect(plan.head).toBe(3);
    expect(plan.versions).toEqual(new Map([['s', 2]]));
  });

  it('plans nothing for an empty push', () => {
    expect(planPush([], lookups({ head: 4 }))).toEqual({ results: [], rows: [], head: 4, versions: new Map() });
  });

  it('accepts a commit spanning two streams when it has no expectedVersion', () => {
    const plan = planPush([ev('1', 'a'), ev('2', 'a', { stream: 'other' })], lookups());
    expect(plan.rows.map((r) => [r.stream, r.position])).toEqual([
      ['s', 1],
      ['other', 2],
    ]);
  });
});

describe('idempotence by id', () => {
  const stored = (e: WireEvent, position: number): PositionedEvent => ({ ...e, position });

  it('answers a commit the log holds with its original positions and writes nothing', () => {
    const a = [ev('1', 'a', { payload: { x: [1, { y: 'ü' }] }, meta: { m: 1 } }), ev('2', 'a')];
    const existing = new Map([
      ['1', stored({ ...a[0]!, payload: { x: [1, { y: 'ü' }] }, meta: { m: 1 } }, 3)],
      ['2', stored(a[1]!, 4)],
    ]);
    const plan = planPush([...a, ev('3', 'b')], lookups({ head: 9, existing }));
    expect(plan.results).toEqual([
      { id: '1', position: 3 },
      { id: '2', position: 4 },
      { id: '3', position: 10 },
    ]);
    expect(plan.rows.map((r) => r.id)).toEqual(['3']);
    expect(plan.head).toBe(10);
  });

  it('answers a held commit with its positions even when its expectedVersion no longer holds', () => {
    const e = ev('1', 'a', { expectedVersion: 'none' });
    const plan = planPush([e], lookups({ head: 7, existing: new Map([['1', stored(ev('1', 'a'), 1)]]), versions: new Map([['s', 7]]) }));
    expect(plan.results).toEqual([{ id: '1', position: 1 }]);
    expect(plan.rows).toEqual([]);
  });

  it.each([
    ['type', { type: 'u' }],
    ['stream', { stream: 'z' }],
    ['commit', { commit: 'other' }],
    ['payload', { payload: { x: 2 } }],
    ['meta', { meta: { m: 2 } }],
  ] as const)('refuses an id the log holds with another %s, naming the field', (field, change) => {
    const original = ev('1', 'a', { payload: { x: 1 }, meta: { m: 1 } });
    const existing = new Map([['1', stored(original, 1)]]);
    const message = thrown(() => planPush([{ ...original, ...change }], lookups({ head: 1, existing })), ConflictingPushError);
    expect(message).toBe(`event 1 is already in the log with another ${field}: an id names one event for good`);
  });

  it('tells an absent payload or meta from a present one', () => {
    const existing = new Map([['1', stored(ev('1', 'a'), 1)]]);
    expect(thrown(() => planPush([ev('1', 'a', { payload: null })], lookups({ head: 1, existing })), ConflictingPushError)).toMatch(
      /another payload/,
    );
    expect(thrown(() => planPush([ev('1', 'a', { meta: {} })], lookups({ head: 1, existing })), ConflictingPushError)).toMatch(
      /another meta/,
    );
  });

  it('refuses a commit that is partly in the log already', () => {
    const existing = new Map([['1', stored(ev('1', 'a'), 1)]]);
    const message = thrown(() => planPush([ev('1', 'a'), ev('2', 'a')], lookups({ head: 1, existing })), InvalidPushError);
    expect(message).toBe('commit a is partly in the log already: a commit is pushed whole');
  });
});

describe('invalid pushes', () => {
  it('refuses an id twice in one push', () => {
    expect(thrown(() => planPush([ev('1', 'a'), ev('1', 'b')], lookups()), InvalidPushError)).toBe('event id 1 appears twice in one push');
  });

  it('refuses a commit whose events are not consecutive', () => {
    expect(thrown(() => planPush([ev('1', 'a'), ev('2', 'b'), ev('3', 'a')], lookups()), InvalidPushError)).toBe(
      'the events of commit a must be consecutive in a push',
    );
  });

  it('refuses a commit with expectedVersion that spans two streams, wherever the expectedVersion sits', () => {
    const message = thrown(
      () => planPush([ev('1', 'a'), ev('2', 'a', { stream: 'other', expectedVersion: 'none' })], lookups()),
      InvalidPushError,
    );
    expect(message).toBe('commit a has expectedVersion but spans 2 streams');
  });
});

describe('expectedVersion', () => {
  it("conflicts a commit expecting 'none' on a stream that has events, for each of its events, and places the next commit", () => {
    const plan = planPush(
      [ev('1', 'a', { expectedVersion: 'none' }), ev('2', 'a'), ev('3', 'b')],
      lookups({ head: 2, versions: new Map([['s', 2]]) }),
    );
    expect(plan.results).toEqual([
      { id: '1', error: 'conflict', streamVersion: 2 },
      { id: '2', error: 'conflict', streamVersion: 2 },
      { id: '3', position: 3 },
    ]);
    expect(plan.rows.map((r) => r.id)).toEqual(['3']);
    expect(plan.versions).toEqual(new Map([['s', 3]]));
  });

  it("takes 'none' on an empty stream and a number equal to the version, also when only a later event carries it", () => {
    const plan = planPush(
      [ev('1', 'a', { stream: 'new', expectedVersion: 'none' }), ev('2', 'b'), ev('3', 'b', { expectedVersion: 4 })],
      lookups({ versions: new Map([['s', 4]]) }),
    );
    expect(plan.results).toEqual([
      { id: '1', position: 1 },
      { id: '2', position: 2 },
      { id: '3', position: 3 },
    ]);
  });

  it('counts versions within the push: a later commit expecting the old version conflicts with the new one', () => {
    const plan = planPush(
      [ev('1', 'a', { expectedVersion: 0 }), ev('2', 'b', { expectedVersion: 0 }), ev('3', 'c', { expectedVersion: 1 })],
      lookups(),
    );
    expect(plan.results).toEqual([
      { id: '1', position: 1 },
      { id: '2', error: 'conflict', streamVersion: 1 },
      { id: '3', position: 2 },
    ]);
  });

  it('checks the version of the named stream only', () => {
    const plan = planPush([ev('1', 'a', { stream: 'x', expectedVersion: 3 })], lookups({ versions: new Map([['s', 3]]) }));
    expect(plan.results).toEqual([{ id: '1', error: 'conflict', streamVersion: 0 }]);
  });
});

describe('markers', () => {
  it('places a marker naming an app commit the log holds, or one placed earlier in the push', () => {
    const plan = planPush(
      [undo('1', 'u', 'old'), ev('2', 'a'), undo('3', 'v', 'a'), redo('4', 'w', 'a')],
      lookups({ head: 1, targets: new Map([['old', false]]) }),
    );
    expect(plan.results.map((r) => ('position' in r ? r.position : r))).toEqual([2, 3, 4, 5]);
  });

  it('refuses a marker naming a commit neither the log nor the push before it holds', () => {
    expect(thrown(() => planPush([undo('1', 'u', 'nowhere')], lookups()), InvalidPushError)).toBe(
      '$undo 1 names commit nowhere, which the log does not hold (nor this push before it)',
    );
    expect(thrown(() => planPush([undo('1', 'u', 'a'), ev('2', 'a')], lookups()), InvalidPushError)).toMatch(/which the log does not hold/);
  });

  it('refuses a marker naming a marker commit, in the log or placed earlier in the push', () => {
    expect(thrown(() => planPush([redo('1', 'r', 'm')], lookups({ targets: new Map([['m', true]]) })), InvalidPushError)).toBe(
      '$redo 1 names commit m, which is a marker: markers cannot be undone or redone',
    );
    const lookupsWithApp = lookups({ targets: new Map([['a', false]]) });
    expect(thrown(() => planPush([undo('1', 'u', 'a'), redo('2', 'r', 'u')], lookupsWithApp), InvalidPushError)).toMatch(
      /which is a marker/,
    );
  });

  it('lets a marker name an earlier commit of the push that mixes markers with app events: it is not a marker commit', () => {
    const plan = planPush([ev('1', 'a'), undo('2', 'mixed', 'a'), ev('3', 'mixed'), undo('4', 'u', 'mixed')], lookups());
    expect(plan.head).toBe(4);
  });
});
