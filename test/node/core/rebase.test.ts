/**
 * The sync merge as a pure function (src/core/rebase.ts): what the log becomes after the
 * server's page and rejections, with no database. Unit cases for each rule, then a property
 * over random pending tails, server pages and rejections that checks the plan's invariants.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isProtocolError } from '../../../src/index.ts';
import { confirmsInOrder, pastConfirmed, rebase, type PendingGroup, type Rejection } from '../../../src/core/rebase.ts';

interface Ev {
  id: string;
  commit: string;
  stream: string;
  schemaVersion?: number;
}
type Remote = Ev & { position: number };

const ev = (id: string, commit = id, stream = 's'): Ev => ({ id, commit, stream });
const at = (e: Ev, position: number): Remote => ({ ...e, position });
const group = (events: Ev[], ev?: number | 'none'): PendingGroup<Ev> => (ev === undefined ? { events } : { events, ev });

describe('rebase(): the plan for a page of the server', () => {
  it('is a gap when the server’s events do not start right after the confirmed head', () => {
    expect(rebase({ confirmed: 3, remote: [at(ev('x'), 5)], pending: [group([ev('a')])], rejected: [] })).toEqual({
      kind: 'gap',
      confirmed: 3,
    });
  });

  it('ignores events at or below the confirmed head, and changes nothing when nothing else came', () => {
    const plan = rebase({ confirmed: 3, remote: [at(ev('x'), 2), at(ev('y'), 3)], pending: [group([ev('a')])], rejected: [] });
    expect(plan).toEqual({ kind: 'unchanged', confirmed: 3 });
  });

  it('confirms our own pending events: nothing stays pending', () => {
    const a = ev('a', 'A');
    const b = ev('b', 'A');
    const plan = rebase({ confirmed: 0, remote: [at(a, 1), at(b, 2)], pending: [group([a, b])], rejected: [] });
    expect(plan).toMatchObject({ kind: 'rebase', from: 1, confirmed: 2, pending: [], pendingCount: 0, rejected: [] });
  });

  it('rebases pending events after remote ones: their positions move, their ids and order do not', () => {
    const plan = rebase({
      confirmed: 1,
      remote: [at(ev('x'), 2), at(ev('y'), 3)],
      pending: [group([ev('a')]), group([ev('b')])],
      rejected: [],
    });
    expect(plan).toMatchObject({ kind: 'rebase', from: 2, confirmed: 3, pendingCount: 2 });
    if (plan.kind !== 'rebase') return;
    expect(plan.pending).toEqual([{ first: 4, events: [ev('a'), ev('b')] }]);
  });

  it('takes a commit the server rejected for its expectedVersion out of the log, whole, with the stream’s version', () => {
    const plan = rebase({
      confirmed: 0,
      remote: [],
      pending: [group([ev('a1', 'A'), ev('a2', 'A')], 'none'), group([ev('b', 'B')])],
      rejected: [{ commit: 'A', streamVersion: 4 }],
    });
    if (plan.kind !== 'rebase') throw new Error(plan.kind);
    expect(plan.rejected).toEqual([
      {
        commit: 'A',
        reason: { name: 'ConcurrencyError', message: 'The server rejected commit A: stream "s" is at version 4, not the expected none' },
        streamVersion: 4,
      },
    ]);
    expect(plan.pending).toEqual([{ first: 1, events: [ev('b', 'B')] }]);
    expect(plan.pendingCount).toBe(1);
  });

  it('keeps the server’s reason for a commit it can never accept', () => {
    const reason = { name: 'SyncError', message: 'too large' };
    const plan = rebase({ confirmed: 0, remote: [], pending: [group([ev('a', 'A')])], rejected: [{ commit: 'A', reason }] });
    expect(plan).toMatchObject({ kind: 'rebase', rejected: [{ commit: 'A', reason }], pending: [], pendingCount: 0 });
  });

  it('never rejects an event the server confirmed', () => {
    const a = ev('a', 'A');
    const plan = rebase({ confirmed: 0, remote: [at(a, 1)], pending: [group([a])], rejected: [{ commit: 'A', streamVersion: 0 }] });
    expect(plan).toMatchObject({ kind: 'rebase', confirmed: 1, rejected: [], pendingCount: 0 });
  });

  it('gives a commit with an expectedVersion a group of its own, and packs the others up to the group size', () => {
    const plain = Array.from({ length: 5 }, (_, i) => group([ev(`p${i}`)]));
    const plan = rebase(
      {
        confirmed: 0,
        remote: [],
        pending: [...plain.slice(0, 3), group([ev('e')], 2), ...plain.slice(3)],
        rejected: [{ commit: 'gone', streamVersion: 0 }],
      },
      2,
    );
    // Nothing was rejected or confirmed: unchanged.
    expect(plan.kind).toBe('unchanged');
    const moved = rebase(
      { confirmed: 0, remote: [at(ev('x'), 1)], pending: [...plain.slice(0, 3), group([ev('e')], 2), ...plain.slice(3)], rejected: [] },
      2,
    );
    if (moved.kind !== 'rebase') throw new Error(moved.kind);
    expect(moved.pending.map((g) => [g.first, g.events.map((e) => e.id), g.ev])).toEqual([
      [2, ['p0', 'p1'], undefined],
      [4, ['p2'], undefined],
      [5, ['e'], 2],
      [6, ['p3', 'p4'], undefined],
    ]);
  });

  it('refuses our own event back with another schemaVersion (a server that does not keep the field)', () => {
    const mine = { ...ev('a'), schemaVersion: 2 };
    let error: unknown;
    try {
      rebase({ confirmed: 0, remote: [at(ev('a'), 1)], pending: [group([mine])], rejected: [] });
    } catch (e) {
      error = e;
    }
    expect(isProtocolError(error)).toBe(true);
    expect((error as { details?: unknown }).details).toEqual({ eventId: 'a', pushed: 2, returned: 1 });
  });
});

describe('pastConfirmed() and confirmsInOrder()', () => {
  it('pastConfirmed() drops what is confirmed already and tells a gap', () => {
    expect(pastConfirmed([at(ev('x'), 1), at(ev('y'), 2)], 1)).toEqual([at(ev('y'), 2)]);
    expect(pastConfirmed([at(ev('y'), 3)], 1)).toBeUndefined();
    expect(pastConfirmed([], 1)).toEqual([]);
  });

  it('confirmsInOrder() holds only for our own events in the log’s order', () => {
    expect(confirmsInOrder([ev('a'), ev('b')], [ev('a'), ev('b'), ev('c')])).toBe(true);
    expect(confirmsInOrder([ev('b'), ev('a')], [ev('a'), ev('b')])).toBe(false);
    expect(confirmsInOrder([ev('a'), ev('b')], [ev('a')])).toBe(false);
  });
});

describe('rebase(): invariants over random pages', () => {
  // A pending tail of commits (some with an expectedVersion), a server page that confirms a
  // prefix of them (in order or not) mixed with other replicas' events, and rejections.
  const scenario = fc
    .record({
      confirmed: fc.nat(20),
      commits: fc.array(fc.record({ size: fc.integer({ min: 1, max: 3 }), ev: fc.option(fc.nat(5), { nil: undefined }) }), {
        maxLength: 12,
      }),
      foreign: fc.nat(6),
      confirmedCount: fc.nat(12),
      rejectedPick: fc.array(fc.nat(11), { maxLength: 4 }),
      shuffleSeed: fc.nat(),
      groupEvents: fc.integer({ min: 1, max: 5 }),
    })
    .map((s) => {
      let n = 0;
      const commits = s.commits.map((c, i) => ({
        commit: `C${i}`,
        ev: c.ev,
        events: Array.from({ length: c.size }, () => ev(`e${n++}`, `C${i}`)),
      }));
      const pending: PendingGroup<Ev>[] = [];
      let plain: Ev[] = [];
      for (const c of commits) {
        if (c.ev !== undefined) {
          if (plain.length > 0) pending.push(group(plain));
          plain = [];
          pending.push(group(c.events, c.ev));
        } else plain.push(...c.events);
      }
      if (plain.length > 0) pending.push(group(plain));
      const mine = commits.slice(0, Math.min(s.confirmedCount, commits.length)).flatMap((c) => c.events);
      const others = Array.from({ length: s.foreign }, (_, i) => ev(`x${i}`));
      const page = [...others.slice(0, s.shuffleSeed % (others.length + 1)), ...mine, ...others.slice(s.shuffleSeed % (others.length + 1))];
      const remote = page.map((e, i) => at(e, s.confirmed + 1 + i));
      const rejected: Rejection[] = s.rejectedPick.filter((i) => i < commits.length).map((i) => ({ commit: `C${i}`, streamVersion: i }));
      return { confirmed: s.confirmed, remote, pending, rejected, groupEvents: s.groupEvents };
    });

  it('tiles the positions, places every pending event exactly once, and keeps their order', () => {
    fc.assert(
      fc.property(scenario, ({ confirmed, remote, pending, rejected, groupEvents }) => {
        const plan = rebase({ confirmed, remote, pending, rejected }, groupEvents);
        if (plan.kind === 'gap') throw new Error('a page that starts after the confirmed head is no gap');
        if (plan.kind === 'unchanged') {
          expect(remote).toEqual([]);
          return;
        }
        expect(plan.from).toBe(confirmed + 1);
        expect(plan.confirmed).toBe(confirmed + remote.length);
        // Invariant 2: the groups tile the positions after the server's events.
        let next = plan.confirmed + 1;
        for (const g of plan.pending) {
          expect(g.first).toBe(next);
          expect(g.events.length).toBeGreaterThan(0);
          next += g.events.length;
        }
        expect(plan.pendingCount).toBe(next - plan.confirmed - 1);
        // Invariant 3: each pending event confirmed, kept or in a rejected commit, once.
        const confirmedIds = new Set(remote.map((e) => e.id));
        const kept = plan.pending.flatMap((g) => g.events.map((e) => e.id));
        const rejectedCommits = new Set(plan.rejected.map((r) => r.commit));
        const all = pending.flatMap((g) => g.events);
        for (const e of all) {
          const places = [confirmedIds.has(e.id), kept.includes(e.id), rejectedCommits.has(e.commit) && !confirmedIds.has(e.id)].filter(
            Boolean,
          );
          expect(places.length).toBe(1);
        }
        expect(new Set(kept).size).toBe(kept.length);
        // Order kept among the survivors.
        expect(kept).toEqual(all.map((e) => e.id).filter((id) => kept.includes(id)));
        // Invariant 4: an expectedVersion group is one commit alone; others within the size (or one record's survivors).
        for (const g of plan.pending) {
          if (g.ev !== undefined) expect(new Set(g.events.map((e) => e.commit)).size).toBe(1);
          else expect(g.events.length).toBeLessThanOrEqual(Math.max(groupEvents, ...pending.map((p) => p.events.length)));
        }
      }),
      { numRuns: 500 },
    );
  });
});
