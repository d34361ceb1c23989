import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { defineProjection, isInvalidEventError, type CreateStoreOptions, type Store, type StoredEvent } from '../../../src/index.ts';
import { countingProjection, dbName, projections, referenceState, todos, type Todo } from '../../support/fixtures.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';
import { counting } from '../../support/readCounter.ts';
import { within } from '../../support/within.ts';
import { rejection } from '../../support/rejection.ts';

const stores = storesPerTest();
const server = syncServerPerTest(stores);

async function replica(
  logId: string,
  options: { live?: boolean; clientId?: string; fetch?: typeof fetch; projections?: CreateStoreOptions['projections']; name?: string } = {},
): Promise<Store> {
  return stores.open({
    name: options.name ?? dbName('replica'),
    projections: options.projections ?? projections,
    sync: { url: server.url, logId, live: options.live ?? false, ...(options.fetch ? { fetch: options.fetch } : {}) },
    ...(options.clientId ? { clientId: options.clientId } : {}),
  });
}

const shape = (events: StoredEvent[]) => events.map((e) => ({ id: e.id, position: e.position, pending: e.pending, commit: e.commit }));
const todoId = (e: StoredEvent) => (e.payload as { id: string }).id;
const layout = (events: StoredEvent[]) => events.map((e) => `${e.position}:${todoId(e)}${e.pending ? ' (pending)' : ''}`);

/**
 * A fetch that holds each push (POST) before it reaches the server until the test releases
 * it (`next()` gives the pushes in order of arrival); after passThrough(), every held push
 * goes on and later ones go at once.
 */
function heldPushes(): { fetch: typeof fetch; next(): Promise<{ ids: string[]; release(): void }>; passThrough(): void } {
  const arrived: { ids: string[]; release(): void }[] = [];
  const unreleased = new Set<() => void>();
  let arrival: (() => void) | undefined;
  let holding = true;
  return {
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.method === 'POST' && holding) {
        const body = (await request.clone().json()) as { events: { id: string }[] };
        await new Promise<void>((resolve) => {
          const release = () => {
            unreleased.delete(release);
            resolve();
          };
          unreleased.add(release);
          arrived.push({ ids: body.events.map((e) => e.id), release });
          arrival?.();
        });
      }
      return fetch(request);
    }) as typeof fetch,
    next: async () => {
      while (arrived.length === 0) await new Promise<void>((resolve) => (arrival = resolve));
      arrival = undefined;
      return arrived.shift()!;
    },
    passThrough: () => {
      holding = false;
      for (const release of [...unreleased]) release();
    },
  };
}

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
    expect(
      a
        .get<Todo[]>('todos')
        .map((t) => t.id)
        .sort(),
    ).toEqual(['a1', 'a2', 'b1']);
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

  it('rebases pending commits after remote events pulled while their own push was on its way', async () => {
    const pushes = heldPushes();
    const a = await replica('rebase-held');
    const b = await replica('rebase-held', { fetch: pushes.fetch });
    try {
      await b.sync.now(); // the server is still empty

      const [b1] = await b.append({ type: 'added', payload: { id: 'b1' } });
      const first = await pushes.next(); // B's push of b1, not yet at the server
      expect(first.ids).toEqual([b1!.id]);

      await a.append({ type: 'added', payload: { id: 'a1' } });
      await a.append({ type: 'added', payload: { id: 'a2' } });
      await a.sync.now(); // the server: a1 at 1, a2 at 2
      const [b2] = await b.append({ type: 'added', payload: { id: 'b2' } });
      expect(layout(await b.events())).toEqual(['1:b1 (pending)', '2:b2 (pending)']);

      // b1 lands at 3; the round's pull brings a1, a2, b1 while b2 is still pending here, so b2
      // is rebased after them locally, before its own push.
      first.release();
      const second = await pushes.next();
      expect(second.ids).toEqual([b2!.id]);
      expect(layout(await b.events())).toEqual(['1:a1', '2:a2', '3:b1', '4:b2 (pending)']);
      expect(b.status).toMatchObject({ head: 4, pending: 1 });
      expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2', 'b1', 'b2']);

      pushes.passThrough();
      await b.sync.now();
      await a.sync.now();
      const logB = await b.events();
      expect(layout(logB)).toEqual(['1:a1', '2:a2', '3:b1', '4:b2']);
      expect(logB.map((e) => e.id)).toEqual((await a.events()).map((e) => e.id));
      expect(logB.slice(2).map((e) => e.id)).toEqual([b1!.id, b2!.id]); // rebased, same ids
      expect(b.status).toMatchObject({ head: 4, pending: 0 });
      expect(b.get('todos')).toEqual(a.get('todos'));
    } finally {
      pushes.passThrough(); // nothing stays held, whatever failed
    }
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
    expect(shape(await b.events())).toEqual(
      shape(
        await a.events().then(async () => {
          await a.sync.now();
          return a.events();
        }),
      ),
    );
    // Dealt with, the app clears it: kept until then (a reopen too), ids it does not hold ignored.
    expect(await b.sync.clearRejected(['not-a-commit'])).toBe(0);
    expect(await b.sync.rejected()).toHaveLength(1);
    expect(await b.sync.clearRejected([rejected[0]!.commit, 'not-a-commit'])).toBe(1);
    expect(await b.sync.rejected()).toEqual([]);
    expect(await b.sync.clearRejected()).toBe(0);
    expect(isInvalidEventError(await rejection(b.sync.clearRejected('all' as never)))).toBe(true);
  });

  it('clears every rejected commit with clearRejected(), and keeps them across a reopen until then', async () => {
    const a = await replica('log-3b');
    const name = dbName('rejected');
    const b = await replica('log-3b', { name });
    b.sync.pause();
    await a.append({ type: 'added', payload: { id: 'x' }, stream: 'doc' }, { expectedVersion: 'none' });
    await a.append({ type: 'added', payload: { id: 'x2' }, stream: 'doc2' }, { expectedVersion: 'none' });
    await a.sync.now();
    await b.append({ type: 'added', payload: { id: 'y' }, stream: 'doc' }, { expectedVersion: 'none' });
    await b.append({ type: 'added', payload: { id: 'y2' }, stream: 'doc2' }, { expectedVersion: 'none' });
    b.sync.resume();
    await b.sync.now();
    expect(await b.sync.rejected()).toHaveLength(2);
    await b.close();
    const again = await replica('log-3b', { name });
    expect(await again.sync.rejected()).toHaveLength(2);
    expect(await again.sync.clearRejected()).toBe(2);
    expect(await again.sync.rejected()).toEqual([]);
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
    // The live page said the server's head: b has all of it.
    expect(b.status).toMatchObject({ head: 1, behind: 0 });
  });

  it('recomputes a rebase from the nearest snapshot, not from the start', async () => {
    const { counting, calls } = countingProjection();
    const make = async (clientId: string) => {
      return stores.open({
        name: dbName('rebase'),
        projections: { counting },
        snapshotEvery: 10,
        clientId,
        sync: { url: server.url, logId: 'log-5', live: false },
      });
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

  it('a new replica catches up over several full pull pages, each event once and in order', async () => {
    // 2500 events reach the server straight over HTTP, in three commits of at most 1000
    // events (its maxEventsPerPush): the replica below pulls pages of 1000.
    const seeded: string[] = [];
    for (const [from, size] of [
      [0, 1000],
      [1000, 1000],
      [2000, 500],
    ] as const) {
      const events = Array.from({ length: size }, (_, i) => ({
        id: `seed-${from + i + 1}`,
        type: 'added',
        payload: { id: `e${from + i + 1}` },
        stream: 'list',
        clientId: 'seeder',
        commit: `seed-commit-${from}`,
        time: 1_700_000_000_000 + from + i,
      }));
      const response = await fetch(`${server.url}/v1/logs/pages/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events }),
      });
      expect(response.status).toBe(200);
      expect(((await response.json()) as { head: number }).head).toBe(from + size);
      seeded.push(...events.map((e) => e.id));
    }

    const count = defineProjection<number>({ name: 'count', initial: () => 0, reduce: (n) => n + 1 });
    const fresh = await replica('pages', { projections: { count } });
    expect(fresh.status.behind).toBeUndefined(); // not known before the server answers
    const behind: (number | undefined)[] = [];
    fresh.onStatus((s) => {
      if (s.behind !== behind.at(-1)) behind.push(s.behind);
    });
    // A pull whose cursor does not move never ends: bounded, that fails an assertion instead.
    const synced = fresh.sync.now().then(
      () => 'synced',
      (error: unknown) => error,
    );
    expect(await within(synced, 20_000)).toBe('synced');
    const log = await fresh.events();
    expect(log).toHaveLength(2500);
    expect(log.map((e) => e.position)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    expect(log.map((e) => e.id)).toEqual(seeded);
    expect(log.map(todoId)).toEqual(Array.from({ length: 2500 }, (_, i) => `e${i + 1}`));
    expect(log.every((e) => !e.pending)).toBe(true);
    expect(fresh.get<number>('count')).toBe(2500);
    expect(fresh.status).toMatchObject({ head: 2500, pending: 0, behind: 0 });
    // Catch-up progress, page by page (status.behind): what the server has past the confirmed head.
    expect(behind).toEqual([2500, 1500, 500, 0]);
  });
});
