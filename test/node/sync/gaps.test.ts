/**
 * Sync paths that no other test drives to the end: pending commits rebased locally after
 * remote events pulled while their own push was on its way, the backoff starting over after
 * a success, and a catch-up that takes several full pull pages.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineProjection, type CreateStoreOptions, type Store, type StoredEvent } from '../../../src/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { untilStatus } from '../../support/wait.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';

const stores = storesPerTest();
const server = syncServerPerTest(stores);
afterEach(() => {
  vi.restoreAllMocks();
});

async function replica(logId: string, options: { fetch?: typeof fetch; projections?: CreateStoreOptions['projections'] } = {}): Promise<Store> {
  return stores.open({
    name: dbName('gaps'),
    projections: options.projections ?? projections,
    sync: { url: server.url, logId, live: false, ...(options.fetch ? { fetch: options.fetch } : {}) },
  });
}

/** Resolves with the promise's value, or with 'timed out' after `ms`: a hang fails an assertion instead of the test timeout. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

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

const todoId = (e: StoredEvent) => (e.payload as { id: string }).id;
const layout = (events: StoredEvent[]) => events.map((e) => `${e.position}:${todoId(e)}${e.pending ? ' (pending)' : ''}`);

describe('sync gaps', () => {
  it('rebases pending commits after remote events pulled while their push was held', async () => {
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

  it('starts the backoff over after a successful round: a later failure is retried as soon as a first one', async () => {
    // Each push fails while `failing` > 0; pushes are timed.
    let failing = 0;
    const pushedAt: number[] = [];
    const pushWaiters: { count: number; resolve: () => void }[] = [];
    const fetchSpy = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.method !== 'POST') return fetch(request);
      pushedAt.push(performance.now());
      for (const w of pushWaiters.filter((w) => pushedAt.length >= w.count)) w.resolve();
      if (failing > 0) {
        failing--;
        return Response.json({ error: { code: 'unavailable', message: 'busy' } }, { status: 503 });
      }
      return fetch(request);
    }) as typeof fetch;
    const pushes = (count: number) =>
      new Promise<void>((resolve) => {
        if (pushedAt.length >= count) resolve();
        else pushWaiters.push({ count, resolve });
      });

    const store = await replica('backoff-reset', { fetch: fetchSpy });
    await store.sync.now();
    // The jitter factor: 0 makes the first episode's retries immediate, 1 makes a delay its cap.
    let jitter = 0;
    vi.spyOn(Math, 'random').mockImplementation(() => jitter);

    // First episode: six failed rounds in a row (the backoff grows to 250 ms * 2^5), then a success.
    failing = 6;
    await store.append({ type: 'added', payload: { id: 'x1' } });
    expect(await within(pushes(7), 5_000), 'the first episode ends').not.toBe('timed out');
    await untilStatus(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(pushedAt).toHaveLength(7);

    // Second episode: one failure. Its retry waits the first step of the backoff (250 ms), not
    // a delay grown from the first episode (250 ms * 2^6 = 16 s).
    jitter = 1;
    failing = 1;
    await store.append({ type: 'added', payload: { id: 'x2' } });
    expect(await within(pushes(9), 5_000), 'the retry of the second episode comes soon').not.toBe('timed out');
    expect(pushedAt[8]! - pushedAt[7]!).toBeLessThan(4_000);
    await untilStatus(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['x1', 'x2']);
  });

  it('catches up over several full pull pages, each event once and in order', async () => {
    // 2500 events reach the server straight over HTTP, in three commits of at most 1000
    // events (its maxEventsPerPush): the replica below pulls pages of 1000.
    const seeded: string[] = [];
    for (const [from, size] of [[0, 1000], [1000, 1000], [2000, 500]] as const) {
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
    expect(fresh.status).toMatchObject({ head: 2500, pending: 0 });
  });


});
