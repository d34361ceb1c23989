/**
 * Queries by stream and type on logs of large multi-stream records (storage/records.ts,
 * storage/scan.ts): a pulled page or a large commit holds many streams, and a stream with a
 * small share of it gets a slice, so a query reads about as many events as it returns
 * (counted below at the IndexedDB boundary), returns what a filter of the whole log
 * returns, and the slices follow the records through rebase, confirmation and compaction.
 */
import 'fake-indexeddb/auto';
import { Dexie } from 'dexie';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStore, type EventInput, type EventQuery, type Store, type StoredEvent } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import type { WireEvent } from '../../src/sync/protocol.ts';
import { SLICE_SHARE, slicesOf } from '../../src/storage/records.ts';
import type { LogRecord, SliceRecord } from '../../src/storage/schema.ts';
import { dbName, projections, referenceState, todos } from '../support/fixtures.ts';
import { counting } from '../support/readCounter.ts';
import { untilStatus } from '../support/wait.ts';

function reference(log: readonly StoredEvent[], query: EventQuery): StoredEvent[] {
  const types = query.type === undefined ? undefined : new Set(Array.isArray(query.type) ? query.type : [query.type]);
  let out = log.filter((e) => e.position > (query.after ?? 0) && (query.stream === undefined || e.stream === query.stream) && (!types || types.has(e.type)));
  if (query.reverse) out = out.reverse();
  return query.limit === undefined ? out : out.slice(0, query.limit);
}

/** Every record's slices are stored, exactly, and no slice is left without its record. */
async function expectSlicesFollowRecords(name: string): Promise<number> {
  const db = new Dexie(name);
  await db.open();
  try {
    const records = (await db.table('records').toArray()) as LogRecord[];
    const slices = (await db.table('slices').toArray()) as SliceRecord[];
    const key = (s: SliceRecord) => `${s.kind}|${s.name}|${s.first}`;
    const expected = records.flatMap(slicesOf).sort((a, b) => key(a).localeCompare(key(b)));
    expect(slices.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(expected);
    return slices.length;
  } finally {
    db.close();
  }
}

const STREAMS = 40;
const TYPES = ['added', 'renamed', 'done'];
/** `count` events of another device from position `from`+1, over 40 streams and 3 types. */
function remoteEvents(count: number, from = 0): WireEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k + 1;
    return {
      id: `r${i}`,
      type: TYPES[(i * 7) % TYPES.length]!,
      payload: { id: `t${i % 97}`, title: `Task ${i}` },
      stream: `list-${(i * 13) % STREAMS}`,
      clientId: 'other',
      commit: `c${Math.ceil(i / 5)}`,
      time: 1_750_000_000_000 + i,
    };
  });
}

describe('a replica that pulled a multi-stream log', () => {
  let server: RunningSyncServer;
  let store: Store;
  let log: StoredEvent[];
  let name: string;

  beforeAll(async () => {
    const storage = memoryStorage();
    const events = remoteEvents(6000);
    for (let i = 0; i < events.length; i += 500) await storage.push('pulled', events.slice(i, i + 500));
    server = await startSyncServer({ port: 0, storage, warn: () => undefined });
    name = dbName('pulled');
    store = await createStore({ name, projections, clientId: 'me', sync: { url: server.url, logId: 'pulled', live: false } });
    await untilStatus(store, (s) => s.head === 6000 && s.sync === 'idle');
    log = await store.events();
  });
  afterAll(async () => {
    await store.close();
    await server.close();
  });

  it('reads one stream through its slices only: about as many events as it returns, no whole page', async () => {
    const stream = 'list-7';
    const { value, records, slices, events } = await counting(() => store.events({ stream }));
    expect(value).toEqual(reference(log, { stream }));
    expect(value.length).toBe(150);
    // The pulled pages hold 1000 events of 40 streams each: every page has a slice of list-7.
    expect(records).toBe(0);
    expect(slices).toBe(6);
    expect(events).toBe(value.length);
  });

  it('reads a type with a large share through the records, at most SLICE_SHARE times the events it returns', async () => {
    // 3 types of ~1/3 each: none is under 1/SLICE_SHARE, so each is read from its records,
    // at most SLICE_SHARE times the events returned (here about 3 times).
    const { value, events } = await counting(() => store.events({ type: 'done' }));
    expect(value).toEqual(reference(log, { type: 'done' }));
    expect(events).toBeLessThanOrEqual(SLICE_SHARE * value.length);
  });

  it('reads a stream\'s slices in few requests (their keys tell their sizes), and a limit stops reading records early', async () => {
    const stream = await counting(() => store.events({ stream: 'list-3' }));
    expect(stream.value).toEqual(reference(log, { stream: 'list-3' }));
    expect(stream.requests).toBe(3); // the keys of the records and of the slices, then all 6 slices (150 events) in one range
    for (const reverse of [false, true]) {
      const first = await counting(() => store.events({ type: 'added', limit: 10, reverse, after: 2000 }));
      expect(first.value).toEqual(reference(log, { type: 'added', limit: 10, reverse, after: 2000 }));
      expect(first.records).toBe(1);
    }
  });

  it('every query of stream, type, after, limit and reverse equals a filter of the whole log', async () => {
    const queries: EventQuery[] = [];
    for (const stream of ['list-0', 'list-39', 'nope', undefined]) {
      for (const type of [undefined, 'added', ['renamed', 'done']]) {
        for (const after of [0, 999, 1000, 3456]) {
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
  });

  it('stores one slice per stream of each page, and they match their records', async () => {
    expect(await expectSlicesFollowRecords(name)).toBe(6 * STREAMS);
  });
});

describe('slices follow the records', () => {
  let server: RunningSyncServer;
  const open: Store[] = [];
  beforeAll(async () => {
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
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

  it('through local appends, expectedVersion checks, undo after a reopen, rebase, confirmation and compaction', async () => {
    const logId = `follow-${Date.now()}`;
    const name = dbName('follow');
    const sync = { url: server.url, logId, live: false };
    const a = await createStore({ name, projections, clientId: 'a', sync, snapshotEvery: 50 });
    open.push(a);
    await a.sync.pause();
    await a.append(bigCommit(120, 10, 'x'));
    await a.append(bigCommit(64, 8, 'y'));
    await a.append({ type: 'added', stream: 's-3', payload: { id: 'z', title: 'z' } });
    // Stream versions count events in slices: s-3 holds 6 (x) + 4 (y) + 1.
    const pending = await a.events({ stream: 's-3' });
    expect(pending).toEqual(reference(await a.events(), { stream: 's-3' }));
    expect(pending.every((e) => e.pending)).toBe(true);
    const x3 = pending.length;
    await expect(a.append({ type: 'renamed', stream: 's-3', payload: { id: 'z', title: 'zz' } }, { expectedVersion: x3 })).resolves.toHaveLength(1);
    await expect(a.append({ type: 'renamed', stream: 's-3', payload: { id: 'z', title: 'no' } }, { expectedVersion: x3 })).rejects.toThrow();
    // Local appends are written without slices (the app waits for them)…
    expect(await expectSlicesFollowRecords(name)).toBe(0);

    // Another device pushes first (other streams: a's expectedVersion still holds): a's
    // pending commits are rebased after its events.
    const b = await createStore({ name: dbName('follow-b'), projections, clientId: 'b', sync });
    open.push(b);
    await b.append(bigCommit(80, 8, 'b', 'b'));
    await untilStatus(b, (s) => s.pending === 0 && s.sync === 'idle');
    a.sync.resume();
    await untilStatus(a, (s) => s.pending === 0 && s.sync === 'idle' && s.head === 80 + 120 + 64 + 2);
    // …and again, as the server's, with them when it confirms them (one record of 266 events).
    expect(await expectSlicesFollowRecords(name)).toBeGreaterThan(0);
    let log = await a.events();
    for (const stream of ['s-main', 's-3', 's-17', 'b-5']) expect(await a.events({ stream }), stream).toEqual(reference(log, { stream }));
    expect(await a.events({ type: 'done' })).toEqual(reference(log, { type: 'done' }));

    // Undo of the large commit after a reopen finds it (by client and commit) and its markers.
    await a.close();
    open.splice(open.indexOf(a), 1);
    const a2 = await createStore({ name, projections, clientId: 'a', sync, snapshotEvery: 50 });
    open.push(a2);
    await untilStatus(a2, (s) => s.sync === 'idle');
    expect(await a2.undo()).toBe(true); // the expectedVersion rename
    expect(await a2.undo()).toBe(true); // 'z'
    expect(await a2.undo()).toBe(true); // y: 64 events
    log = await a2.events();
    expect(a2.get('todos')).toEqual(referenceState(todos, log));
    expect(await a2.events({ type: '$undo' })).toEqual(reference(log, { type: '$undo' }));

    // Compaction drops records and their slices; what is left still queries right.
    await untilStatus(a2, (s) => s.pending === 0 && s.sync === 'idle');
    const { compacted } = await a2.compact({ before: 150 }); // at a commit boundary: 80 (b's commit)
    expect(compacted).toBeGreaterThanOrEqual(80);
    expect(await expectSlicesFollowRecords(name)).toBeGreaterThan(0);
    log = await a2.events({ after: compacted });
    expect(log[0]!.position).toBe(compacted + 1);
    for (const stream of ['s-main', 's-3', 'b-5']) expect(await a2.events({ stream, after: compacted }), stream).toEqual(reference(log, { stream }));
  });
});
