import 'fake-indexeddb/auto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, isInvalidEventError, type EventInput, type EventQuery, type StoredEvent, type Store } from '../../src/index.ts';
import { dbName, projections } from '../support/fixtures.ts';

/**
 * events(query) against a reference filter of the whole log (DESIGN.md, Main-thread API):
 * stream, type (one or several), after (positions > after), before (positions < before), reverse (newest first) and
 * limit (the first `limit` of that order). Markers are ordinary events here.
 */
function reference(log: readonly StoredEvent[], query: EventQuery = {}): StoredEvent[] {
  const types = query.type === undefined ? undefined : new Set(Array.isArray(query.type) ? query.type : [query.type]);
  let out = log.filter(
    (e) =>
      e.position > (query.after ?? 0) &&
      e.position < (query.before ?? Infinity) &&
      (query.stream === undefined || e.stream === query.stream) &&
      (types === undefined || types.has(e.type)),
  );
  if (query.reverse) out = out.slice().reverse();
  if (query.limit !== undefined) out = out.slice(0, query.limit);
  return out;
}

const STREAMS = ['default', 's1', 's2'] as const;
const TYPES = ['a', 'b', 'c', 'd'] as const;

/** Records (one per append call) holding at least one event that matches. */
function recordsWith(log: readonly StoredEvent[], match: (e: StoredEvent) => boolean): number {
  return new Set(log.filter(match).map((e) => e.commit)).size;
}

describe('events(query) on a log of many records', () => {
  let store: Store;
  let log: StoredEvent[];
  /** What append() returned, in order: the non-marker events of the log. */
  const appended: StoredEvent[] = [];
  let multi: StoredEvent[]; // one multi-event commit, for `after` inside a record

  beforeAll(async () => {
    store = await createStore({ name: dbName('query'), projections, snapshotEvery: 16 });
    const commits: string[] = [];
    for (let i = 0; i < 170; i++) {
      if (i % 17 === 5 || i % 17 === 12) {
        expect(await store.undo()).toBe(true);
      } else if (i % 17 === 6) {
        expect(await store.redo()).toBe(true);
      } else if (i % 29 === 13) {
        await store.revert(commits[Math.floor(commits.length / 2)]!);
      } else {
        const size = 1 + (i % 5 === 0 ? 2 : 0) + (i % 7 === 0 ? 1 : 0);
        const events: EventInput[] = [];
        for (let j = 0; j < size; j++) {
          const type = j === 0 ? (i % 2 === 0 ? 'a' : TYPES[1 + (i % 3)]!) : TYPES[(i + j) % 4]!;
          const stream = STREAMS[j === 0 ? (i % 4 === 3 ? 2 : i % 4 === 1 ? 0 : 1) : (i + j) % 3]!;
          const event: EventInput = { type, payload: { i, j } };
          if (stream !== 'default') event.stream = stream;
          if (i % 11 === 0) event.meta = { tag: i };
          events.push(event);
        }
        const stored = await store.append(events);
        appended.push(...stored);
        commits.push(stored[0]!.commit);
      }
    }
    log = await store.events();
    multi = appended.filter((e) => e.commit === appended.find((x) => x.payload && (x.payload as { i: number }).i === 35)!.commit);
  });

  afterAll(async () => {
    await store.close();
  });

  it('the log spans several internal pages: more than 64 records overall, per stream and per type', () => {
    const records = new Set(log.map((e) => e.commit)).size;
    expect(records).toBeGreaterThan(2 * 64);
    expect(recordsWith(log, (e) => e.stream === 's1')).toBeGreaterThan(64);
    expect(recordsWith(log, (e) => e.type === 'a')).toBeGreaterThan(64);
    expect(multi.length).toBeGreaterThanOrEqual(3);
  });

  it('events() returns the whole log in position order: the appended events unchanged, markers in between', () => {
    expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
    expect(store.status.head).toBe(log.length);
    expect(log.filter((e) => !e.type.startsWith('$'))).toEqual(appended);
    const markers = log.filter((e) => e.type.startsWith('$'));
    expect(markers.length).toBeGreaterThan(10);
    expect(new Set(markers.map((e) => e.type))).toEqual(new Set(['$undo', '$redo']));
    for (const m of markers) {
      const target = (m.payload as { commit: string }).commit;
      const first = log.find((e) => e.commit === target);
      expect(first, 'a marker names an earlier commit').toBeDefined();
      expect(first!.position).toBeLessThan(m.position);
      expect(m.stream, 'a marker is in the stream of its target').toBe(first!.stream);
      expect(m.clientId).toBe(store.clientId);
    }
    // A multi-event commit is one commit with consecutive positions.
    expect(multi.map((e) => e.position)).toEqual(multi.map((_, i) => multi[0]!.position + i));
  });

  it('events({}) equals events()', async () => {
    expect(await store.events({})).toEqual(log);
  });

  it('filters by stream, across pages, for every stream (markers included) and an unknown one', async () => {
    for (const stream of [...STREAMS, 'nope']) {
      const got = await store.events({ stream });
      expect(got, stream).toEqual(reference(log, { stream }));
    }
    expect((await store.events({ stream: 's1' })).length).toBeGreaterThan(64);
  });

  it('filters by one type, including the markers $undo and $redo, across pages', async () => {
    for (const type of [...TYPES, '$undo', '$redo', 'nope']) {
      expect(await store.events({ type }), type).toEqual(reference(log, { type }));
    }
    expect((await store.events({ type: 'a' })).length).toBeGreaterThan(64);
    expect((await store.events({ type: '$undo' })).length).toBeGreaterThan(0);
  });

  it('filters by several types (an array), in position order, without duplicates', async () => {
    for (const type of [['a', 'b'], ['b', '$undo'], ['$undo', '$redo'], ['a', 'a'], ['d', 'nope'], ['c'], []]) {
      const got = await store.events({ type });
      expect(got, JSON.stringify(type)).toEqual(reference(log, { type }));
    }
  });

  it('after: only positions greater than after, also when after falls inside a multi-event commit or past the head', async () => {
    const head = log.length;
    const inside = multi[0]!.position; // the rest of this commit's record must still come back
    for (const after of [0, 1, 63, 64, 65, inside, inside + 1, head - 1, head, head + 10]) {
      expect(await store.events({ after }), `after ${after}`).toEqual(reference(log, { after }));
    }
    const rest = await store.events({ after: inside });
    expect(rest[0]).toEqual(multi[1]);
  });

  it('limit: at most limit events, the first ones in the order asked', async () => {
    for (const limit of [1, 2, 63, 64, 65, 129, log.length, log.length + 5]) {
      expect(await store.events({ limit }), `limit ${limit}`).toEqual(reference(log, { limit }));
      expect(await store.events({ limit, reverse: true }), `limit ${limit} reverse`).toEqual(reference(log, { limit, reverse: true }));
    }
  });

  it('reverse: newest first, alone and with after', async () => {
    expect(await store.events({ reverse: true })).toEqual(log.slice().reverse());
    expect(await store.events({ reverse: false })).toEqual(log);
    const inside = multi[1]!.position;
    for (const after of [0, inside, log.length - 1]) {
      expect(await store.events({ reverse: true, after }), `after ${after}`).toEqual(reference(log, { reverse: true, after }));
    }
  });

  it('before pages back: newest first, each page older than the last', async () => {
    const pages: StoredEvent[] = [];
    for (let before: number | undefined; ; ) {
      const page = await store.events(before === undefined ? { reverse: true, limit: 37 } : { reverse: true, limit: 37, before });
      if (page.length === 0) break;
      pages.push(...page);
      before = page[page.length - 1]!.position;
    }
    expect(pages).toEqual(log.slice().reverse());
  });

  it('combinations of stream, type, after, before, limit and reverse', async () => {
    const inside = multi[0]!.position;
    const queries: EventQuery[] = [
      { stream: 's1', type: 'a' },
      { stream: 's1', type: 'a', after: 40 },
      { stream: 's1', type: ['a', 'b'], limit: 10 },
      { stream: 's2', type: ['b', 'c', '$undo'], after: 20, limit: 15, reverse: true },
      { stream: 'default', after: inside, limit: 3 },
      { stream: 's1', reverse: true, limit: 70 },
      { stream: 's1', reverse: true, after: 100 },
      { type: 'a', after: inside, limit: 5 },
      { type: 'a', reverse: true, limit: 66 },
      { type: ['a', 'c'], reverse: true, limit: 70 },
      { type: ['a', 'c'], after: 50, limit: 70 },
      { type: ['$undo', '$redo'], reverse: true, limit: 4 },
      { type: ['$undo', 'a'], stream: 'default', after: 10 },
      { after: inside, limit: 2 },
      { after: 30, reverse: true, limit: 65 },
      { before: inside + 1, reverse: true, limit: 3 },
      { type: 'a', before: 80, reverse: true, limit: 10 },
      { stream: 's1', after: 20, before: 60 },
      { type: ['a', 'c'], before: 100, reverse: true },
    ];
    for (const query of queries) {
      expect(await store.events(query), JSON.stringify(query)).toEqual(reference(log, query));
    }
  });

  const queryArb = (head: number) =>
    fc.record(
      {
        stream: fc.constantFrom(...STREAMS, 'nope'),
        type: fc.oneof(
          fc.constantFrom<string>(...TYPES, '$undo', '$redo', 'nope'),
          fc.array(fc.constantFrom<string>(...TYPES, '$undo', '$redo', 'nope'), { maxLength: 4 }),
        ),
        after: fc.integer({ min: 0, max: head + 3 }),
        before: fc.integer({ min: 1, max: head + 3 }),
        limit: fc.integer({ min: 1, max: head + 3 }),
        reverse: fc.boolean(),
      },
      { requiredKeys: [] },
    );

  it('any random query equals the reference filter of the whole log', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb(log.length), async (query) => {
        expect(await store.events(query)).toEqual(reference(log, query));
      }),
      { numRuns: 150, interruptAfterTimeLimit: 80_000 },
    );
  }, 120_000);

  it('bad queries reject with InvalidEventError and change nothing', async () => {
    const bad: unknown[] = [
      { limit: -1 },
      { limit: -10, reverse: true },
      { limit: 2.5 },
      { after: 1.5 },
      { after: '3' },
      { type: '' },
      { type: ['a', ''] },
      { stream: 'default', type: '', limit: 3 },
    ];
    const head = store.status.head;
    for (const query of bad) {
      const error = await store.events(query as EventQuery).then(
        (result) => expect.fail(`events(${JSON.stringify(query)}) resolved with ${result.length} events`),
        (e: unknown) => e,
      );
      expect((error as Error).name, JSON.stringify(query)).toBe('InvalidEventError');
      expect(isInvalidEventError(error), JSON.stringify(query)).toBe(true);
    }
    expect(store.status.head).toBe(head);
    expect(await store.events()).toEqual(log);
  });
});

describe('events(query) on random logs', () => {
  type Step = { kind: 'append'; events: EventInput[] } | { kind: 'undo' } | { kind: 'redo' };
  const eventArb: fc.Arbitrary<EventInput> = fc
    .record({ type: fc.constantFrom(...TYPES), stream: fc.constantFrom(...STREAMS), n: fc.integer({ min: 0, max: 9 }) })
    .map(({ type, stream, n }) => ({ type, stream, payload: { n } }));
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.array(eventArb, { minLength: 1, maxLength: 3 }).map((events): Step => ({ kind: 'append', events })), weight: 6 },
    { arbitrary: fc.constant<Step>({ kind: 'undo' }), weight: 1 },
    { arbitrary: fc.constant<Step>({ kind: 'redo' }), weight: 1 },
  );
  const queryArb = fc.record(
    {
      stream: fc.constantFrom(...STREAMS),
      type: fc.oneof(
        fc.constantFrom<string>(...TYPES, '$undo', '$redo'),
        fc.array(fc.constantFrom<string>(...TYPES, '$undo'), { maxLength: 3 }),
      ),
      after: fc.nat({ max: 150 }),
      limit: fc.integer({ min: 1, max: 150 }),
      reverse: fc.boolean(),
    },
    { requiredKeys: [] },
  );

  it('random queries on random logs (up to ~100 records) equal the reference filter of the appended log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 110, size: 'max' }),
        fc.array(queryArb, { minLength: 1, maxLength: 8 }),
        async (steps, queries) => {
          const store = await createStore({ name: dbName('query-rand'), projections });
          try {
            const appended: StoredEvent[] = [];
            for (const step of steps) {
              if (step.kind === 'append') appended.push(...(await store.append(step.events)));
              else if (step.kind === 'undo') await store.undo();
              else await store.redo();
            }
            const log = await store.events();
            expect(log.filter((e) => !e.type.startsWith('$'))).toEqual(appended);
            expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
            for (const query of queries) expect(await store.events(query), JSON.stringify(query)).toEqual(reference(log, query));
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 15, interruptAfterTimeLimit: 80_000 },
    );
  }, 120_000);
});
