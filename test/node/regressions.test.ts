import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { createStore, defineProjection, isProjectionError, type Store } from '../../src/index.ts';
import { dbName } from '../support/fixtures.ts';

const open: Store[] = [];
async function make(options: Parameters<typeof createStore>[0]): Promise<Store> {
  const s = await createStore(options);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A balance that refuses to go below zero: a pure rule that can make a replay throw. */
const bank = defineProjection<number>({
  name: 'bank',
  initial: () => 0,
  reduce: (s, e) => {
    const n = (e.payload as { n?: number } | null)?.n ?? 0;
    if (e.type === 'deposit') return s + n;
    if (e.type === 'withdraw') {
      if (s < n) throw new Error(`overdrawn: ${s} < ${n}`);
      return s - n;
    }
    return s;
  },
});

class Tally {
  constructor(readonly n: number) {}
  plus(k: number): Tally {
    return new Tally(this.n + k);
  }
}
const tally = defineProjection<Tally>({ name: 'tally', initial: () => new Tally(0), reduce: (s) => s.plus(1) });

describe('regressions', () => {
  it('a revert that fails in a group commit leaves no marker behind in memory', async () => {
    const s = await make({ name: dbName(), projections: { bank } });
    const [deposit] = await s.append({ type: 'deposit', payload: { n: 10 } });
    await s.append({ type: 'withdraw', payload: { n: 10 } });
    const [other] = await s.append({ type: 'other' });
    const [ok, bad] = await Promise.allSettled([s.revert(other!.commit), s.revert(deposit!.commit)]);
    expect(ok.status).toBe('fulfilled');
    expect(isProjectionError((bad as PromiseRejectedResult).reason)).toBe(true);
    expect((await s.events()).map((e) => e.type)).toEqual(['deposit', 'withdraw', 'other', '$undo']);
    // the same call on the same log fails the same way, and a later undo works
    expect(isProjectionError(await s.revert(deposit!.commit).catch((e: unknown) => e))).toBe(true);
    await s.append({ type: 'deposit', payload: { n: 5 } });
    expect(await s.undo()).toBe(true);
    expect(s.get('bank')).toBe(0);
  });

  it('never snapshots a state that structured clone would change (class instances)', async () => {
    const name = dbName();
    const a = await createStore({ name, projections: { tally }, snapshotEvery: 2 });
    for (let i = 0; i < 5; i++) await a.append({ type: 'x' });
    await a.close();
    const b = await make({ name, projections: { tally }, snapshotEvery: 2 });
    expect(b.get<Tally>('tally')).toBeInstanceOf(Tally);
    expect(b.get<Tally>('tally').n).toBe(5);
    await b.append({ type: 'x' });
    expect(b.get<Tally>('tally').n).toBe(6);
    expect((await b.stateAt<Tally>('tally', { position: 3 })).plus(0)).toEqual(new Tally(3));
  });

  it('a store opened while another appends to the same database catches up', async () => {
    const name = dbName();
    const writer = await make({ name, projections: { bank } });
    const writes = Array.from({ length: 40 }, () => writer.append({ type: 'deposit', payload: { n: 1 } }));
    const reader = await make({ name, projections: { bank } });
    await Promise.all(writes);
    await new Promise<void>((resolve) => {
      if (reader.get('bank') === 40) return resolve();
      const off = reader.subscribe<number>('bank', (n) => {
        if (n === 40) {
          off();
          resolve();
        }
      });
    });
    expect(reader.status.head).toBe(40);
  });

  it('keeps one group commit alive through hundreds of queued appends, guarded ones and undos', async () => {
    const s = await make({ name: dbName(), projections: { bank } });
    const plain = Array.from({ length: 300 }, (_, i) =>
      s.append({ type: 'deposit', payload: { n: 1 }, stream: `s${i % 50}` }, i < 50 ? { expectedVersion: 'none' } : undefined),
    );
    const mixed = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? s.undo() : i % 3 === 1 ? s.redo() : s.append({ type: 'deposit', payload: { n: 1 } })));
    const results = await Promise.allSettled([...plain, ...mixed]);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason)).toEqual([]);
    const log = await s.events();
    expect(log.map((e) => e.position)).toEqual(log.map((_, i) => i + 1));
    expect(log.filter((e) => !e.type.startsWith('$'))).toHaveLength(320);
  });
});
