import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/index.ts';
import { addOwn, ownCommit, prependOwn, recentAt, remember, type OwnEvents } from '../../src/worker/recent.ts';

// The in-memory tails behind undo() of recent commits (src/worker/recent.ts).
const commit = (name: string, first: number, n: number): StoredEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${name}-${i}`,
    type: 'added',
    payload: { i },
    stream: 's',
    clientId: 'c',
    commit: name,
    time: 0,
    position: first + i,
    pending: false,
  }));

describe('own events', () => {
  it('keeps whole commits when it drops old events, so a commit is found whole or not at all', () => {
    let own: OwnEvents = { from: 1, events: [] };
    let next = 1;
    for (let i = 0; i < 100; i++) {
      own = addOwn(own, commit(`c${i}`, next, 30));
      next += 30;
    }
    // 3000 events written, at most 2048 kept: the cut falls between commits.
    expect(own.events.length).toBeLessThanOrEqual(2048);
    expect(own.events.length).toBeGreaterThan(2000);
    expect(own.events[0]!.position).toBe(own.from);
    expect(own.from % 30).toBe(1); // a commit's first position
    expect(ownCommit(own, 'c0')).toBeUndefined();
    expect(ownCommit(own, 'c99')?.map((e) => e.position)).toEqual(Array.from({ length: 30 }, (_, i) => 2971 + i));
    for (const name of ['c30', 'c31', 'c32', 'c33']) {
      const found = ownCommit(own, name);
      expect(found === undefined || found.length === 30).toBe(true);
    }
  });

  it('keeps nothing of a commit larger than the tail and moves `from` past it', () => {
    const own = addOwn({ from: 1, events: [] }, commit('big', 1, 3000));
    expect(own).toEqual({ from: 3001, events: [] });
    expect(ownCommit(own, 'big')).toBeUndefined();
  });

  it('grows back over the events a history walk read, from where they start', () => {
    const own = addOwn({ from: 11, events: [] }, commit('new', 11, 2));
    const grown = prependOwn(own, 1, commit('old', 1, 10));
    expect(grown.from).toBe(1);
    expect(ownCommit(grown, 'old')?.length).toBe(10);
    expect(grown.events.map((e) => e.position)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Knowing less than it already does changes nothing.
    expect(prependOwn(grown, 5, commit('x', 5, 1))).toBe(grown);
  });
});

describe('recent states', () => {
  const at = (position: number) => ({ position, maxTime: 0, states: { n: position } });

  it('keeps the last 8 and answers the newest valid one at or before a position', () => {
    let recent = remember([], at(1));
    recent = remember(recent, at(1)); // the same head is not kept twice
    for (let p = 2; p <= 20; p++) recent = remember(recent, at(p));
    expect(recent.map((r) => r.position)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(recentAt(recent, 19, 0, () => true)?.position).toBe(19);
    expect(recentAt(recent, 25, 0, () => true)?.position).toBe(20);
    // invalid (a later marker undid a commit before it): no answer, the caller uses snapshots
    expect(recentAt(recent, 19, 0, (p) => p !== 19)).toBeUndefined();
    // a snapshot on the grid (every 10) between it and the position is at least as new
    expect(recentAt(recent, 21, 10, () => true)?.position).toBe(20);
    expect(recentAt(recent.slice(0, 2), 21, 10, () => true)).toBeUndefined();
    expect(recentAt(recent, 12, 0, () => true)).toBeUndefined();
  });
});
