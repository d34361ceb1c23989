/**
 * Conformance: subscribers (storage invariant 4), concurrent pushes and reads (invariants 1
 * and 2: unique gap-free positions, no read showing a hole), and size.
 */
import type { PositionedEvent } from '../../protocol/wire.ts';
import { check, describeError, same } from './assert.ts';
import { LOG, readAll, type Case } from './case.ts';
import { hear, landed, positioned, wireCommit, wireEvent } from './events.ts';

export const subscribe: Case[] = [
  {
    name: 'tells a subscriber the new head after each push and stops after unsubscribe',
    async run(storage) {
      const a = hear(storage, LOG);
      const elsewhere = hear(storage, 'other-log');

      await storage.push(LOG, wireCommit(2));
      await a.until(2);
      await storage.push(LOG, wireCommit(1));
      await a.until(3);
      check(a.heads.includes(2) && a.heads.includes(3), `a subscriber heard heads ${a.heads.join(', ')}, not 2 and 3`);
      for (const h of a.heads) check(h <= 3, `a subscriber heard head ${h} of a log at 3`);

      const witness = hear(storage, LOG);
      a.unsubscribe();
      const heardBefore = a.heads.length;
      await storage.push(LOG, wireCommit(1));
      await witness.until(4); // the same push has been announced: `a` would have heard it by now
      same(a.heads.length, heardBefore, 'the heads heard after unsubscribe() (their number)');
      check(witness.heads.includes(4), `a subscriber heard heads ${witness.heads.join(', ')}, not 4`);

      // a subscriber hears only its own log
      await storage.push('other-log', wireCommit(1));
      await elsewhere.until(1);
      same(elsewhere.heads, [1], 'the heads heard by a subscriber of another log');
      witness.unsubscribe();
      elsewhere.unsubscribe();
    },
  },
];

/** A turn of the event loop: after I/O where the runtime can say so (Node's setImmediate). */
const turn = (): Promise<void> =>
  new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));

export const concurrency: Case[] = [
  {
    name: 'keeps concurrent pushes apart: an invalid or conflicting one fails alone, the others land in full',
    async run(storage) {
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
      const reasons = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [`#${i}: ${describeError(o.reason)}`] : []));
      same(
        outcomes.map((o) => o.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
        `the outcomes of 3 good, 1 invalid, 1 conflicting and 3 good concurrent pushes (rejected: ${reasons.join('; ') || 'none'})`,
      );
      const { events, head } = await readAll(storage);
      same(head, 13, 'the head read back');
      same(
        events.map((e) => e.position),
        Array.from({ length: 13 }, (_, i) => i + 1),
        'the positions read back',
      );
      same(events.map((e) => e.id).sort(), [...known, ...good.flat()].map((e) => e.id).sort(), 'the ids read back');
      for (const commit of good) {
        const at = events.findIndex((e) => e.id === commit[0]!.id);
        same(events[at + 1]?.id, commit[1]!.id, `the event after ${commit[0]!.id} (the second of its commit)`);
      }
    },
  },
  {
    name: 'gives 30 concurrent pushes unique gap-free positions, and no read shows a hole while they run',
    async run(storage) {
      const commits = Array.from({ length: 30 }, (_, i) => wireCommit(1 + (i % 3), { clientId: `client-${i % 5}`, stream: `s${i % 4}` }));
      const total = commits.reduce((n, c) => n + c.length, 0);
      let done = false;
      const problems: string[] = [];

      const inspect = (after: number, page: { events: PositionedEvent[]; head: number }) => {
        page.events.forEach((e, k) => {
          if (e.position !== after + 1 + k) problems.push(`read after ${after}: #${k} has position ${e.position}`);
        });
        const last = page.events[page.events.length - 1];
        if (last && page.head < last.position) problems.push(`read after ${after}: head ${page.head} < ${last.position}`);
      };

      // Readers yield to the event loop between reads, as clients over a network do (a
      // storage may commit pushes in the loop's next turn: sqliteStorage's group commit).
      // A client pulling after its cursor: it must end up with every event, each once.
      const followed: PositionedEvent[] = [];
      const follower = async () => {
        let cursor = 0;
        for (let i = 0; i < 20_000 && !done; i++) {
          await turn();
          const page = await storage.read(LOG, cursor, 7);
          inspect(cursor, page);
          followed.push(...page.events);
          if (page.events.length > 0) cursor = page.events[page.events.length - 1]!.position;
        }
        for (let i = 0; i < 100; i++) {
          const page = await storage.read(LOG, cursor, 7);
          inspect(cursor, page);
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
          inspect(after, page);
          seenHead = Math.max(seenHead, page.head);
        }
      };

      const readers = Promise.all([follower(), scanner(false), scanner(true)]);
      const pushes = await Promise.all(commits.map((c) => storage.push(LOG, c))).finally(() => {
        done = true;
      });
      await readers;

      check(problems.length === 0, `reads while 30 pushes ran saw a hole or a head below their events: ${problems.slice(0, 5).join('; ')}`);
      const positions = pushes.flatMap((p) => p.results.map((r) => ('position' in r ? r.position : -1)));
      same(
        [...positions].sort((x, y) => x - y),
        Array.from({ length: total }, (_, i) => i + 1),
        'the positions the 30 pushes were given',
      );
      for (const [i, p] of pushes.entries()) {
        const first = (p.results[0] as { position: number }).position;
        same(p.results, landed(commits[i]!, first), `the results of push ${i}`);
        check(p.head >= first + commits[i]!.length - 1, `push ${i} answered head ${p.head}, below its own last position`);
      }

      const { events, head } = await readAll(storage);
      same(head, total, 'the head read back');
      const byId = new Map(commits.flat().map((e) => [e.id, e]));
      for (const e of events) check(byId.has(e.id), `the log holds event ${e.id}, which no push sent`);
      same(
        events,
        events.map((e, i) => positioned(byId.get(e.id)!, i + 1)),
        'the events read back',
      );
      same(followed, events, 'the events a client pulling after its cursor got, in order');
    },
  },
];

export const size: Case[] = [
  {
    name: 'stores a 1000-event push',
    async run(storage) {
      const big = wireCommit(500, { payload: { text: 'x'.repeat(200) } });
      const singles = Array.from({ length: 500 }, (_, i) => wireEvent({ stream: `s${i % 10}`, payload: { i } }));
      const events = [...big, ...singles];
      same(await storage.push(LOG, events), { results: landed(events, 1), head: 1000 }, 'a 1000-event push');
      const all = events.map((e, i) => positioned(e, i + 1));
      same(await storage.read(LOG, 0, 1000), { events: all, head: 1000 }, 'read(log, 0, 1000)');
      same(await storage.read(LOG, 500, 1000), { events: all.slice(500), head: 1000 }, 'read(log, 500, 1000)');
      same(await storage.head(LOG), 1000, 'head(log)');
    },
  },
];
