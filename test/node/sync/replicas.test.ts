import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Store, StoredEvent } from '../../../src/index.ts';
import { countingProjection, dbName, projections, referenceState, todos, type Todo } from '../../support/fixtures.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';
import { counting } from '../../support/readCounter.ts';

const stores = storesPerTest();
const server = syncServerPerTest(stores);

async function replica(logId: string, options: { live?: boolean; clientId?: string } = {}): Promise<Store> {
  return stores.open({ name: dbName('replica'), projections, sync: { url: server.url, logId, live: options.live ?? false }, ...(options.clientId ? { clientId: options.clientId } : {}) });
}

const shape = (events: StoredEvent[]) => events.map((e) => ({ id: e.id, position: e.position, pending: e.pending, commit: e.commit }));

describe('two replicas through a real server', () => {
  it('converge on one log (same ids, same positions) and one state after offline appends', async () => {
    const a = await replica('log-1');
    const b = await replica('log-1');
    a.sync.pause();
    b.sync.pause();
    await a.append({ type: 'added', payload: { id: 'a1', title: 'from a' } });
    await a.append({ type: 'added', payload: { id: 'a2', title: 'from a' } });
    await b.append({ type: 'added', payload: { id: 'b1', title: 'from b' } });
    expect(a.status).toMatchObject({ pending: 2, sync: 'paused' });
    expect((await a.events()).every((e) => e.pending)).toBe(true);
    a.sync.resume();
    b.sync.resume();
    await a.sync.now();
    await b.sync.now();
    await a.sync.now();
    const logA = await a.events();
    const logB = await b.events();
    expect(shape(logA)).toEqual(shape(logB));
    expect(logA.map((e) => e.position)).toEqual([1, 2, 3]);
    expect(logA.every((e) => !e.pending)).toBe(true);
    expect(a.get('todos')).toEqual(b.get('todos'));
    expect(a.get<Todo[]>('todos').map((t) => t.id).sort()).toEqual(['a1', 'a2', 'b1']);
    expect(a.get('todos')).toEqual(referenceState(todos, logA));
    expect(a.status).toMatchObject({ pending: 0, head: 3, sync: 'idle' });
    expect(a.status.lastSyncedAt).toBeGreaterThan(0);
  });

  it('rebases pending events after remote ones, keeping their ids, and undo still works', async () => {
    const a = await replica('log-2', { clientId: 'a' });
    const b = await replica('log-2', { clientId: 'b' });
    b.sync.pause();
    const [mine] = await b.append({ type: 'added', payload: { id: 'b1' } });
    expect(mine?.position).toBe(1);
    await a.append({ type: 'added', payload: { id: 'a1' } });
    await a.append({ type: 'added', payload: { id: 'a2' } });
    await a.sync.now();
    b.sync.resume();
    await b.sync.now();
    const logB = await b.events();
    expect(logB.map((e) => e.id)).toEqual([...(await a.events()).map((e) => e.id), mine!.id].slice(0, 3));
    expect(logB.find((e) => e.id === mine!.id)?.position).toBe(3);
    expect(await b.undo()).toBe(true);
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2']);
    await b.sync.now();
    await a.sync.now();
    expect(a.get('todos')).toEqual(b.get('todos'));
  });

  it('drops a commit the server rejects for expectedVersion, reports it, and keeps it in rejected()', async () => {
    const a = await replica('log-3');
    const b = await replica('log-3');
    b.sync.pause();
    await a.append({ type: 'added', payload: { id: 'x' }, stream: 'doc' }, { expectedVersion: 'none' });
    await a.sync.now();
    await b.append({ type: 'added', payload: { id: 'y' }, stream: 'doc' }, { expectedVersion: 'none' }); // b has not seen a's
    await b.append({ type: 'added', payload: { id: 'z' } });
    b.sync.resume();
    await b.sync.now();
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['x', 'z']);
    const rejected = await b.sync.rejected();
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ reason: { name: 'ConcurrencyError' }, streamVersion: 1 });
    expect(rejected[0]?.events.map((e) => (e.payload as { id: string }).id)).toEqual(['y']);
    expect(b.status.lastError?.name).toBe('ConcurrencyError');
    expect(b.status.pending).toBe(0);
    expect(shape(await b.events())).toEqual(shape(await a.events().then(async () => { await a.sync.now(); return a.events(); })));
  });

  it('receives remote events live, without sync.now()', async () => {
    const a = await replica('log-4', { live: true });
    const b = await replica('log-4', { live: true });
    const arrived = new Promise<Todo[]>((resolve) => {
      const off = b.subscribe<Todo[]>('todos', (list) => {
        if (list.length === 1) {
          off();
          resolve(list);
        }
      });
    });
    await a.append({ type: 'added', payload: { id: 'live', title: 'pushed by a' } });
    await a.sync.now();
    expect((await arrived)[0]?.id).toBe('live');
  });

  it('recomputes a rebase from the nearest snapshot, not from the start', async () => {
    const { counting, calls } = countingProjection();
    const make = async (clientId: string) => {
      return stores.open({ name: dbName('rebase'), projections: { counting }, snapshotEvery: 10, clientId, sync: { url: server.url, logId: 'log-5', live: false } });
    };
    const a = await make('a');
    const b = await make('b');
    for (let i = 0; i < 5; i++) await a.append(Array.from({ length: 10 }, () => ({ type: 'n' })));
    await a.sync.now();
    await b.sync.now();
    b.sync.pause();
    await b.append({ type: 'mine' }); // pending at 51
    await a.append({ type: 'theirs' }); // confirmed at 51 on the server
    await a.sync.now();
    calls.n = 0;
    b.sync.resume();
    await b.sync.now();
    expect(b.get('counting')).toBe(52);
    expect(calls.n).toBeLessThanOrEqual(2); // from the snapshot at 50: theirs, then mine rebased
    expect((await b.events({ after: 50 })).map((e) => [e.position, e.type, e.pending])).toEqual([
      [51, 'theirs', false],
      [52, 'mine', false],
    ]);
  });

  it("another replica's events and its revert of our commit: undo() and the flags follow without walking our history", async () => {
    const a = await replica('log-undo-run');
    const b = await replica('log-undo-run');
    const ids = (s: Store) => s.get<Todo[]>('todos').map((t) => t.id);
    await a.append({ type: 'added', payload: { id: 'a1' } });
    // A run of our commits, each undone: more own events than the 2048 kept in memory.
    for (let i = 0; i < 1100; i++) {
      await a.append({ type: 'added', payload: { id: `x${i}` } });
      await a.undo();
    }
    await a.append({ type: 'added', payload: { id: 'a2' } });
    await a.sync.now();
    await b.sync.now();
    const [a2] = (await b.events({ type: 'added' })).filter((e) => (e.payload as { id: string }).id === 'a2');
    await b.append({ type: 'added', payload: { id: 'b1' } });
    await b.revert(a2!.commit);
    await b.sync.now();
    // The pull reads the records it replays from the last snapshot (~200 events), nothing of
    // a's own history: not the run, not a1 (walking back over the run read ~740 records).
    const { records } = await counting(() => a.sync.now());
    expect(records).toBeLessThan(20);
    expect(ids(a)).toEqual(['a1', 'b1']);
    expect(a.status).toMatchObject({ canUndo: true, canRedo: false, pending: 0 });
    expect(await a.undo()).toBe(true); // a1: a2 is undone already
    expect(ids(a)).toEqual(['b1']);
    expect(await a.undo()).toBe(false);
    expect(await a.redo()).toBe(true);
    expect(ids(a)).toEqual(['a1', 'b1']);
  });

  it('redo() has nothing to redo once the server rejected the undone commit', async () => {
    const a = await replica('log-6');
    const b = await replica('log-6');
    b.sync.pause();
    await b.append({ type: 'added', payload: { id: 'mine' }, stream: 'doc' }, { expectedVersion: 'none' });
    expect(await b.undo()).toBe(true);
    expect(b.status.canRedo).toBe(true);
    await a.append({ type: 'added', payload: { id: 'theirs' }, stream: 'doc' });
    await a.sync.now();
    b.sync.resume();
    await b.sync.now();
    // The commit (its stream moved on) and then its $undo (its target is not in the log).
    const rejected = await b.sync.rejected();
    expect(rejected.map((r) => [r.events[0]?.type, r.reason.name])).toEqual([
      ['added', 'ConcurrencyError'],
      ['$undo', 'InvalidEventError'],
    ]);
    expect(b.status.canRedo).toBe(false);
    expect(await b.redo()).toBe(false);
    expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['theirs']);
  });
});
