/**
 * Compaction and restores with more than one store on a database, and reads racing a
 * compaction: the cases a review's randomized probe found (worker/history.ts,
 * worker/batch.ts followBase, engine #readLog). Each once gave a silently wrong answer or a
 * store that could no longer write.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/index.ts';
import { dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';
import { syncServerPerTest } from '../support/syncServer.ts';

const stores = storesPerTest();
const server = syncServerPerTest(stores);
async function store(name: string, logId?: string): Promise<Store> {
  return stores.open({ name, projections, snapshotEvery: 0, ...(logId ? { sync: { url: server.url, logId, live: false } } : {}) });
}
const ids = (list: Todo[]) => list.map((t) => t.id);

describe('reads racing a compaction', () => {
  for (const mode of ['same store', 'another tab'] as const) {
    it(`${mode}: stateAt() and events() answer from the whole log or fail, never from one with a hole`, async () => {
      for (let round = 0; round < 10; round++) {
        const name = dbName('race');
        const a = await store(name);
        const b = mode === 'same store' ? a : await store(name);
        await a.append(Array.from({ length: 10 }, (_, i) => ({ type: 'added', payload: { id: `a${i}` } })));
        for (let i = 0; i < 40; i++) await a.append({ type: 'added', payload: { id: `t${i}` } });
        await b.state('todos');
        const all = await a.events();
        const read = b.stateAt<Todo[]>('todos', { position: 45 }).then((s) => s.length, (e: Error) => e.name);
        const listed = b.events({ after: 0 }).then((e) => e.length, (e: Error) => e.name);
        for (let i = 0; i < round; i++) await Promise.resolve();
        await a.compact({ before: 41 });
        expect([45, 'HistoryUnavailableError']).toContain(await read);
        expect([all.length, 'HistoryUnavailableError']).toContain(await listed);
      }
    });
  }
});

describe('restores and other tabs', () => {
  it("a tab that did not restore still answers stateAt() with the restored markers", async () => {
    const name = dbName('restored-markers');
    const s = await store(name, name);
    const [c] = await s.append({ type: 'added', payload: { id: 'c' } }); // 1
    for (let i = 2; i <= 3; i++) await s.append({ type: 'added', payload: { id: `t${i}` } });
    await s.revert(c!.commit); // 4 undoes 1
    for (let i = 5; i <= 10; i++) await s.append({ type: 'added', payload: { id: `t${i}` } });
    await s.sync.now();
    const all = await s.events();
    await s.compact({ before: 9 });
    await s.close();
    const a = await store(name, name);
    const b = await store(name, name);
    const want = ids(referenceState(todos, all.slice(0, 5)));
    expect(ids(await a.stateAt<Todo[]>('todos', { position: 5 }))).toEqual(want); // a restores 1..8
    expect(ids(await b.stateAt<Todo[]>('todos', { position: 5 }))).toEqual(want); // b reads what a restored
  });

  it('after a restore in one tab, the other tab writes on (its point follows)', async () => {
    const name = dbName('restore-tabs');
    const a = await store(name, name);
    const b = await store(name, name);
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
    expect(ids(b.get<Todo[]>('todos'))).not.toContain('c');
    expect(ids(b.get<Todo[]>('todos'))).toContain('b2');
  });

  it('a tab that slept through more compactions than the rewrite log keeps still writes', async () => {
    const name = dbName('many-compactions');
    const a = await store(name);
    const b = await store(name);
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

  it('revert() of a commit before the point fetches it and undoes it', async () => {
    const name = dbName('revert-old');
    const s = await store(name, name);
    const commits: string[] = [];
    for (let i = 1; i <= 30; i++) commits.push((await s.append({ type: 'added', payload: { id: `t${i}` } }))[0]!.commit);
    await s.sync.now();
    await s.compact({ before: 21 });
    await s.close();
    const again = await store(name, name);
    await again.revert(commits[4]!);
    expect(ids(again.get<Todo[]>('todos'))).not.toContain('t5');
    expect(again.get<Todo[]>('todos')).toHaveLength(29);
  });
});
