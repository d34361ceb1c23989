/**
 * Event schema evolution (core/upcast.ts): a log written by an app's older versions stays
 * readable by its newer ones through upcasters, stored events are never rewritten, and
 * replicas on different app versions sync without losing or misapplying anything.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineProjection, isUpcastError, type CreateStoreOptions, type Store, type StoredEvent, type Upcasters } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import { dbName } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

/** v1 { name }; v2 { title } (renamed); v3 { title, qty } (qty added, default 1). */
interface ItemV3 {
  title: string;
  qty: number;
}
const v1ToV2 = (p: { name: string }) => ({ title: p.name });
const v2ToV3 = (p: { title: string }) => ({ ...p, qty: 1 });
const V2: Upcasters = { 'item.added': [v1ToV2] };
const V3: Upcasters = { 'item.added': [v1ToV2, v2ToV3] };

/**
 * The newest app's reducer: reads only the v3 shape, so an event it gets un-upcast shows up.
 * Its reduce changed with the event shape, so its version changed too (snapshots rebuilt).
 */
const itemsV3 = defineProjection<ItemV3[]>({
  name: 'items',
  version: 3,
  initial: () => [],
  reduce: (state, e) => {
    if (e.type !== 'item.added') return state;
    const p = e.payload as ItemV3;
    if (typeof p.title !== 'string' || typeof p.qty !== 'number') throw new Error(`not a v3 payload: ${JSON.stringify(p)}`);
    return [...state, { title: p.title, qty: p.qty }];
  },
});
/** The v1 app's reducer. */
const itemsV1 = defineProjection<string[]>({
  name: 'items',
  initial: () => [],
  reduce: (state, e) => {
    if (e.type !== 'item.added') return state;
    const p = e.payload as { name: string };
    if (typeof p.name !== 'string') throw new Error(`not a v1 payload: ${JSON.stringify(p)}`);
    return [...state, p.name];
  },
});

/** The same in every app version (it reads no payload): its snapshots serve them all. */
const seen = defineProjection<number>({ name: 'seen', initial: () => 0, reduce: (n, e) => (e.type === 'item.added' ? n + 1 : n) });

const stores = storesPerTest();
function store(options: CreateStoreOptions): Promise<Store> {
  return stores.open({ projections: { items: itemsV3 }, ...options });
}

const payloads = (events: StoredEvent[]) => events.map((e) => [e.payload, e.schemaVersion]);

describe('upcasters', () => {
  it('read a log written with v1 through v2 and v3 upcasters, never rewriting what is stored', async () => {
    const name = dbName('upcast');
    const v1 = await store({ name, projections: { items: itemsV1 }, snapshotEvery: 2 });
    await v1.append([
      { type: 'item.added', payload: { name: 'apple' } },
      { type: 'item.added', payload: { name: 'pear' } },
    ]);
    await v1.append({ type: 'item.added', payload: { name: 'plum' } });
    expect((await v1.events())[0]).not.toHaveProperty('schemaVersion'); // version 1: stored as before
    await v1.close();

    // The v2 app writes v2 events next to the v1 ones.
    const v2 = await rejection(store({ name, projections: { items: itemsV1 }, upcasters: V2, snapshotEvery: 0 }));
    expect(v2).toBeInstanceOf(Error); // the v1 reducer cannot read upcast (v2) payloads: proves upcasting ran at start
    const v2app = await store({
      name,
      upcasters: V2,
      projections: {
        items: defineProjection<string[]>({
          name: 'items',
          version: 2,
          initial: () => [],
          reduce: (s, e) => [...s, (e.payload as { title: string }).title],
        }),
      },
    });
    expect(v2app.get('items')).toEqual(['apple', 'pear', 'plum']);
    const [added] = await v2app.append({ type: 'item.added', payload: { title: 'fig' } });
    expect(added).toMatchObject({ schemaVersion: 2, payload: { title: 'fig' } });
    await v2app.close();

    // The v3 app reads v1 and v2 events in the v3 shape: state, events(), stateAt().
    const v3 = await store({ name, upcasters: V3, snapshotEvery: 2 });
    expect(v3.get('items')).toEqual([
      { title: 'apple', qty: 1 },
      { title: 'pear', qty: 1 },
      { title: 'plum', qty: 1 },
      { title: 'fig', qty: 1 },
    ]);
    await v3.append({ type: 'item.added', payload: { title: 'kiwi', qty: 5 } });
    expect(payloads(await v3.events())).toEqual([
      [{ title: 'apple', qty: 1 }, 3],
      [{ title: 'pear', qty: 1 }, 3],
      [{ title: 'plum', qty: 1 }, 3],
      [{ title: 'fig', qty: 1 }, 3],
      [{ title: 'kiwi', qty: 5 }, 3],
    ]);
    expect(await v3.stateAt('items', { position: 2 })).toEqual([
      { title: 'apple', qty: 1 },
      { title: 'pear', qty: 1 },
    ]);
    // Undo and redo replay through the upcasters too.
    expect(await v3.undo()).toBe(true);
    expect(v3.get<ItemV3[]>('items').map((i) => i.title)).toEqual(['apple', 'pear', 'plum', 'fig']);
    expect(await v3.redo()).toBe(true);
    expect(v3.get<ItemV3[]>('items')).toHaveLength(5);
    await v3.close();

    // What is stored is what each version wrote: a store without upcasters reads it raw.
    const raw = await stores.open({ name, projections: {} });
    expect(payloads((await raw.events()).filter((e) => e.type === 'item.added'))).toEqual([
      [{ name: 'apple' }, undefined],
      [{ name: 'pear' }, undefined],
      [{ name: 'plum' }, undefined],
      [{ title: 'fig' }, 2],
      [{ title: 'kiwi', qty: 5 }, 3],
    ]);
  });

  it('an upcaster that throws gives UpcastError where the event is read, and changes nothing', async () => {
    const name = dbName('upcast-throws');
    const v1 = await store({ name, projections: { items: itemsV1 } });
    await v1.append({ type: 'item.added', payload: { name: 'apple' } });
    await v1.append({ type: 'item.added', payload: { name: '' } });
    const before = await v1.events();
    await v1.close();

    const strict: Upcasters = {
      'item.added': [
        (p: { name: string }) => {
          if (p.name === '') throw new Error('empty name');
          return { title: p.name };
        },
        v2ToV3,
      ],
    };
    const error = await rejection(store({ name, upcasters: strict }));
    expect(isUpcastError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'UpcastError',
      details: { eventId: before[1]!.id, type: 'item.added', position: 2, fromVersion: 1 },
    });
    expect((error as Error).message).toContain('empty name');

    // The log is as it was, and the fixed app reads it.
    const fixed = await store({ name, upcasters: { 'item.added': [(p: { name: string }) => ({ title: p.name || '(unnamed)' }), v2ToV3] } });
    expect(fixed.get('items')).toEqual([
      { title: 'apple', qty: 1 },
      { title: '(unnamed)', qty: 1 },
    ]);
    expect((await fixed.events()).map((e) => e.id)).toEqual(before.map((e) => e.id));
  });

  it('events() with an upcaster that throws rejects with UpcastError; the store stays usable', async () => {
    const name = dbName('upcast-query');
    let fail = false;
    const flaky: Upcasters = {
      note: [
        (p: unknown) => {
          if (fail) throw new Error('flaky');
          return p;
        },
      ],
    };
    const raw = await store({ name, projections: {} });
    await raw.append({ type: 'note', payload: 'written at v1' });
    await raw.close();
    const s = await store({ name, projections: {}, upcasters: flaky });
    fail = true;
    await expect(s.events()).rejects.toMatchObject({ name: 'UpcastError' });
    fail = false;
    expect(payloads(await s.events())).toEqual([['written at v1', 2]]);
    await s.append({ type: 'note', payload: 'written at v2' });
    expect(s.status.head).toBe(2);
  });

  it('reading never marks the store outdated: only a replay of the head state that meets a newer event does', async () => {
    const name = dbName('outdated-read');
    const newer = await store({ name, projections: { seen }, upcasters: { note: [(p: unknown) => p] } });
    await newer.append({ type: 'note', payload: 'v2' });
    await newer.undo(); // the newer event is undone: no replay gives it to a reducer
    await newer.close();
    const older = await store({ name, projections: { seen } });
    expect(older.status.outdated).toBeUndefined();
    expect((await older.events()).find((e) => e.type === 'note')).toMatchObject({ schemaVersion: 2, payload: 'v2' });
    await older.stateAt('seen', { position: 1 });
    await older.append({ type: 'other' });
    expect(older.status.outdated).toBeUndefined();
  });

  it('rejects bad upcaster options with a TypeError before opening anything', async () => {
    const name = dbName('upcast-bad');
    await expect(stores.open({ name, projections: {}, upcasters: { x: 'nope' } as never })).rejects.toThrow(TypeError);
    await expect(stores.open({ name, projections: {}, upcasters: { $undo: [(p: unknown) => p] } })).rejects.toThrow(/reserved/);
    await expect(stores.open({ name, projections: {}, upcasters: [] as never })).rejects.toThrow(TypeError);
    await expect(stores.open({ name, projections: {}, upcasters: new Map([['x', [(p: unknown) => p]]]) as never })).rejects.toThrow(
      TypeError,
    );
  });
});

describe('replicas on different app versions', () => {
  let server: RunningSyncServer;
  beforeEach(async () => {
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterEach(async () => {
    await stores.closeAll();
    await server.close();
  });

  it('a server that drops schemaVersion (older than schema versions) is a ProtocolError, nothing applied', async () => {
    // What an old server answers: the events as pushed, less the field it does not know.
    const stripping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('/events?')) return response;
      const body = (await response.json()) as { events: Record<string, unknown>[] };
      for (const e of body.events) delete e['schemaVersion'];
      return new Response(JSON.stringify(body), { status: response.status, headers: response.headers });
    };
    const s = await store({
      name: dbName('old-server'),
      upcasters: V3,
      sync: { url: server.url, logId: 'old-server', live: false, fetch: stripping },
    });
    await s.append({ type: 'item.added', payload: { title: 'fig', qty: 2 } });
    const error = await rejection(s.sync.now());
    expect(error).toMatchObject({ name: 'ProtocolError' });
    expect((error as Error).message).toMatch(/schemaVersion/);
    expect(s.status).toMatchObject({ pending: 1, sync: 'error' });
    expect(s.get('items')).toEqual([{ title: 'fig', qty: 2 }]);
    expect((await s.events())[0]).toMatchObject({ schemaVersion: 3, pending: true });
  });

  it('sync.rejected() gives a rejected commit in the current shape, as events() does', async () => {
    const sync = { url: server.url, logId: 'rejected-shape', live: false };
    const other = await store({ name: dbName('other'), upcasters: V3, sync });
    await other.append({ type: 'item.added', stream: 'doc', payload: { title: 'theirs', qty: 1 } }, { expectedVersion: 'none' });
    await other.sync.now();
    const name = dbName('rejected-old');
    const offline: typeof fetch = () => Promise.reject(new TypeError('offline'));
    const v1 = await store({ name, projections: { items: itemsV1 }, sync: { ...sync, fetch: offline } });
    await v1.append({ type: 'item.added', stream: 'doc', payload: { name: 'mine' } }, { expectedVersion: 'none' });
    await v1.close();
    const v3 = await store({ name, upcasters: V3, sync });
    await v3.sync.now();
    const [rejected] = await v3.sync.rejected();
    expect(rejected?.events[0]).toMatchObject({ payload: { title: 'mine', qty: 1 }, schemaVersion: 3 });
  });

  it('sync both ways: the new app upcasts old events; the old app keeps new ones, unapplied, until it updates', async () => {
    const logId = 'versions';
    const oldName = dbName('old-app');
    const sync = { url: server.url, logId, live: false };
    const oldApp = await store({ name: oldName, projections: { items: itemsV1, seen }, sync, snapshotEvery: 1 });
    const newApp = await store({ name: dbName('new-app'), projections: { items: itemsV3, seen }, upcasters: V3, sync, snapshotEvery: 1 });

    await oldApp.append({ type: 'item.added', payload: { name: 'apple' } });
    await oldApp.sync.now();
    await newApp.append({ type: 'item.added', payload: { title: 'kiwi', qty: 5 } });
    await newApp.sync.now();
    await oldApp.append({ type: 'item.added', payload: { name: 'pear' } });
    await oldApp.sync.now();
    await newApp.sync.now();

    // The new app: the old app's v1 events in the v3 shape.
    expect(newApp.get('items')).toEqual([
      { title: 'apple', qty: 1 },
      { title: 'kiwi', qty: 5 },
      { title: 'pear', qty: 1 },
    ]);
    expect(newApp.status.outdated).toBeUndefined();

    // The old app: the v3 event is in its log (synced, queryable as written) but its reducer
    // never saw it, and the status says the app is outdated.
    expect(oldApp.get('items')).toEqual(['apple', 'pear']);
    expect(oldApp.get('seen')).toBe(2);
    expect(oldApp.status).toMatchObject({ outdated: true, pending: 0, head: 3 });
    const kiwi = (await oldApp.events()).find((e) => e.schemaVersion === 3);
    expect(kiwi).toMatchObject({ position: 2, payload: { title: 'kiwi', qty: 5 } });
    expect((await oldApp.events()).map((e) => e.id)).toEqual((await newApp.events()).map((e) => e.id));
    await oldApp.close();

    // The old app updates (same database): every event applies, none is lost, and no
    // snapshot taken while the v3 event was skipped stands in the way.
    const updated = await store({ name: oldName, projections: { items: itemsV3, seen }, upcasters: V3, sync, snapshotEvery: 1 });
    expect(updated.get('items')).toEqual(newApp.get('items'));
    expect(updated.get('seen')).toBe(3);
    expect(updated.status.outdated).toBeUndefined();
    await updated.sync.now();
    expect(updated.get('items')).toEqual(newApp.get('items'));
  });
});
