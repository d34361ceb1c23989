/**
 * Conformance: pushing (storage invariants 1 and 3; plan.ts invariants 1 and 2). Positions
 * 1..n without gaps, every field handed back as pushed, and a re-push answered with the
 * original positions.
 */
import { check, same } from './assert.ts';
import { LOG, readAll, type Case } from './case.ts';
import { landed, positioned, wireCommit, wireEvent } from './events.ts';

export const pushing: Case[] = [
  {
    name: "keeps each event's schemaVersion, and leaves it absent where it was absent",
    async run(storage) {
      const events = [
        wireEvent({ schemaVersion: 3 }),
        wireEvent(),
        wireEvent({ schemaVersion: 1 }),
        wireEvent({ schemaVersion: 2 ** 31 - 1 }),
      ];
      await storage.push(LOG, events);
      const { events: read } = await storage.read(LOG, 0, 10);
      same(
        read,
        events.map((e, i) => positioned(e, i + 1)),
        'events with and without schemaVersion, read back',
      );
      check(!('schemaVersion' in read[1]!), 'an event pushed without schemaVersion is read back with a schemaVersion property');
    },
  },
  {
    name: 'gives positions 1..n without gaps, continuing across pushes, and hands every field back as pushed',
    async run(storage) {
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

      same(await storage.push(LOG, first), { results: landed(first, 1), head: 6 }, 'the first push of 6 events');
      same(await storage.push(LOG, second), { results: landed(second, 7), head: 11 }, 'the second push of 5 events');

      const { events, head } = await readAll(storage);
      same(head, 11, 'the head read back');
      same(
        events.map((e) => e.position),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        'the positions read back',
      );
      // strictly: an absent payload stays absent, a null payload stays null
      same(
        events,
        [...first, ...second].map((e, i) => positioned(e, i + 1)),
        'the events read back',
      );
      check(!('payload' in events[6]!), 'an event pushed without payload is read back with a payload property');
      check(events[1]!.payload === null && 'payload' in events[1]!, 'a null payload is not read back as null');
      check(!('meta' in events[0]!), 'an event pushed without meta is read back with a meta property');
      same(await storage.head(LOG), 11, 'head(log)');
    },
  },
  {
    name: 'does not store expectedVersion with the event',
    async run(storage) {
      const commit = wireCommit(2, { stream: 'ev', expectedVersion: 'none' });
      const next = wireCommit(1, { stream: 'ev', expectedVersion: 2 });
      await storage.push(LOG, [...commit, ...next]);
      const { events } = await readAll(storage);
      same(
        events,
        [...commit, ...next].map((e, i) => positioned(e, i + 1)),
        'events pushed with expectedVersion, read back',
      );
      for (const e of events) check(!('expectedVersion' in e), `event ${e.id} is read back with expectedVersion: it is not stored`);
    },
  },
  {
    name: 'answers a re-push of known events with their original positions and stores nothing twice',
    async run(storage) {
      const a = wireCommit(2);
      const b = wireCommit(1);
      const first = await storage.push(LOG, [...a, ...b]);
      const c = wireCommit(2);
      await storage.push(LOG, c);

      // a retry after a lost response
      same(await storage.push(LOG, [...a, ...b]), { results: first.results, head: 5 }, 'a retried push');
      same(await storage.push(LOG, b), { results: landed(b, 3), head: 5 }, 'a known commit pushed again alone');

      // a known commit followed by a new one: the known keeps its positions, the new lands after head
      const d = wireCommit(1);
      same(
        await storage.push(LOG, [...c, ...d]),
        { results: [...landed(c, 4), ...landed(d, 6)], head: 6 },
        'a known commit followed by a new one',
      );

      const { events, head } = await readAll(storage);
      same(head, 6, 'the head read back');
      same(
        events,
        [...a, ...b, ...c, ...d].map((e, i) => positioned(e, i + 1)),
        'the events read back',
      );
      same(new Set(events.map((e) => e.id)).size, 6, 'the number of distinct ids read back');
    },
  },
  {
    name: 'answers a retried commit with its original positions even when its expectedVersion no longer holds',
    async run(storage) {
      const commit = wireCommit(2, { stream: 's', expectedVersion: 'none' });
      await storage.push(LOG, commit);
      await storage.push(LOG, wireCommit(1, { stream: 's' }));
      same(
        await storage.push(LOG, commit),
        { results: landed(commit, 1), head: 3 },
        'a retried commit whose expectedVersion no longer holds',
      );
      same((await readAll(storage)).events.length, 3, 'the number of events read back');
    },
  },
  {
    name: 'keeps each commit at consecutive positions in push order',
    async run(storage) {
      const commits = [wireCommit(3), wireCommit(1), wireCommit(4)];
      const { results } = await storage.push(LOG, commits.flat());
      same(
        results,
        [...landed(commits[0]!, 1), ...landed(commits[1]!, 4), ...landed(commits[2]!, 5)],
        'the results of three commits in one push',
      );
    },
  },
];
