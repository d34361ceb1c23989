/**
 * Queries by stream and type on logs of pulled pages (storage/slicer.ts, storage/scan.ts):
 * each page holds many streams, so in the background each stream with a small share of a
 * group of pages gets a slice, and a query then reads about as many events as it returns
 * (counted below at the IndexedDB boundary), returns what a filter of the whole log
 * returns, and the slices follow the log through confirmation, rebase and compaction.
 */
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStore, type EventInput, type EventQuery, type Store, type StoredEvent } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import type { WireEvent } from '../../src/protocol/wire.ts';
import { GROUP_EVENTS, SLICE_MIN_COUNT, SLICE_SHARE } from '../../src/storage/slicer.ts';
import type { LogRecord, SliceRecord } from '../../src/storage/schema.ts';
import { dbName, projections, referenceState, todos } from '../support/fixtures.ts';
import { counting } from '../support/readCounter.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

function reference(log: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  const types = query.type === undefined ? undefined : new Set(Array.isArray(query.type) ? query.type : [query.type]);
  let out = log.filter(
    (e) => e.position > (query.after ?? 0) && (query.stream === undefined || e.stream === query.stream) && (!types || types.has(e.type)),
  );
  if (query.reverse) out = out.reverse();
  return query.limit === undefined ? out : out.slice(0, query.limit);
}

/** The database's slices and the point it is sliced through, read apart from the store. */
async function slicesOf(name: string): Promise<{ slices: SliceRecord[]; records: LogRecord[]; through: number }> {
  const db = new Dexie(name);
  await db.open();
  try {
    const [slices, records, sliced] = await Promise.all([
      db.table('slices').toArray(),
      db.table('records').toArray(),
      db.table('meta').get('sliced'),
    ]);
    return { slices, records, through: (sliced?.value as number | undefined) ?? 0 };
  } finally {
    db.close();
  }
}

/** Waits until the background slicer has sliced the log through `position`. */
async function untilSliced(name: string, position: number): Promise<SliceRecord[]> {
  return vi.waitFor(
    async () => {
      const { slices, through } = await slicesOf(name);
      expect(through).toBeGreaterThanOrEqual(position);
      return slices;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/**
 * Each slice holds exactly its name's events of the confirmed records first..last (which
 * start and end at record boundaries), sliced by the rule; a name's slices do not overlap.
 */
async function expectSlicesMatchRecords(name: string): Promise<number> {
  const { slices, records, through } = await slicesOf(name);
  const byFirst = new Map(records.map((r) => [r.first, r]));
  const byLast = new Map(records.map((r) => [r.last, r]));
  for (const s of slices) {
    expect(byFirst.get(s.first), `a slice starts at a record: ${s.first}`).toBeDefined();
    expect(byLast.get(s.last), `and ends at one: ${s.last}`).toBeDefined();
    expect(s.last).toBeLessThanOrEqual(through);
    const covered = records.filter((r) => r.first >= s.first && r.last <= s.last);
    expect(covered.every((r) => r.pending === 0)).toBe(true);
    const events = covered
      .flatMap((r) => r.events.map((e, i) => ({ e, position: r.first + i })))
      .filter(({ e }) => (s.kind === 's' ? e.stream : e.type) === s.name);
    expect(s.events).toEqual(events.map(({ e }) => e));
    expect(s.at).toEqual(events.map(({ position }) => position));
    expect(s.n).toBe(events.length);
    expect(s.n).toBeGreaterThanOrEqual(SLICE_MIN_COUNT);
    expect(s.n * SLICE_SHARE).toBeLessThan(s.last - s.first + 1);
  }
  const names = new Map<string, SliceRecord[]>();
  for (const s of slices) names.set(`${s.kind}${s.name}`, [...(names.get(`${s.kind}${s.name}`) ?? []), s]);
  for (const list of names.values()) {
    list.sort((a, b) => a.first - b.first);
    for (let i = 1; i < list.length; i++) expect(list[i]!.first).toBeGreaterThan(list[i - 1]!.last);
  }
  return slices.length;
}

const STREAMS = 40;
const TYPES = ['added', 'renamed', 'done'];
/** `count` events of another device from position `from`+1, over 40 streams and 3 types. */
function remoteEvents(count: number, from = 0, prefix = 'list'): WireEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k + 1;
    return {
      id: `${prefix}-r${i}`,
      type: TYPES[(i * 7) % TYPES.length]!,
      payload: { id: `t${i % 97}`, title: `Task ${i}` },
      stream: `${prefix}-${(i * 13) % STREAMS}`,
      clientId: 'other',
      commit: `${prefix}-c${Math.ceil(i / 5)}`,
      time: 1_750_000_000_000 + i,
    };
  });
}

describe('a replica that pulled a multi-stream log', () => {
  const EVENTS = 2 * GROUP_EVENTS + 1500; // two groups sliced, a tail that is not
  let server: RunningSyncServer;
  let store: Store;
  let log: StoredEvent[];
  let name: string;

  beforeAll(async () => {
    const storage = memoryStorage();
    const events = remoteEvents(EVENTS);
    for (let i = 0; i < events.length; i += 500) await storage.push('pulled', events.slice(i, i + 500));
    server = await startSyncServer({ port: 0, storage, warn: () => undefined });
    name = dbName('pulled');
    store = await createStore({ name, projections, clientId: 'me', sync: { url: server.url, logId: 'pulled', live: false } });
    await untilStatus(store, (s) => s.head === EVENTS && s.sync === 'idle');
    await untilSliced(name, 2 * GROUP_EVENTS);
    log = await store.events();
  }, 30_000);
  afterAll(async () => {
    await store.close();
    await server.close();
  });

  it('slices each group of pages once: one slice per stream, none for the types (a third each) or the tail', async () => {
    expect(await expectSlicesMatchRecords(name)).toBe(2 * STREAMS);
    const { slices } = await slicesOf(name);
    expect(new Set(slices.map((s) => `${s.first}-${s.last}`))).toEqual(
      new Set([`1-${GROUP_EVENTS}`, `${GROUP_EVENTS + 1}-${2 * GROUP_EVENTS}`]),
    );
  });

  it('reads one stream through its slices, and the records of the tail: not every page', async () => {
    const stream = 'list-7';
    const { value, records, slices, events } = await counting(() => store.events({ stream }));
    expect(value).toEqual(reference(log, { stream }));
    expect(slices).toBe(2);
    expect(records).toBe(2); // the 1500-event tail: two records, not yet a group
    expect(events).toBe(value.filter((e) => e.position <= 2 * GROUP_EVENTS).length + 1500);
  });

  it('a type with a large share is read from its records, at most SLICE_SHARE times what it returns', async () => {
    const { value, events } = await counting(() => store.events({ type: 'done' }));
    expect(value).toEqual(reference(log, { type: 'done' }));
    expect(events).toBeLessThanOrEqual(SLICE_SHARE * value.length);
  });

  it('a limit stops the reads early; newest first, and from inside a slice', async () => {
    for (const reverse of [false, true]) {
      const first = await counting(() => store.events({ type: 'added', limit: 10, reverse, after: 2000 }));
      expect(first.value).toEqual(reference(log, { type: 'added', limit: 10, reverse, after: 2000 }));
      expect(first.records).toBe(1);
    }
    // after = 7777 falls inside the second group: its slice is read from its start, and filtered.
    const inside = await counting(() => store.events({ stream: 'list-3', after: 7777, limit: 5 }));
    expect(inside.value).toEqual(reference(log, { stream: 'list-3', after: 7777, limit: 5 }));
    expect(inside.slices + inside.records).toBe(1);
    const back = await counting(() => store.events({ stream: 'list-3', after: 7777, reverse: true }));
    expect(back.value).toEqual(reference(log, { stream: 'list-3', after: 7777, reverse: true }));
    expect(back.slices).toBe(1);
  });

  it('every query of stream, type, after, limit and reverse equals a filter of the whole log', async () => {
    const queries: EventQuery[] = [];
    for (const stream of ['list-0', 'list-39', 'nope', undefined]) {
      for (const type of [undefined, 'added', ['renamed', 'done']]) {
        for (const after of [0, 999, 1000, 4999, 5000, 5001, 7777, 10_000, 11_499]) {
          for (const limit of [undefined, 1, 37]) {
            for (const reverse of [false, true]) {
              const q: EventQuery = { after, reverse };
              if (stream) q.stream = stream;
              if (type) q.type = type;
              if (limit) q.limit = limit;
              queries.push(q);
            }
          }
        }
      }
    }
    for (const q of queries) expect(await store.events(q), JSON.stringify(q)).toEqual(reference(log, q));
  }, 60_000);

  it('any random query equals the filter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          stream: fc.constantFrom('list-1', 'list-2', 'list-30', undefined),
          type: fc.constantFrom('added', 'done', undefined),
          after: fc.integer({ min: 0, max: EVENTS + 2 }),
          limit: fc.option(fc.integer({ min: 1, max: 400 }), { nil: undefined }),
          reverse: fc.boolean(),
        }),
        async (q) => {
          const query = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as EventQuery;
          expect(await store.events(query)).toEqual(reference(log, query));
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});

describe('slices follow the log', () => {
  let server: RunningSyncServer;
  const stores = storesPerTest();
  beforeAll(async () => {
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterAll(async () => {
    await server.close();
  });

  /** One commit of `n` events over `streams` streams (the first stream holds half). */
  const bigCommit = (n: number, streams: number, tag: string, prefix = 's'): EventInput[] =>
    Array.from({ length: n }, (_, i) => ({
      type: i % 9 === 0 ? 'done' : 'added',
      payload: { id: `${tag}${i}`, title: `${tag} ${i}` },
      stream: i % 2 === 0 ? `${prefix}-main` : `${prefix}-${i % streams}`,
    }));

  it('through local appends, confirmation, rebase, undo after a reopen, and compaction', async () => {
    const logId = `follow-${Date.now()}`;
    const name = dbName('follow');
    const sync = { url: server.url, logId, live: false };
    const a = await stores.open({ name, projections, clientId: 'a', sync, snapshotEvery: 500 });
    await a.sync.pause();
    await a.append(bigCommit(120, 10, 'x'));
    await a.append({ type: 'added', stream: 's-3', payload: { id: 'z', title: 'z' } });
    const pending = await a.events({ stream: 's-3' });
    expect(pending.every((e) => e.pending)).toBe(true);
    await expect(
      a.append({ type: 'renamed', stream: 's-3', payload: { id: 'z', title: 'zz' } }, { expectedVersion: pending.length }),
    ).resolves.toHaveLength(1);

    // Another device pushes 6000 events first: a's pending commits are rebased after them.
    const b = await stores.open({ name: dbName('follow-b'), projections, clientId: 'b', sync });
    for (let i = 0; i < 6; i++) await b.append(bigCommit(1000, 20, `b${i}`, 'b'));
    await untilStatus(b, (s) => s.pending === 0 && s.sync === 'idle');
    a.sync.resume();
    await untilStatus(a, (s) => s.pending === 0 && s.sync === 'idle' && s.head === 6000 + 122);
    // Local appends are never sliced while pending; the first group of confirmed pages is.
    const sliced = await untilSliced(name, GROUP_EVENTS);
    expect(sliced.every((s) => s.last <= 6000)).toBe(true);
    expect(await expectSlicesMatchRecords(name)).toBeGreaterThan(0);
    let log = await a.events();
    for (const stream of ['s-main', 's-3', 'b-main', 'b-5']) expect(await a.events({ stream }), stream).toEqual(reference(log, { stream }));
    expect(await a.events({ type: 'done', reverse: true })).toEqual(reference(log, { type: 'done', reverse: true }));
    // A stream version counts the events read through slices too.
    const b5 = log.filter((e) => e.stream === 'b-5').length;
    await expect(
      a.append({ type: 'added', stream: 'b-5', payload: { id: 'v', title: 'v' } }, { expectedVersion: b5 }),
    ).resolves.toHaveLength(1);

    // Undo after a reopen finds this client's commits and markers.
    await a.close();
    const a2 = await stores.open({ name, projections, clientId: 'a', sync, snapshotEvery: 500 });
    expect(await a2.undo()).toBe(true);
    expect(await a2.undo()).toBe(true);
    await untilStatus(a2, (s) => s.pending === 0 && s.sync === 'idle');
    log = await a2.events();
    expect(a2.get('todos')).toEqual(referenceState(todos, log));
    expect(await a2.events({ type: '$undo' })).toEqual(reference(log, { type: '$undo' }));

    // Compaction through 2000 cuts the sliced group: its slices go, the rest is sliced again
    // once a group's worth of confirmed events follows the point.
    const { compacted } = await a2.compact({ before: 2001 });
    expect(compacted).toBe(2000);
    expect((await slicesOf(name)).slices).toEqual([]);
    for (let i = 0; i < 4; i++) await b.append(bigCommit(1000, 20, `c${i}`, 'b'));
    await untilStatus(b, (s) => s.pending === 0 && s.sync === 'idle');
    await a2.sync.now();
    await untilSliced(name, 2000 + GROUP_EVENTS);
    expect(await expectSlicesMatchRecords(name)).toBeGreaterThan(0);
    expect(Math.min(...(await slicesOf(name)).slices.map((s) => s.first))).toBe(2001);
    log = await a2.events({ after: compacted });
    for (const stream of ['s-main', 's-3', 'b-main', 'b-5'])
      expect(await a2.events({ stream, after: compacted }), stream).toEqual(reference(log, { stream }));
  }, 60_000);
});
