import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isInvalidEventError } from '../../src/index.ts';
import { dbName, projections, referenceState, todos, type Todo } from '../support/fixtures.ts';
import { counting } from '../support/readCounter.ts';
import { rejection } from '../support/rejection.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();
afterEach(() => {
  vi.restoreAllMocks();
});

async function at(time: number, action: () => Promise<unknown>): Promise<void> {
  const spy = vi.spyOn(Date, 'now').mockReturnValue(time);
  try {
    await action();
  } finally {
    spy.mockRestore();
  }
}

describe('stateAt', () => {
  it('gives the initial state at position 0 and the current state at or past the head', async () => {
    const s = await stores.open({ name: dbName(), projections });
    await s.append({ type: 'added', payload: { id: 'a' } });
    expect(await s.stateAt('todos', { position: 0 })).toEqual([]);
    expect(await s.stateAt('todos', { position: 1 })).toEqual(s.get('todos'));
    expect(await s.stateAt('todos', { position: 99 })).toEqual(s.get('todos'));
  });

  it('honours only the markers at or before the position', async () => {
    const s = await stores.open({ name: dbName(), projections, snapshotEvery: 2 });
    await s.append({ type: 'added', payload: { id: 'a' } });
    await s.append({ type: 'added', payload: { id: 'b' } });
    await s.undo(); // 3
    await s.redo(); // 4
    await s.undo(); // 5
    const ids = async (position: number) => (await s.stateAt<Todo[]>('todos', { position })).map((t) => t.id);
    expect(await ids(2)).toEqual(['a', 'b']);
    expect(await ids(3)).toEqual(['a']);
    expect(await ids(4)).toEqual(['a', 'b']);
    expect(await ids(5)).toEqual(['a']);
  });

  it('replays events by time, including clocks out of order between clients', async () => {
    const name = dbName();
    const a = await stores.open({ name, projections, clientId: 'a', snapshotEvery: 2 });
    const b = await stores.open({ name, projections, clientId: 'b', snapshotEvery: 2 });
    await at(1000, () => a.append({ type: 'added', payload: { id: 'a1' } })); // pos 1, t=1000
    await at(3000, () => a.append({ type: 'added', payload: { id: 'a2' } })); // pos 2, t=3000
    await at(2000, () => b.append({ type: 'added', payload: { id: 'b1' } })); // pos 3, t=2000 (b's clock is behind)
    await at(4000, () => a.append({ type: 'added', payload: { id: 'a3' } })); // pos 4
    await at(5000, () => a.undo()); // pos 5 undoes a3
    const ids = async (time: number) => (await a.stateAt<Todo[]>('todos', { time })).map((t) => t.id);
    expect(await ids(999)).toEqual([]);
    expect(await ids(1000)).toEqual(['a1']);
    expect(await ids(2500)).toEqual(['a1', 'b1']);
    expect(await ids(3000)).toEqual(['a1', 'a2', 'b1']);
    expect(await ids(4500)).toEqual(['a1', 'a2', 'b1', 'a3']);
    expect(await ids(5000)).toEqual(['a1', 'a2', 'b1']);
    expect(await ids(Number.MAX_SAFE_INTEGER)).toEqual(a.get<Todo[]>('todos').map((t) => t.id));
  });

  it('equals a replay of the prefix at every position of a log with snapshots', async () => {
    const s = await stores.open({ name: dbName(), projections, snapshotEvery: 3 });
    for (let i = 0; i < 10; i++) await s.append({ type: 'added', payload: { id: `t${i}` } });
    await s.undo();
    await s.append({ type: 'toggled', payload: { id: 't2' } });
    const log = await s.events();
    for (let p = 0; p <= log.length; p++) {
      expect(await s.stateAt('todos', { position: p })).toEqual(referenceState(todos, log.slice(0, p)));
    }
  });

  it('by time, reads one snapshot and the records around that time, not every record or snapshot after it', async () => {
    const s = await stores.open({ name: dbName(), projections, snapshotEvery: 500 });
    // 40 commits of 100 events (one record each), a second apart; commit 20's clock is a
    // minute behind, so its events count at every time after 959,000.
    for (let i = 0; i < 40; i++) {
      const time = i === 20 ? 1_000_000 + 19_000 - 60_000 : 1_000_000 + i * 1000;
      await at(time, () => s.append(Array.from({ length: 100 }, (_, j) => ({ type: 'added', payload: { id: `t${i}-${j}` } }))));
    }
    const log = await s.events();
    // At 1,012,000: the snapshot at 1000 (all its events by 1,009,000), then commits 10–12 and 20.
    // At 1,033,500: the snapshot at 3000 (commit 20 is in it), then commits 30–33 only, not 34–39.
    for (const time of [1_012_000, 1_033_500]) {
      const { value, records, snapshots } = await counting(() => s.stateAt('todos', { time }));
      expect(value).toEqual(
        referenceState(
          todos,
          log.filter((e) => e.time <= time),
        ),
      );
      expect(records, `records read at time ${time}`).toBe(4);
      // The snapshot is found by its time (an index), not by reading newer ones back to it.
      expect(snapshots, `snapshots read at time ${time}`).toBe(1);
    }
  });

  it('rejects a malformed point with InvalidEventError', async () => {
    const s = await stores.open({ name: dbName(), projections });
    for (const bad of [{}, { position: 'x' }, { time: Number.NaN }, null]) {
      expect(isInvalidEventError(await rejection(() => s.stateAt('todos', bad as never)))).toBe(true);
    }
  });
});
