import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSyncError } from '../../../src/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { untilStatus as until } from '../../support/wait.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';
import { within } from '../../support/within.ts';

// The background loop, without sync.now(): it goes quiet offline, comes back on `online`,
// waits as long as Retry-After says, and starts its backoff over after a round succeeds.
const stores = storesPerTest();
const server = syncServerPerTest(stores);
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the sync loop', () => {
  it('stays quiet while offline and syncs by itself once online again', async () => {
    const events = new EventTarget();
    const navigator = { onLine: false };
    vi.stubGlobal('navigator', navigator);
    vi.stubGlobal('addEventListener', events.addEventListener.bind(events));
    vi.stubGlobal('removeEventListener', events.removeEventListener.bind(events));
    let requests = 0;
    const fetchSpy: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const store = await stores.open({
      name: dbName('offline'),
      projections,
      sync: { url: server.url, logId: 'offline', live: false, fetch: fetchSpy },
    });
    expect(store.status.sync).toBe('offline');
    await store.append({ type: 'added', payload: { id: 'a' } });
    await store.append({ type: 'added', payload: { id: 'b' } });
    expect(store.status).toMatchObject({ sync: 'offline', pending: 2 });
    expect(requests).toBe(0);
    navigator.onLine = true;
    events.dispatchEvent(new Event('online'));
    const synced = await until(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(synced.lastSyncedAt).toBeGreaterThan(0);
    expect(requests).toBeGreaterThan(0);
    expect((await store.events()).every((e) => !e.pending)).toBe(true);
  });

  it('retries by itself after a failure, no sooner than Retry-After', async () => {
    const attempts: number[] = [];
    const fetchSpy: typeof fetch = async (input, init) => {
      const method = init?.method ?? 'GET';
      if (method === 'POST') attempts.push(performance.now());
      if (method === 'POST' && attempts.length === 1) {
        return Response.json({ error: { code: 'unavailable', message: 'busy' } }, { status: 503, headers: { 'Retry-After': '1' } });
      }
      return fetch(input, init);
    };
    const store = await stores.open({
      name: dbName('retry'),
      projections,
      sync: { url: server.url, logId: 'retry', live: false, fetch: fetchSpy },
    });
    await store.append({ type: 'added', payload: { id: 'a' } });
    const failed = await until(store, (s) => s.sync === 'error');
    expect(failed.lastError?.message).toContain('503');
    await until(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(950);
  });

  it('pause() stops all traffic and now() rejects while paused; resume() syncs what waited', async () => {
    let requests = 0;
    const fetchSpy: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const store = await stores.open({
      name: dbName('pause'),
      projections,
      sync: { url: server.url, logId: 'pause', live: true, fetch: fetchSpy },
    });
    await store.sync.now();
    store.sync.pause();
    expect(store.status.sync).toBe('paused');
    const before = requests;
    await store.append({ type: 'added', payload: { id: 'a' } });
    const error = await rejection(store.sync.now());
    expect(isSyncError(error)).toBe(true);
    expect(requests).toBe(before);
    expect(store.status).toMatchObject({ sync: 'paused', pending: 1 });
    store.sync.resume();
    await until(store, (s) => s.pending === 0);
    expect(requests).toBeGreaterThan(before);
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

    const store = await stores.open({
      name: dbName('backoff-reset'),
      projections,
      sync: { url: server.url, logId: 'backoff-reset', live: false, fetch: fetchSpy },
    });
    await store.sync.now();
    // The jitter factor: 0 makes the first episode's retries immediate, 1 makes a delay its cap.
    let jitter = 0;
    vi.spyOn(Math, 'random').mockImplementation(() => jitter);

    // First episode: six failed rounds in a row (the backoff grows to 250 ms * 2^5), then a success.
    failing = 6;
    await store.append({ type: 'added', payload: { id: 'x1' } });
    expect(await within(pushes(7), 5_000), 'the first episode ends').not.toBe('timed out');
    await until(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(pushedAt).toHaveLength(7);

    // Second episode: one failure. Its retry waits the first step of the backoff (250 ms), not
    // a delay grown from the first episode (250 ms * 2^6 = 16 s).
    jitter = 1;
    failing = 1;
    await store.append({ type: 'added', payload: { id: 'x2' } });
    expect(await within(pushes(9), 5_000), 'the retry of the second episode comes soon').not.toBe('timed out');
    expect(pushedAt[8]! - pushedAt[7]!).toBeLessThan(4_000);
    await until(store, (s) => s.pending === 0 && s.sync === 'idle');
    expect(store.get<Todo[]>('todos').map((t) => t.id)).toEqual(['x1', 'x2']);
  });
});
