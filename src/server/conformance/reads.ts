/** Conformance: reading a log in pages (storage invariant 2), and logs kept apart. */
import type { PositionedEvent } from '../../protocol/wire.ts';
import { same } from './assert.ts';
import { LOG, type Case } from './case.ts';
import { landed, positioned, wireCommit } from './events.ts';

export const reading: Case[] = [
  {
    name: 'reads a log that was never written as { events: [], head: 0 }',
    async run(storage) {
      same(await storage.read('never-written', 0, 100), { events: [], head: 0 }, "read('never-written', 0, 100)");
      same(await storage.read('never-written', 5, 1), { events: [], head: 0 }, "read('never-written', 5, 1)");
      same(await storage.head('never-written'), 0, "head('never-written')");
    },
  },
  {
    name: 'pages with after/limit: each page starts right after `after` and holds at most `limit` events',
    async run(storage) {
      const events = Array.from({ length: 5 }, () => wireCommit(2)).flat();
      await storage.push(LOG, events);
      const expected = events.map((e, i) => positioned(e, i + 1));

      same(await storage.read(LOG, 0, 3), { events: expected.slice(0, 3), head: 10 }, 'read(log, 0, 3) of 10 events');
      same(await storage.read(LOG, 3, 3), { events: expected.slice(3, 6), head: 10 }, 'read(log, 3, 3) of 10 events');
      same(await storage.read(LOG, 9, 5), { events: expected.slice(9), head: 10 }, 'read(log, 9, 5) of 10 events');
      same(await storage.read(LOG, 10, 5), { events: [], head: 10 }, 'read(log, 10, 5) of 10 events');
      same(await storage.read(LOG, 1000, 5), { events: [], head: 10 }, 'read(log, 1000, 5) of 10 events');
      same(await storage.read(LOG, 4, 1), { events: [expected[4]], head: 10 }, 'read(log, 4, 1) of 10 events');

      // a client that pulls after its cursor sees every event exactly once
      const seen: PositionedEvent[] = [];
      let after = 0;
      for (let page = 0; page < 20; page++) {
        const { events: got } = await storage.read(LOG, after, 4);
        if (got.length === 0) break;
        same(got[0]!.position, after + 1, `the first position read after ${after}`);
        seen.push(...got);
        after = got[got.length - 1]!.position;
      }
      same(seen, expected, 'the events read in pages of 4');
      same(await storage.head(LOG), 10, 'head(log) after 10 events');
    },
  },
];

export const logs: Case[] = [
  {
    name: 'keeps logs independent: positions, ids and stream versions are per log',
    async run(storage) {
      const shared = wireCommit(2, { stream: 's' });
      same(await storage.push('log-a', shared), { results: landed(shared, 1), head: 2 }, 'a first push to log-a');
      const ownB = wireCommit(1, { stream: 'b-only' });
      same(await storage.push('log-b', ownB), { results: landed(ownB, 1), head: 1 }, 'a first push to log-b');
      // the same ids are new to another log
      same(await storage.push('log-b', shared), { results: landed(shared, 2), head: 3 }, "log-a's events pushed to log-b");
      // stream 's' has version 2 in both; 'b-only' is empty in log-a
      const inA = wireCommit(1, { stream: 'b-only', expectedVersion: 'none' });
      same(
        await storage.push('log-a', inA),
        { results: landed(inA, 3), head: 3 },
        "expectedVersion 'none' in log-a on a stream only log-b has",
      );

      same(
        await storage.read('log-a', 0, 100),
        { events: [...shared, ...inA].map((e, i) => positioned(e, i + 1)), head: 3 },
        'log-a read back',
      );
      same(
        await storage.read('log-b', 0, 100),
        { events: [...ownB, ...shared].map((e, i) => positioned(e, i + 1)), head: 3 },
        'log-b read back',
      );
      same(await storage.read('log-c', 0, 100), { events: [], head: 0 }, 'log-c, never written, read back');
    },
  },
];
