import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isSyncError, type Store } from '../../../src/index.ts';
import { dbName, projections } from '../../support/fixtures.ts';
import { untilStatus as until } from '../../support/wait.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';

// The background loop, without sync.now(): it goes quiet offline, comes back on `online`,
// and waits as long as Retry-After says.
const stores = storesPerTest();
const server = syncServerPerTest(stores);
afterEach(() => {
  vi.unstubAllGlobals();
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
    const store = await stores.open({ name: dbName('offline'), projections, sync: { url: server.url, logId: 'offline', live: false, fetch: fetchSpy } });
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
    const store = await stores.open({ name: dbName('retry'), projections, sync: { url: server.url, logId: 'retry', live: false, fetch: fetchSpy } });
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
    const store = await stores.open({ name: dbName('pause'), projections, sync: { url: server.url, logId: 'pause', live: true, fetch: fetchSpy } });
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
});
