import 'fake-indexeddb/auto';
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { defineProjection, type StoredEvent } from '../../src/index.ts';
import { counter, dbName, referenceState } from '../support/fixtures.ts';
import { storesPerTest } from '../support/stores.ts';

const stores = storesPerTest();

/** A projection that counts how many events its reducer saw, to prove what was replayed. */
function counted(name: string, version = 1, step = 1) {
  const seen = { calls: 0 };
  const projection = defineProjection<number>({
    name,
    version,
    initial: () => 0,
    reduce: (n, e: StoredEvent) => {
      seen.calls++;
      return n + step * ((e.payload as { n?: number } | null)?.n ?? 1);
    },
  });
  return { projection, seen };
}

class Tally {
  constructor(readonly n: number) {}
  plus(k: number): Tally {
    return new Tally(this.n + k);
  }
}
/** A state of a class instance: structured clone would keep its fields and lose its class. */
const tally = defineProjection<Tally>({ name: 'tally', initial: () => new Tally(0), reduce: (s) => s.plus(1) });

async function snapshotRows(name: string): Promise<{ projection: string; version: number; position: number }[]> {
  const db = new Dexie(name);
  await db.open();
  const rows = await db.table('snapshots').toArray();
  db.close();
  return rows.map(({ projection, version, position }) => ({ projection, version, position }));
}

describe('snapshots', () => {
  it('stores one per projection every snapshotEvery events, keyed by name, version and position', async () => {
    const name = dbName();
    const { projection } = counted('sum');
    const s = await stores.open({ name, projections: { sum: projection }, snapshotEvery: 5 });
    for (let i = 0; i < 7; i++) await s.append({ type: 'n', payload: { n: 1 } });
    await s.append(Array.from({ length: 6 }, () => ({ type: 'n', payload: { n: 1 } })));
    expect(s.status.head).toBe(13);
    expect((await snapshotRows(name)).map((r) => r.position)).toEqual([5, 10]);
    expect((await snapshotRows(name))[0]).toEqual({ projection: 'sum', version: 1, position: 5 });
  });

  it('writes none with snapshotEvery 0 and still derives the same state', async () => {
    const name = dbName();
    const s = await stores.open({ name, projections: { counter }, snapshotEvery: 0 });
    for (let i = 0; i < 12; i++) await s.append({ type: 'n', payload: { n: i } });
    expect(await snapshotRows(name)).toEqual([]);
    expect(s.get('counter')).toEqual(referenceState(counter, await s.events()));
  });

  it('never snapshots a state that structured clone would change: a class instance stays one after a reopen and in stateAt()', async () => {
    const name = dbName();
    const a = await stores.open({ name, projections: { tally }, snapshotEvery: 2 });
    for (let i = 0; i < 5; i++) await a.append({ type: 'x' });
    await a.close();
    const b = await stores.open({ name, projections: { tally }, snapshotEvery: 2 });
    expect(b.get<Tally>('tally')).toBeInstanceOf(Tally);
    expect(b.get<Tally>('tally').n).toBe(5);
    await b.append({ type: 'x' });
    expect(b.get<Tally>('tally').n).toBe(6);
    expect((await b.stateAt<Tally>('tally', { position: 3 })).plus(0)).toEqual(new Tally(3));
  });

  it('reopens a 100k-event log by replaying only the tail after the newest snapshot', async () => {
    const name = dbName('big');
    const first = counted('sum');
    const writer = await stores.open({ name, projections: { sum: first.projection }, snapshotEvery: 1000 });
    for (let batch = 0; batch < 100; batch++) {
      await writer.append(Array.from({ length: 1000 }, () => ({ type: 'n', payload: { n: 1 } })));
    }
    await writer.append(Array.from({ length: 250 }, () => ({ type: 'n', payload: { n: 1 } })));
    expect(writer.get('sum')).toBe(100_250);
    await writer.close();

    const again = counted('sum');
    const reader = await stores.open({ name, projections: { sum: again.projection }, snapshotEvery: 1000 });
    expect(reader.get('sum')).toBe(100_250);
    expect(again.seen.calls).toBe(250);
    expect(reader.status.head).toBe(100_250);
  }, 120_000);

  it('ignores snapshots of another projection version and rebuilds them', async () => {
    const name = dbName();
    const v1 = counted('sum', 1, 1);
    const a = await stores.open({ name, projections: { sum: v1.projection }, snapshotEvery: 4 });
    for (let i = 0; i < 10; i++) await a.append({ type: 'n', payload: { n: 1 } });
    expect(a.get('sum')).toBe(10);
    await a.close();

    const v2 = counted('sum', 2, 10); // the reducer changed: each event now counts 10
    const b = await stores.open({ name, projections: { sum: v2.projection }, snapshotEvery: 4 });
    expect(b.get('sum')).toBe(100);
    expect(v2.seen.calls).toBe(10);
    const rows = await snapshotRows(name);
    expect(rows.filter((r) => r.version === 2).map((r) => r.position)).toEqual([4, 8]);
    expect(await b.stateAt('sum', { position: 6 })).toBe(60);
  });

  it('snapshots the head after undoing old history, so the next undo and start-up stay short', async () => {
    const name = dbName();
    const { projection, seen } = counted('sum');
    const s = await stores.open({ name, projections: { sum: projection }, snapshotEvery: 3 });
    const commits: string[] = [];
    for (let i = 1; i <= 12; i++) commits.push((await s.append({ type: 'n', payload: { n: i } }))[0]!.commit);
    await s.revert(commits[1]!); // undo n=2 at position 2: every snapshot after 2 is stale for the head
    expect(s.get('sum')).toBe(78 - 2);
    expect((await snapshotRows(name)).map((r) => r.position)).toContain(13);
    const [late] = await s.append({ type: 'n', payload: { n: 100 } });
    seen.calls = 0;
    await s.revert(late!.commit); // starts from the snapshot at 13
    expect(s.get('sum')).toBe(76);
    expect(seen.calls).toBe(0);
    await s.close();
    const again = counted('sum');
    const reopened = await stores.open({ name, projections: { sum: again.projection }, snapshotEvery: 3 });
    expect(reopened.get('sum')).toBe(76);
    expect(again.seen.calls).toBeLessThanOrEqual(2);
    expect(await reopened.stateAt('sum', { position: 12 })).toBe(78);
    expect(await reopened.stateAt('sum', { position: 13 })).toBe(76);
  });
});
