/**
 * The SyncStorage conformance suite (src/server/storage.ts, src/server/plan.ts): every
 * storage runs it (storage.test.ts). Each test gets a fresh storage from `make()`, closed and
 * cleaned up afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictingPushError, InvalidPushError } from '../../../src/server/plan.ts';
import type { SyncStorage } from '../../../src/server/storage.ts';
import type { PositionedEvent, PushResult, WireEvent } from '../../../src/protocol/wire.ts';

export interface MadeStorage {
  storage: SyncStorage;
  cleanup?: () => Promise<void>;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${(++counter).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** A wire event with sensible defaults; its own commit unless `commit` is given. */
export function wireEvent(over: Partial<WireEvent> = {}): WireEvent {
  const id = over.id ?? unique('ev');
  counter++;
  return {
    id,
    type: 'added',
    stream: 'todos',
    clientId: 'client-a',
    commit: id,
    time: 1_700_000_000_000 + counter,
    payload: { n: counter },
    ...over,
  };
}

/** `count` events sharing one commit. */
export function wireCommit(count: number, over: Partial<WireEvent> = {}): WireEvent[] {
  const commit = over.commit ?? unique('commit');
  return Array.from({ length: count }, () => wireEvent({ ...over, commit }));
}

/** What a read gives back for a pushed event: no expectedVersion, plus its position. */
export function positioned(event: WireEvent, position: number): PositionedEvent {
  const { expectedVersion: _, ...rest } = event;
  return { ...rest, position };
}

const landed = (events: readonly WireEvent[], first: number): PushResult[] =>
  events.map((e, i) => ({ id: e.id, position: first + i }));

const conflicts = (events: readonly WireEvent[], streamVersion: number): PushResult[] =>
  events.map((e) => ({ id: e.id, error: 'conflict' as const, streamVersion }));

/** Records the heads a subscriber hears; `until(h)` resolves once it has heard h or more. */
function hear(storage: SyncStorage, logId: string) {
  const heads: number[] = [];
  const waiting: { min: number; resolve: () => void }[] = [];
  const unsubscribe = storage.subscribe(logId, (head) => {
    heads.push(head);
    for (const w of waiting.splice(0)) {
      if (head >= w.min) w.resolve();
      else waiting.push(w);
    }
  });
  return {
    heads,
    unsubscribe,
    until: (min: number) =>
      heads.some((h) => h >= min) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ min, resolve })),
  };
}

export function storageConformance(name: string, make: () => Promise<MadeStorage>): void {
  describe(`SyncStorage conformance: ${name}`, () => {
    let storage: SyncStorage;
    let cleanup: (() => Promise<void>) | undefined;
    const LOG = 'conformance-log';

    beforeEach(async () => {
      ({ storage, cleanup } = await make());
    });

    afterEach(async () => {
      await storage.close();
      await cleanup?.();
    });

    const readAll = async (logId = LOG) => storage.read(logId, 0, 100_000);

    describe('reading', () => {
      it('reads a log that was never written as { events: [], head: 0 }', async () => {
        expect(await storage.read('never-written', 0, 100)).toStrictEqual({ events: [], head: 0 });
        expect(await storage.read('never-written', 5, 1)).toStrictEqual({ events: [], head: 0 });
        expect(await storage.head('never-written')).toBe(0);
      });

      it('pages with after/limit: each page starts right after `after` and holds at most `limit` events', async () => {
        const events = Array.from({ length: 5 }, () => wireCommit(2)).flat();
        await storage.push(LOG, events);
        const expected = events.map((e, i) => positioned(e, i + 1));

        expect(await storage.read(LOG, 0, 3)).toStrictEqual({ events: expected.slice(0, 3), head: 10 });
        expect(await storage.read(LOG, 3, 3)).toStrictEqual({ events: expected.slice(3, 6), head: 10 });
        expect(await storage.read(LOG, 9, 5)).toStrictEqual({ events: expected.slice(9), head: 10 });
        expect(await storage.read(LOG, 10, 5)).toStrictEqual({ events: [], head: 10 });
        expect(await storage.read(LOG, 1000, 5)).toStrictEqual({ events: [], head: 10 });
        expect(await storage.read(LOG, 4, 1)).toStrictEqual({ events: [expected[4]], head: 10 });

        // a client that pulls after its cursor sees every event exactly once
        const seen: PositionedEvent[] = [];
        let after = 0;
        for (let page = 0; page < 20; page++) {
          const { events: got } = await storage.read(LOG, after, 4);
          if (got.length === 0) break;
          expect(got[0]!.position).toBe(after + 1);
          seen.push(...got);
          after = got[got.length - 1]!.position;
        }
        expect(seen).toStrictEqual(expected);
        expect(await storage.head(LOG)).toBe(10);
      });
    });

    describe('pushing', () => {
      it("keeps each event's schemaVersion, and leaves it absent where it was absent", async () => {
        const events = [wireEvent({ schemaVersion: 3 }), wireEvent(), wireEvent({ schemaVersion: 1 }), wireEvent({ schemaVersion: 2 ** 31 - 1 })];
        await storage.push(LOG, events);
        const { events: read } = await storage.read(LOG, 0, 10);
        expect(read).toStrictEqual(events.map((e, i) => positioned(e, i + 1)));
        expect(read[1]).not.toHaveProperty('schemaVersion');
      });

      it('gives positions 1..n without gaps, continuing across pushes, and hands every field back as pushed', async () => {
        const first = [
          wireEvent({ payload: { title: 'Milk', nested: { deep: [null, true, 1.25, -7, 'ünïcødé ✓ 🎉'], empty: {}, none: [] } } }),
          wireEvent({ payload: null }),
          wireEvent({ payload: [1, 'two', { three: 3 }] }),
          wireEvent({ payload: 0 }),
          wireEvent({ payload: '' }),
          wireEvent({ payload: false }),
        ];
        const absent = wireEvent({ type: 'cleared' });
        delete absent.payload;
        const second = [
          absent,
          ...wireCommit(2, {
            type: 'renamed ✎ '.padEnd(256, 'x'),
            stream: 'list/42 with spaces ü',
            clientId: 'c'.repeat(128),
            time: 1_700_000_000_123.5,
            meta: { source: 'test', tags: ['a', 'b'], nested: { x: 1, y: null } },
          }),
          wireEvent({ meta: {}, time: 0, id: 'i'.repeat(128) }),
          wireEvent({ type: '$undo', payload: { commit: first[0]!.commit } }),
        ];

        const pushed1 = await storage.push(LOG, first);
        expect(pushed1).toStrictEqual({ results: landed(first, 1), head: 6 });
        const pushed2 = await storage.push(LOG, second);
        expect(pushed2).toStrictEqual({ results: landed(second, 7), head: 11 });

        const { events, head } = await readAll();
        expect(head).toBe(11);
        expect(events.map((e) => e.position)).toStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
        // toStrictEqual: an absent payload stays absent, a null payload stays null
        expect(events).toStrictEqual([...first, ...second].map((e, i) => positioned(e, i + 1)));
        expect('payload' in events[6]!).toBe(false);
        expect(events[1]!.payload).toBeNull();
        expect('payload' in events[1]!).toBe(true);
        expect('meta' in events[0]!).toBe(false);
        expect(await storage.head(LOG)).toBe(11);
      });

      it('does not store expectedVersion with the event', async () => {
        const commit = wireCommit(2, { stream: 'ev', expectedVersion: 'none' });
        const next = wireCommit(1, { stream: 'ev', expectedVersion: 2 });
        await storage.push(LOG, [...commit, ...next]);
        const { events } = await readAll();
        expect(events).toStrictEqual([...commit, ...next].map((e, i) => positioned(e, i + 1)));
        for (const e of events) expect('expectedVersion' in e).toBe(false);
      });

      it('answers a re-push of known events with their original positions and stores nothing twice', async () => {
        const a = wireCommit(2);
        const b = wireCommit(1);
        const first = await storage.push(LOG, [...a, ...b]);
        const c = wireCommit(2);
        await storage.push(LOG, c);

        // a retry after a lost response
        expect(await storage.push(LOG, [...a, ...b])).toStrictEqual({ results: first.results, head: 5 });
        expect(await storage.push(LOG, b)).toStrictEqual({ results: landed(b, 3), head: 5 });

        // a known commit followed by a new one: the known keeps its positions, the new lands after head
        const d = wireCommit(1);
        expect(await storage.push(LOG, [...c, ...d])).toStrictEqual({ results: [...landed(c, 4), ...landed(d, 6)], head: 6 });

        const { events, head } = await readAll();
        expect(head).toBe(6);
        expect(events).toStrictEqual([...a, ...b, ...c, ...d].map((e, i) => positioned(e, i + 1)));
        expect(new Set(events.map((e) => e.id)).size).toBe(6);
      });

      it('answers a retried commit with its original positions even when its expectedVersion no longer holds', async () => {
        const commit = wireCommit(2, { stream: 's', expectedVersion: 'none' });
        await storage.push(LOG, commit);
        await storage.push(LOG, wireCommit(1, { stream: 's' }));
        expect(await storage.push(LOG, commit)).toStrictEqual({ results: landed(commit, 1), head: 3 });
        expect((await readAll()).events).toHaveLength(3);
      });

      it('keeps each commit at consecutive positions in push order', async () => {
        const commits = [wireCommit(3), wireCommit(1), wireCommit(4)];
        const { results } = await storage.push(LOG, commits.flat());
        expect(results).toStrictEqual([...landed(commits[0]!, 1), ...landed(commits[1]!, 4), ...landed(commits[2]!, 5)]);
      });
    });

    describe('expectedVersion', () => {
      it("rejects a commit expecting 'none' on a non-empty stream, stores none of it, and still lands the next commit of the push", async () => {
        await storage.push(LOG, wireCommit(2, { stream: 's' }));
        const rejected = wireCommit(2, { stream: 's', expectedVersion: 'none' });
        const next = wireCommit(1, { stream: 's' });

        expect(await storage.push(LOG, [...rejected, ...next])).toStrictEqual({
          results: [...conflicts(rejected, 2), ...landed(next, 3)],
          head: 3,
        });
        const { events, head } = await readAll();
        expect(head).toBe(3);
        expect(events.map((e) => e.position)).toStrictEqual([1, 2, 3]);
        expect(events.map((e) => e.id)).not.toContain(rejected[0]!.id);
        expect(events.map((e) => e.id)).not.toContain(rejected[1]!.id);
        expect(events[2]).toStrictEqual(positioned(next[0]!, 3));
      });

      it('rejects a commit whose numeric expectedVersion is stale and lands one that matches', async () => {
        await storage.push(LOG, wireCommit(3, { stream: 's' }));
        const stale = wireCommit(2, { stream: 's', expectedVersion: 2 });
        const ahead = wireCommit(1, { stream: 's', expectedVersion: 4 });
        const right = wireCommit(2, { stream: 's', expectedVersion: 3 });

        expect(await storage.push(LOG, [...stale, ...ahead, ...right])).toStrictEqual({
          results: [...conflicts(stale, 3), ...conflicts(ahead, 3), ...landed(right, 4)],
          head: 5,
        });
        // the rejected ids were not remembered: sent again with the right version, they land
        const retried = stale.map((e) => ({ ...e, expectedVersion: 5 }));
        expect(await storage.push(LOG, retried)).toStrictEqual({ results: landed(retried, 6), head: 7 });
        const { events } = await readAll();
        expect(events.slice(3)).toStrictEqual([...right, ...retried].map((e, i) => positioned(e, i + 4)));
      });

      it('counts a stream version within one push: a second commit expecting the old version conflicts', async () => {
        const first = wireCommit(2, { stream: 's', expectedVersion: 'none' });
        const second = wireCommit(1, { stream: 's', expectedVersion: 'none' });
        const third = wireCommit(1, { stream: 's', expectedVersion: 2 });
        expect(await storage.push(LOG, [...first, ...second, ...third])).toStrictEqual({
          results: [...landed(first, 1), ...conflicts(second, 2), ...landed(third, 3)],
          head: 3,
        });
      });

      it('checks the version of the named stream only, not of the log or other streams', async () => {
        await storage.push(LOG, wireCommit(3, { stream: 'other' }));
        const commit = wireCommit(1, { stream: 's', expectedVersion: 'none' });
        expect(await storage.push(LOG, commit)).toStrictEqual({ results: landed(commit, 4), head: 4 });
        const conflict = wireCommit(1, { stream: 'other', expectedVersion: 4 });
        expect(await storage.push(LOG, conflict)).toStrictEqual({ results: conflicts(conflict, 3), head: 4 });
      });

      it('does not count $undo/$redo markers toward a stream version', async () => {
        const base = wireCommit(2, { stream: 's' });
        await storage.push(LOG, base);
        const markers = [
          wireEvent({ stream: 's', type: '$undo', payload: { commit: base[0]!.commit } }),
          wireEvent({ stream: 's', type: '$redo', payload: { commit: base[0]!.commit } }),
          wireEvent({ stream: 's', type: '$undo', payload: { commit: base[0]!.commit } }),
        ];
        expect(await storage.push(LOG, markers)).toStrictEqual({ results: landed(markers, 3), head: 5 });

        const countingMarkers = wireCommit(1, { stream: 's', expectedVersion: 5 });
        expect(await storage.push(LOG, countingMarkers)).toStrictEqual({ results: conflicts(countingMarkers, 2), head: 5 });
        const right = wireCommit(1, { stream: 's', expectedVersion: 2 });
        expect(await storage.push(LOG, right)).toStrictEqual({ results: landed(right, 6), head: 6 });
      });
    });

    describe('invalid pushes', () => {
      const expectUnchanged = async (events: readonly WireEvent[]) => {
        expect(await readAll()).toStrictEqual({ events: events.map((e, i) => positioned(e, i + 1)), head: events.length });
        expect(await storage.head(LOG)).toBe(events.length);
      };

      it('throws InvalidPushError for a commit that is partly in the log already, and stores nothing of the push', async () => {
        const known = wireCommit(2);
        await storage.push(LOG, known);
        const fresh = wireCommit(1);
        const partly = [known[0]!, wireEvent({ commit: known[0]!.commit })];
        const error = await storage.push(LOG, [...fresh, ...partly]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidPushError);
        expect((error as Error).name).toBe('InvalidPushError');
        await expectUnchanged(known);
        // nothing was half-written: the valid commit lands at the next position when pushed alone
        expect(await storage.push(LOG, fresh)).toStrictEqual({ results: landed(fresh, 3), head: 3 });
      });

      it('throws InvalidPushError for an event id that appears twice in one push, and stores nothing', async () => {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const twice = wireEvent();
        const push = [wireEvent(), twice, { ...twice, commit: 'another-commit', payload: { other: true } }];
        await expect(storage.push(LOG, push)).rejects.toThrow(InvalidPushError);
        await expectUnchanged(known);
      });

      it('throws InvalidPushError for a commit whose events are not consecutive in the push, and stores nothing', async () => {
        const split = wireCommit(2);
        await expect(storage.push(LOG, [split[0]!, wireEvent(), split[1]!])).rejects.toThrow(InvalidPushError);
        await expectUnchanged([]);
      });

      it('throws InvalidPushError for a commit with expectedVersion spanning two streams, and stores nothing', async () => {
        const commit = wireCommit(2, { expectedVersion: 'none' });
        commit[1] = { ...commit[1]!, stream: 'elsewhere' };
        await expect(storage.push(LOG, [...wireCommit(1), ...commit])).rejects.toThrow(InvalidPushError);
        await expectUnchanged([]);
      });
    });

    describe('logs', () => {
      it('keeps logs independent: positions, ids and stream versions are per log', async () => {
        const shared = wireCommit(2, { stream: 's' });
        expect(await storage.push('log-a', shared)).toStrictEqual({ results: landed(shared, 1), head: 2 });
        const ownB = wireCommit(1, { stream: 'b-only' });
        expect(await storage.push('log-b', ownB)).toStrictEqual({ results: landed(ownB, 1), head: 1 });
        // the same ids are new to another log
        expect(await storage.push('log-b', shared)).toStrictEqual({ results: landed(shared, 2), head: 3 });
        // stream 's' has version 2 in both; 'b-only' is empty in log-a
        const inA = wireCommit(1, { stream: 'b-only', expectedVersion: 'none' });
        expect(await storage.push('log-a', inA)).toStrictEqual({ results: landed(inA, 3), head: 3 });

        expect(await storage.read('log-a', 0, 100)).toStrictEqual({
          events: [...shared, ...inA].map((e, i) => positioned(e, i + 1)),
          head: 3,
        });
        expect(await storage.read('log-b', 0, 100)).toStrictEqual({
          events: [...ownB, ...shared].map((e, i) => positioned(e, i + 1)),
          head: 3,
        });
        expect(await storage.read('log-c', 0, 100)).toStrictEqual({ events: [], head: 0 });
      });
    });

    describe('subscribe', () => {
      it('tells a subscriber the new head after each push and stops after unsubscribe', async () => {
        const a = hear(storage, LOG);
        const elsewhere = hear(storage, 'other-log');

        await storage.push(LOG, wireCommit(2));
        await a.until(2);
        await storage.push(LOG, wireCommit(1));
        await a.until(3);
        expect(a.heads).toContain(2);
        expect(a.heads).toContain(3);
        for (const h of a.heads) expect(h).toBeLessThanOrEqual(3);

        const witness = hear(storage, LOG);
        a.unsubscribe();
        const heardBefore = a.heads.length;
        await storage.push(LOG, wireCommit(1));
        await witness.until(4); // the same push has been announced: `a` would have heard it by now
        expect(a.heads).toHaveLength(heardBefore);
        expect(witness.heads).toContain(4);

        // a subscriber hears only its own log
        await storage.push('other-log', wireCommit(1));
        await elsewhere.until(1);
        expect(elsewhere.heads).toStrictEqual([1]);
        witness.unsubscribe();
        elsewhere.unsubscribe();
      });
    });

    describe('concurrency', () => {
      it('keeps concurrent pushes apart: an invalid or conflicting one fails alone, the others land in full', async () => {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const good = Array.from({ length: 6 }, () => wireCommit(2));
        const invalid = [wireEvent({ type: '$undo', payload: { commit: 'nowhere' } })];
        const conflicting = [{ ...known[0]!, payload: { changed: true } }];
        const outcomes = await Promise.allSettled([
          ...good.slice(0, 3).map((c) => storage.push(LOG, c)),
          storage.push(LOG, invalid),
          storage.push(LOG, conflicting),
          ...good.slice(3).map((c) => storage.push(LOG, c)),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
        const { events, head } = await readAll();
        expect(head).toBe(13);
        expect(events.map((e) => e.position)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
        expect(new Set(events.map((e) => e.id))).toEqual(new Set([...known, ...good.flat()].map((e) => e.id)));
        for (const commit of good) {
          const at = events.findIndex((e) => e.id === commit[0]!.id);
          expect(events[at + 1]!.id).toBe(commit[1]!.id);
        }
      });

      it('gives 30 concurrent pushes unique gap-free positions, and no read shows a hole while they run', async () => {
        const commits = Array.from({ length: 30 }, (_, i) =>
          wireCommit(1 + (i % 3), { clientId: `client-${i % 5}`, stream: `s${i % 4}` }),
        );
        const total = commits.reduce((n, c) => n + c.length, 0);
        let done = false;
        const problems: string[] = [];

        const check = (after: number, page: { events: PositionedEvent[]; head: number }) => {
          page.events.forEach((e, k) => {
            if (e.position !== after + 1 + k) problems.push(`read after ${after}: #${k} has position ${e.position}`);
          });
          const last = page.events[page.events.length - 1];
          if (last && page.head < last.position) problems.push(`read after ${after}: head ${page.head} < ${last.position}`);
        };

        // Readers yield to the event loop between reads, as clients over a network do (a
        // storage may commit pushes in the loop's next turn: sqliteStorage's group commit).
        const turn = () => new Promise((resolve) => setImmediate(resolve));
        // a client pulling after its cursor: it must end up with every event, each once
        const followed: PositionedEvent[] = [];
        const follower = async () => {
          let cursor = 0;
          for (let i = 0; i < 20_000 && !done; i++) {
            await turn();
            const page = await storage.read(LOG, cursor, 7);
            check(cursor, page);
            followed.push(...page.events);
            if (page.events.length > 0) cursor = page.events[page.events.length - 1]!.position;
          }
          for (let i = 0; i < 100; i++) {
            const page = await storage.read(LOG, cursor, 7);
            check(cursor, page);
            if (page.events.length === 0) break;
            followed.push(...page.events);
            cursor = page.events[page.events.length - 1]!.position;
          }
        };
        // readers from 0 and from the middle of what they saw
        const scanner = async (fromMiddle: boolean) => {
          let seenHead = 0;
          for (let i = 0; i < 20_000 && !done; i++) {
            await turn();
            const after = fromMiddle ? Math.floor(seenHead / 2) : 0;
            const page = await storage.read(LOG, after, 1000);
            check(after, page);
            seenHead = Math.max(seenHead, page.head);
          }
        };

        const readers = Promise.all([follower(), scanner(false), scanner(true)]);
        const pushes = await Promise.all(commits.map((c) => storage.push(LOG, c))).finally(() => {
          done = true;
        });
        await readers;

        expect(problems).toStrictEqual([]);
        const positions = pushes.flatMap((p) => p.results.map((r) => ('position' in r ? r.position : -1)));
        expect([...positions].sort((x, y) => x - y)).toStrictEqual(Array.from({ length: total }, (_, i) => i + 1));
        for (const [i, p] of pushes.entries()) {
          const first = (p.results[0] as { position: number }).position;
          expect(p.results).toStrictEqual(landed(commits[i]!, first));
          expect(p.head).toBeGreaterThanOrEqual(first + commits[i]!.length - 1);
        }

        const { events, head } = await readAll();
        expect(head).toBe(total);
        const byId = new Map(commits.flat().map((e) => [e.id, e]));
        expect(events).toStrictEqual(events.map((e, i) => positioned(byId.get(e.id)!, i + 1)));
        expect(followed).toStrictEqual(events);
      });
    });

    describe('an id names one event for good', () => {
      it.each([
        ['payload', { payload: { n: -1 } }],
        ['type', { type: 'renamed' }],
        ['stream', { stream: 'elsewhere' }],
        ['meta', { meta: { by: 'someone else' } }],
      ])('throws ConflictingPushError for a known id pushed again with another %s; the stored event and the rest of the push stay out', async (_, change) => {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const fresh = wireCommit(1);
        const changed = { ...known[0]!, ...change };
        const error = await storage.push(LOG, [...fresh, changed]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConflictingPushError);
        expect((error as Error).message).toContain(known[0]!.id);
        expect(await readAll()).toStrictEqual({ events: [positioned(known[0]!, 1)], head: 1 });
      });

      it('answers the same content pushed again with its position, payload and meta compared as data', async () => {
        const known = wireCommit(2, { payload: { a: 1, nested: { b: [1, 2, { c: 'ü' }] } }, meta: { m: true } });
        await storage.push(LOG, known);
        const again = known.map((e) => JSON.parse(JSON.stringify(e)) as WireEvent);
        expect(await storage.push(LOG, again)).toStrictEqual({ results: landed(known, 1), head: 2 });
      });
    });

    describe('markers', () => {
      it('stores a marker whose target is in the log, or earlier in the same push', async () => {
        const target = wireCommit(2);
        await storage.push(LOG, target);
        const undo = wireEvent({ type: '$undo', payload: { commit: target[0]!.commit } });
        const fresh = wireCommit(1);
        const redo = wireEvent({ type: '$redo', payload: { commit: fresh[0]!.commit } });
        expect(await storage.push(LOG, [undo, ...fresh, redo])).toStrictEqual({ results: landed([undo, ...fresh, redo], 3), head: 5 });
      });

      it.each([
        ['a commit the log does not hold', () => 'no-such-commit'],
        ['a commit later in the same push', (later: WireEvent[]) => later[0]!.commit],
      ])('throws InvalidPushError for a marker naming %s, and stores nothing', async (_, target) => {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const later = wireCommit(1);
        const undo = wireEvent({ type: '$undo', payload: { commit: target(later) } });
        await expect(storage.push(LOG, [...wireCommit(1), undo, ...later])).rejects.toThrow(InvalidPushError);
        expect(await readAll()).toStrictEqual({ events: [positioned(known[0]!, 1)], head: 1 });
      });

      it('throws InvalidPushError for a marker naming a marker, in the log or in the same push', async () => {
        const app = wireCommit(1);
        const undo = wireEvent({ type: '$undo', payload: { commit: app[0]!.commit } });
        await storage.push(LOG, [...app, undo]);
        await expect(storage.push(LOG, [wireEvent({ type: '$undo', payload: { commit: undo.commit } })])).rejects.toThrow(/marker/);
        const redo = wireEvent({ type: '$redo', payload: { commit: app[0]!.commit } });
        await expect(storage.push(LOG, [redo, wireEvent({ type: '$undo', payload: { commit: redo.commit } })])).rejects.toThrow(InvalidPushError);
        expect((await readAll()).head).toBe(2);
      });
    });

    describe('a commit whole or not at all', () => {
      it('stores nothing of a push whose second event cannot be stored', async () => {
        const known = wireCommit(1);
        await storage.push(LOG, known);
        const commit = wireCommit(2);
        // Data no storage can keep (a function cannot be copied, a BigInt not serialised): the
        // push rule accepts it, then storing the second event fails.
        commit[1] = { ...commit[1]!, payload: { fn: () => 1, big: 1n } };
        await expect(storage.push(LOG, commit)).rejects.toThrow();
        expect(await readAll()).toStrictEqual({ events: [positioned(known[0]!, 1)], head: 1 });
        const retry = wireCommit(2);
        expect(await storage.push(LOG, retry)).toStrictEqual({ results: landed(retry, 2), head: 3 });
      });
    });

    describe('size', () => {
      it('stores a 1000-event push', async () => {
        const big = wireCommit(500, { payload: { text: 'x'.repeat(200) } });
        const singles = Array.from({ length: 500 }, (_, i) => wireEvent({ stream: `s${i % 10}`, payload: { i } }));
        const events = [...big, ...singles];
        expect(await storage.push(LOG, events)).toStrictEqual({ results: landed(events, 1), head: 1000 });
        const all = events.map((e, i) => positioned(e, i + 1));
        expect(await storage.read(LOG, 0, 1000)).toStrictEqual({ events: all, head: 1000 });
        expect(await storage.read(LOG, 500, 1000)).toStrictEqual({ events: all.slice(500), head: 1000 });
        expect(await storage.head(LOG)).toBe(1000);
      });
    });
  });
}
