/**
 * Compaction and undo markers (worker/compact.ts, core/markers.ts latestValidStart): the
 * compaction point never lands on or after the start of a commit that a later marker undoes,
 * or the snapshot there would bake that commit in for good.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/index.ts';
import { dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
function store(name: string): Promise<Store> {
  return stores.open({ name, projections, snapshotEvery: 0 });
}

const titles = (s: Store) => s.get<Todo[]>('todos').map((t) => t.id);

describe('compact() before a reverted commit', () => {
  it('never puts the point on the last position of a commit that a later marker undoes: reopened, it stays undone', async () => {
    const name = dbName('compact-undone-at-point');
    const s = await store(name);
    await s.append({ type: 'added', payload: { id: 'a' } }); // 1
    const [b] = await s.append({ type: 'added', payload: { id: 'b' } }); // 2
    await s.revert(b!.commit); // 3: $undo of the commit at 2
    await s.append({ type: 'added', payload: { id: 'c' } }); // 4
    const all = await s.events();
    expect(all.map((e) => `${e.position}:${e.type}`)).toEqual(['1:added', '2:added', '3:$undo', '4:added']);
    expect(titles(s)).toEqual(['a', 'c']);

    // 2 is wanted, but the snapshot there would hold b, which the marker at 3 undoes.
    const result = await s.compact({ before: 3 });
    expect(result.compacted).toBeLessThanOrEqual(1);
    expect(titles(s)).toEqual(['a', 'c']);
    await s.close();

    // Reopened from the snapshot at the point plus the events after it.
    const again = await store(name);
    expect(again.status.compacted ?? 0).toBe(result.compacted);
    expect(titles(again)).toEqual(['a', 'c']);
    expect(await again.state('todos')).toEqual(referenceState(todos, all));
    const kept = await again.events({ after: result.compacted });
    expect(kept.map((e) => e.id)).toEqual(all.slice(result.compacted).map((e) => e.id));
    expect(kept.map((e) => e.id)).toContain(b!.id); // the undone commit stays, so replay can skip it
    // Time travel after the point: b is in effect until the marker at 3.
    const at = async (position: number) => (await again.stateAt<Todo[]>('todos', { position })).map((t) => t.id);
    expect(await at(2)).toEqual(['a', 'b']);
    expect(await at(3)).toEqual(['a']);
    expect(await at(4)).toEqual(['a', 'c']);
  });
});
