/**
 * Compaction (worker/compact.ts, worker/history.ts): confirmed events below a point leave the
 * local database; state, undo of later commits and time travel after the point keep working;
 * reads before it come back from the sync server when online and fail with
 * HistoryUnavailableError when not; bad input changes nothing. Other tabs on the database
 * follow the point and the restores (worker/batch.ts followBase), and a read racing a
 * compaction answers from the whole log or fails (engine #readLog).
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineProjection, isHistoryUnavailableError, isInvalidEventError, type Store, type StoredEvent } from '../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../src/server/index.ts';
import { dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';
import { untilStatus } from '../support/wait.ts';

const stores = storesPerTest();

/** `n` commits of one 'added' event each, on stream "list". */
async function fill(s: Store, n: number, prefix = 't'): Promise<void> {
  for (let i = 1; i <= n; i++) await s.append({ type: 'added', stream: 'list', payload: { id: `${prefix}${i}`, title: `${prefix} ${i}` } });
}
const ids = (events: StoredEvent[]) => events.map((e) => e.id);
const todoIds = (list: Todo[]) => list.map((t) => t.id);

describe('compact() on a store without sync', () => {
  it('drops events below the point and keeps state, later undo and time travel after it', async () => {
    const name = dbName('compact');
    const s = await stores.open({ name, projections, snapshotEvery: 10 });
    await fill(s, 50);
    const before = s.get<Todo[]>('todos');
    const all = await s.events();
    const at40 = await s.stateAt('todos', { position: 40 });

    expect(await s.compact({ before: 31 })).toEqual({ compacted: 30, removed: 30 });
    expect(s.status.compacted).toBe(30);
    expect(s.get('todos')).toBe(before); // state untouched
    expect(ids(await s.events({ after: 30 }))).toEqual(ids(all.slice(30)));
    expect(await s.stateAt('todos', { position: 40 })).toEqual(at40);
    expect(await s.stateAt('todos', { position: 30 })).toEqual(referenceState(todos, all.slice(0, 30)));

    // Undo and redo of later commits replay from the point.
    expect(await s.undo()).toBe(true);
    expect(s.get<Todo[]>('todos').map((t) => t.id)).toEqual(before.slice(0, 49).map((t) => t.id));
    expect(await s.redo()).toBe(true);
    expect(s.get('todos')).toEqual(before);

    // A stream's version still counts the dropped events.
    await s.append({ type: 'added', stream: 'list', payload: { id: 'v', title: 'v' } }, { expectedVersion: 50 });
    await s.close();

    // Reopened: the point, the state and the log after it are as they were.
    const again = await stores.open({ name, projections, snapshotEvery: 10 });
    expect(again.status.compacted).toBe(30);
    expect(again.get<Todo[]>('todos')).toHaveLength(51);
    expect((await again.events({ after: 30 })).map((e) => e.position)).toEqual(Array.from({ length: 23 }, (_, i) => 31 + i));
  });

  it('fails with HistoryUnavailableError for reads before the point (no server to fetch from), changing nothing', async () => {
    const s = await stores.open({ name: dbName('compact-local'), projections, snapshotEvery: 10 });
    await fill(s, 30);
    await s.compact({ before: 21 });
    for (const read of [() => s.events(), () => s.events({ after: 5, limit: 3 }), () => s.stateAt('todos', { position: 12 })]) {
      const error = await rejection(read());
      expect(isHistoryUnavailableError(error)).toBe(true);
      expect(error).toMatchObject({ details: { compacted: 20 } });
    }
    // A newest-first read that the local log fills needs nothing from before the point.
    expect((await s.events({ reverse: true, limit: 5 })).map((e) => e.position)).toEqual([30, 29, 28, 27, 26]);
    expect(s.status.compacted).toBe(20);
    expect(s.get<Todo[]>('todos')).toHaveLength(30);
  });

  it('undo does not reach commits before the point that are not in memory: canUndo turns false, not an error', async () => {
    const s = await stores.open({ name: dbName('compact-undo'), projections });
    // Six own commits of 500 events: this client's newest 2048 events stay in memory (c3..c6).
    for (let c = 1; c <= 6; c++) await s.append(Array.from({ length: 500 }, (_, i) => ({ type: 'added', payload: { id: `c${c}-${i}` } })));
    await s.compact({ before: 1001 }); // c1 and c2 leave the database
    expect(s.status.compacted).toBe(1000);
    for (let c = 6; c >= 3; c--) expect(await s.undo()).toBe(true);
    expect(s.get<Todo[]>('todos').map((t) => t.id.split('-')[0])).toEqual([...Array(500).fill('c1'), ...Array(500).fill('c2')]);
    expect(s.status.canUndo).toBe(false);
    expect(await s.undo()).toBe(false);
  });

  it('rejects bad input with InvalidEventError and changes nothing', async () => {
    const s = await stores.open({ name: dbName('compact-bad'), projections });
    await fill(s, 5);
    for (const options of [{ before: 7 }, { before: 0 }, { before: 2.5 }, { before: '3' }, {}, null]) {
      const error = await rejection(s.compact(options as never));
      expect(isInvalidEventError(error)).toBe(true);
    }
    expect(s.status.compacted).toBeUndefined();
    expect(await s.events()).toHaveLength(5);
    // Compacting again at or below the point drops nothing.
    expect(await s.compact({ before: 4 })).toEqual({ compacted: 3, removed: 3 });
    expect(await s.compact({ before: 2 })).toEqual({ compacted: 3, removed: 0 });
  });

  it('keeps the point at a commit boundary and before any commit that a later marker undoes', async () => {
    const s = await stores.open({ name: dbName('compact-marker'), projections, snapshotEvery: 0 });
    await s.append([
      { type: 'added', payload: { id: 'a' } },
      { type: 'added', payload: { id: 'b' } },
      { type: 'added', payload: { id: 'c' } },
    ]); // one commit: positions 1..3
    const [d] = await s.append({ type: 'added', payload: { id: 'd' } }); // position 4
    await fill(s, 3, 'x'); // 5..7
    await s.revert(d!.commit); // 8: undoes position 4
    // 6 is wanted, but the marker at 8 needs the commit at 4 to replay without it, and the
    // commit at 1..3 is not split.
    expect(await s.compact({ before: 7 })).toEqual({ compacted: 3, removed: 3 });
    expect(s.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b', 'c', 'x1', 'x2', 'x3']);
  });
});

describe('compaction and another tab on the same database', () => {
  it('the other tab takes the new point: no silent read of dropped events, undo and appends go on', async () => {
    const name = dbName('tabs');
    const a = await stores.open({ name, projections, snapshotEvery: 10 });
    const b = await stores.open({ name, projections, snapshotEvery: 10 });
    await fill(a, 30);
    await b.state('todos');
    await a.compact({ before: 21 });
    await expect(b.stateAt('todos', { position: 12 })).rejects.toMatchObject({ name: 'HistoryUnavailableError' });
    await b.append({ type: 'added', payload: { id: 'from-b' } });
    expect(b.status.compacted).toBe(20);
    expect(await b.undo()).toBe(true);
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(Array.from({ length: 30 }, (_, i) => `t${i + 1}`));
    expect(await b.stateAt('todos', { position: 25 })).toEqual(await a.stateAt('todos', { position: 25 }));
    expect(await b.stateAt<Todo[]>('todos', { position: 25 })).toHaveLength(25);
  });
});

describe('a tab behind the compaction point', () => {
  it('starts again from the point: no state built over the dropped gap, none snapshotted', async () => {
    const name = dbName('lagging');
    const a = await stores.open({ name, projections, snapshotEvery: 10 });
    const b = await stores.open({ name, projections, snapshotEvery: 10 });
    await a.append({ type: 'added', payload: { id: 'x0' } });
    await b.state('todos');
    // One batch of a: 20 appends and a compaction past all of them; b never saw 2..20.
    const writes: Promise<unknown>[] = [];
    for (let i = 1; i <= 20; i++) writes.push(a.append({ type: 'added', payload: { id: `a${i}` } }));
    writes.push(a.compact({ before: 21 }));
    for (let i = 21; i <= 25; i++) writes.push(a.append({ type: 'added', payload: { id: `a${i}` } }));
    await Promise.all(writes);
    for (let i = 1; i <= 12; i++) await b.append({ type: 'added', payload: { id: `b${i}` } }); // crosses a snapshot at 40
    const expected = ['x0', ...Array.from({ length: 25 }, (_, i) => `a${i + 1}`), ...Array.from({ length: 12 }, (_, i) => `b${i + 1}`)];
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(expected);
    await a.close();
    await b.close();
    const reopened = await stores.open({ name, projections, snapshotEvery: 10 });
    expect(reopened.get<Todo[]>('todos').map((t) => t.id)).toEqual(expected);
  });

  it('a tab that slept through more compactions than the rewrite log keeps still writes', async () => {
    const name = dbName('many-compactions');
    const a = await stores.open({ name, projections, snapshotEvery: 0 });
    const b = await stores.open({ name, projections, snapshotEvery: 0 });
    for (let i = 0; i < 5; i++) await a.append({ type: 'added', payload: { id: `x${i}` } });
    await b.state('todos');
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < 70; i++) {
      ops.push(a.append({ type: 'added', payload: { id: `a${i}` } }));
      ops.push(a.compact({ before: 6 + i }));
    }
    await Promise.all(ops);
    await b.append({ type: 'added', payload: { id: 'from-b' } });
    expect(b.get<Todo[]>('todos')).toHaveLength(76);
  });
});

describe('reads racing a compaction', () => {
  for (const mode of ['same store', 'another tab'] as const) {
    it(`${mode}: stateAt() and events() answer from the whole log or fail, never from one with a hole`, async () => {
      for (let round = 0; round < 10; round++) {
        const name = dbName('race');
        const a = await stores.open({ name, projections, snapshotEvery: 0 });
        const b = mode === 'same store' ? a : await stores.open({ name, projections, snapshotEvery: 0 });
        await a.append(Array.from({ length: 10 }, (_, i) => ({ type: 'added', payload: { id: `a${i}` } })));
        for (let i = 0; i < 40; i++) await a.append({ type: 'added', payload: { id: `t${i}` } });
        await b.state('todos');
        const all = await a.events();
        const read = b.stateAt<Todo[]>('todos', { position: 45 }).then(
          (s) => s.length,
          (e: Error) => e.name,
        );
        const listed = b.events({ after: 0 }).then(
          (e) => e.length,
          (e: Error) => e.name,
        );
        for (let i = 0; i < round; i++) await Promise.resolve();
        await a.compact({ before: 41 });
        expect([45, 'HistoryUnavailableError']).toContain(await read);
        expect([all.length, 'HistoryUnavailableError']).toContain(await listed);
      }
    });
  }
});

describe('compaction with a sync server', () => {
  let server: RunningSyncServer;
  let online = true;
  /** A fetch that fails like a network without connection while `online` is false. */
  const fetchSwitch: typeof fetch = (input, init) => (online ? fetch(input, init) : Promise.reject(new TypeError('Failed to fetch')));
  beforeEach(async () => {
    online = true;
    server = await startSyncServer({ port: 0, storage: memoryStorage(), warn: () => undefined });
  });
  afterEach(async () => {
    await stores.closeAll();
    await server.close();
  });
  const sync = (logId: string) => ({ url: server.url, logId, live: false, fetch: fetchSwitch });

  it('never drops pending events: compacting past them is InvalidEventError and changes nothing', async () => {
    const s = await stores.open({ name: dbName('pending'), projections, sync: sync('pending') });
    await fill(s, 10);
    await s.sync.now();
    s.sync.pause();
    await fill(s, 3, 'p'); // 11..13 pending
    const error = await rejection(s.compact({ before: 13 }));
    expect(isInvalidEventError(error)).toBe(true);
    expect(error).toMatchObject({ details: { firstPending: 11 } });
    expect(await s.events({ after: 0 })).toHaveLength(13);
    expect(await s.compact({ before: 11 })).toEqual({ compacted: 10, removed: 10 });
    expect(s.status).toMatchObject({ pending: 3, compacted: 10 });
    s.sync.resume();
    await s.sync.now();
    expect(s.status).toMatchObject({ pending: 0, head: 13, compacted: 10 });
  });

  it('reads before the point from the server when online, and fails with HistoryUnavailableError offline', async () => {
    const s = await stores.open({ name: dbName('online'), projections, sync: sync('online'), snapshotEvery: 10 });
    await fill(s, 40);
    await s.sync.now();
    const all = await s.events();
    const at15 = await s.stateAt('todos', { position: 15 });
    // Pulled events are stored in pages (records of many events): the point cuts one.
    const { compacted } = await s.compact({ before: 31 });
    expect(compacted).toBe(30);

    online = false;
    await expect(s.stateAt('todos', { position: 15 })).rejects.toMatchObject({ name: 'HistoryUnavailableError' });
    await expect(s.events({ after: 10, limit: 5 })).rejects.toMatchObject({ name: 'HistoryUnavailableError' });
    expect(s.status.compacted).toBe(compacted);

    online = true;
    expect(await s.stateAt('todos', { position: 15 })).toEqual(at15);
    expect(await s.events()).toEqual(all); // the same events, positions and all
    expect(s.status.compacted).toBeUndefined(); // brought back; compact() drops them again
  });

  it('applies a revert, made on another replica, of a commit before the point (fetching what it needs)', async () => {
    const a = await stores.open({ name: dbName('a'), projections, sync: sync('revert'), snapshotEvery: 10 });
    const b = await stores.open({ name: dbName('b'), projections, sync: sync('revert'), snapshotEvery: 10 });
    await fill(a, 30);
    await a.sync.now();
    await b.sync.now();
    await a.compact({ before: 26 });
    const old = (await b.events({ after: 4, limit: 1 }))[0]!; // position 5, compacted on a
    await b.revert(old.commit);
    await b.sync.now();
    await a.sync.now();
    expect(a.get<Todo[]>('todos').map((t) => t.id)).not.toContain('t5');
    expect(a.get('todos')).toEqual(b.get('todos'));
  });

  it('a new projection on a compacted store is built from the server at open; without it, open fails and changes nothing', async () => {
    const name = dbName('new-projection');
    const s = await stores.open({ name, projections, sync: sync('new-projection'), snapshotEvery: 10 });
    await fill(s, 30);
    await s.sync.now();
    await s.compact({ before: 21 });
    await s.close();
    const count = defineProjection<number>({ name: 'count', initial: () => 0, reduce: (n) => n + 1 });

    online = false;
    const error = await rejection(stores.open({ name, projections: { ...projections, count }, sync: sync('new-projection') }));
    expect(isHistoryUnavailableError(error)).toBe(true);

    online = true;
    const again = await stores.open({ name, projections: { ...projections, count }, sync: sync('new-projection') });
    expect(again.get('count')).toBe(30);
  });

  it('a fetch for a read never leaves the point inside a commit (a later revert of it is whole)', async () => {
    const name = dbName('mid-commit');
    const s = await stores.open({ name, projections, sync: sync('mid-commit'), snapshotEvery: 5 });
    await fill(s, 2, 'f');
    const [x] = await s.append(['x3', 'x4', 'x5', 'x6'].map((id) => ({ type: 'added', payload: { id } }))); // 3..6: a snapshot at 5 is inside it
    for (let i = 7; i <= 12; i++) await s.append({ type: 'added', payload: { id: `f${i}` } });
    await s.sync.now();
    expect(await s.compact({ before: 11 })).toMatchObject({ compacted: 10 });
    await s.stateAt('todos', { position: 5 }); // starts from the snapshot at 5, inside commit x
    await s.revert(x!.commit);
    expect(s.get<Todo[]>('todos').map((t) => t.id)).toEqual(['f1', 'f2', 'f7', 'f8', 'f9', 'f10', 'f11', 'f12']);
  });

  it('a fetch for a read never leaves a restored marker reaching behind the point', async () => {
    const name = dbName('reach');
    const s = await stores.open({ name, projections, sync: sync('reach'), snapshotEvery: 2 });
    const [c] = await s.append({ type: 'added', payload: { id: 'c' } }); // 1
    for (let i = 2; i <= 6; i++) await s.append({ type: 'added', payload: { id: `f${i}` } });
    await s.revert(c!.commit); // 7 undoes 1
    for (let i = 8; i <= 10; i++) await s.append({ type: 'added', payload: { id: `f${i}` } });
    await s.sync.now();
    expect(await s.compact({ before: 9 })).toMatchObject({ compacted: 8 });
    const f5 = (await s.events({ after: 4, limit: 1 }))[0]!;
    await s.compact({ before: 9 });
    await s.close();
    // Reopened, the store no longer knows where the commit that the marker at 7 undoes is.
    const again = await stores.open({ name, projections, sync: sync('reach'), snapshotEvery: 2 });
    await again.stateAt('todos', { position: 5 }); // from the snapshot at 4: the marker at 7 reaches 1
    await again.revert(f5.commit);
    expect(again.get<Todo[]>('todos').map((t) => t.id)).toEqual(['f2', 'f3', 'f4', 'f6', 'f8', 'f9', 'f10']);
  });

  it('a tab that did not restore still answers stateAt() with the restored markers', async () => {
    const name = dbName('restored-markers');
    const s = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const [c] = await s.append({ type: 'added', payload: { id: 'c' } }); // 1
    for (let i = 2; i <= 3; i++) await s.append({ type: 'added', payload: { id: `t${i}` } });
    await s.revert(c!.commit); // 4 undoes 1
    for (let i = 5; i <= 10; i++) await s.append({ type: 'added', payload: { id: `t${i}` } });
    await s.sync.now();
    const all = await s.events();
    await s.compact({ before: 9 });
    await s.close();
    const a = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const b = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const want = todoIds(referenceState(todos, all.slice(0, 5)));
    expect(todoIds(await a.stateAt<Todo[]>('todos', { position: 5 }))).toEqual(want); // a restores 1..8
    expect(todoIds(await b.stateAt<Todo[]>('todos', { position: 5 }))).toEqual(want); // b reads what a restored
  });

  it('after a restore in one tab, the other tab writes on (its point follows)', async () => {
    const name = dbName('restore-tabs');
    const a = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const b = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const [c] = await a.append({ type: 'added', payload: { id: 'c' } });
    for (let i = 2; i <= 10; i++) await a.append({ type: 'added', payload: { id: `t${i}` } });
    await a.sync.now();
    await a.compact({ before: 6 });
    await b.append({ type: 'added', payload: { id: 'b1' } }); // b takes the point
    await a.sync.now();
    a.sync.pause();
    await a.stateAt('todos', { position: 1 }); // a restores 1..5: the database's point is 0
    await a.revert(c!.commit); // a marker targeting position 1
    await b.append({ type: 'added', payload: { id: 'b2' } });
    expect(todoIds(b.get<Todo[]>('todos'))).not.toContain('c');
    expect(todoIds(b.get<Todo[]>('todos'))).toContain('b2');
  });

  it('revert() of a commit before the point fetches it and undoes it', async () => {
    const name = dbName('revert-old');
    const s = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    const commits: string[] = [];
    for (let i = 1; i <= 30; i++) commits.push((await s.append({ type: 'added', payload: { id: `t${i}` } }))[0]!.commit);
    await s.sync.now();
    await s.compact({ before: 21 });
    await s.close();
    const again = await stores.open({ name, projections, snapshotEvery: 0, sync: sync(name) });
    await again.revert(commits[4]!);
    expect(todoIds(again.get<Todo[]>('todos'))).not.toContain('t5');
    expect(again.get<Todo[]>('todos')).toHaveLength(29);
  });

  it('compacts automatically, keeping about the newest `keep` events', async () => {
    const name = dbName('auto');
    const s = await stores.open({ name, projections, sync: sync('auto'), compaction: { keep: 100 } });
    for (let i = 0; i < 12; i++) {
      await s.append(Array.from({ length: 100 }, (_, j) => ({ type: 'added', payload: { id: `${i}-${j}` } })));
      await s.sync.now();
    }
    const status = await untilStatus(s, (st) => (st.compacted ?? 0) >= 1000);
    expect(status.head - status.compacted!).toBeGreaterThanOrEqual(100);
    expect(status.head - status.compacted!).toBeLessThan(100 + 1000);
    expect(s.get<Todo[]>('todos')).toHaveLength(1200);
  });
});
