import { describe, expect, it, vi } from 'vitest';
import { SyncError, isSyncError } from '../../../src/index.ts';
import { Syncer, type HttpTransport } from '../../../src/sync/index.ts';
import type { SyncerOptions } from '../../../src/sync/syncer.ts';
import { FakeReplica as Replica, fakeSyncClock, settle, type SyncPatch as Patch } from '../../support/fakeReplica.ts';
import { FakeServer } from '../../support/fakeServer.ts';
import { rejection } from '../../support/rejection.ts';

// The background loop on fake timers: exponential backoff with jitter (Math.random() pinned),
// Retry-After, polling, now() and poke() during a backoff, offline, pause/resume/close and
// the 401 stop. The replica and server are in memory; only the loop's timing is under test.

let lock = 0;
let n = 0;
function setup(options: Partial<SyncerOptions> = {}) {
  const replica = new Replica();
  const server = new FakeServer();
  const syncer = new Syncer(replica, server as unknown as HttpTransport, { live: false, lockName: `retry-${lock++}`, ...options });
  const append = () => {
    const id = `e${n++}`;
    replica.pending.push([{ id, type: 'added', payload: { id }, stream: 'todos', clientId: 'client-1', commit: id, time: 1 }]);
    syncer.poke();
  };
  return { replica, server, syncer, append };
}

const failure = (status: number, retryAfter?: number) =>
  new SyncError(`The sync server answered ${status} (x): no`, {
    details: { status, code: 'x', ...(retryAfter === undefined ? {} : { retryAfter }) },
  });

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]!);

const syncers = fakeSyncClock();
function started(options: Partial<SyncerOptions> = {}) {
  const s = setup(options);
  syncers.push(s.syncer);
  s.syncer.start();
  return s;
}

describe('backoff', () => {
  it('doubles from minDelay up to maxDelay between failed rounds, and starts over after a success', async () => {
    const { server, replica, append } = started({ minDelay: 100, maxDelay: 500 });
    let failing = true;
    server.pushFault = () => (failing ? failure(503) : undefined);
    append();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 500 + 500);
    expect(gaps(server.pushes)).toEqual([100, 200, 400, 500, 500]);
    expect(replica.status.sync).toBe('error');
    failing = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(replica.status.sync).toBe('idle');
    expect(replica.pending).toEqual([]);
    failing = true;
    const before = server.pushes.length;
    const appendedAt = Date.now();
    append();
    await settle();
    expect(server.pushes.slice(before)).toEqual([appendedAt]);
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(gaps(server.pushes.slice(before))).toEqual([100, 200]);
  });

  it('waits a random share of the cap (full jitter)', async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    const { server, append } = started({ minDelay: 100, maxDelay: 10_000 });
    server.pushFault = () => failure(503);
    append();
    await vi.advanceTimersByTimeAsync(50 + 100 + 200);
    expect(gaps(server.pushes)).toEqual([50, 100, 200]);
  });

  it('by default waits 250 ms first and never more than 30 s', async () => {
    const { server, append } = started();
    server.pushFault = () => failure(503);
    append();
    await vi.advanceTimersByTimeAsync(250 + 500 + 1000 + 2000 + 4000 + 8000 + 16_000 + 30_000 + 30_000);
    expect(gaps(server.pushes)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it('never retries sooner than Retry-After, even when the jitter is shorter', async () => {
    vi.mocked(Math.random).mockReturnValue(0);
    const { server, append } = started({ minDelay: 100 });
    let retryAfter = 3_000;
    server.pushFault = () => failure(503, retryAfter);
    append();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(server.pushes).toHaveLength(1);
    // From the next failure on, a Retry-After shorter than the jitter: the jitter.
    vi.mocked(Math.random).mockReturnValue(1);
    retryAfter = 50;
    await vi.advanceTimersByTimeAsync(1);
    expect(server.pushes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(200 + 400);
    expect(gaps(server.pushes)).toEqual([3_000, 200, 400]);
  });

  it('a failed pull backs off the same way', async () => {
    const { server, replica } = started({ minDelay: 100 });
    server.pullFault = () => failure(502);
    await vi.advanceTimersByTimeAsync(100 + 200);
    expect(gaps(server.pulls)).toEqual([100, 200]);
    expect(replica.status).toMatchObject({
      sync: 'error',
      lastError: { name: 'SyncError', message: 'The sync server answered 502 (x): no' },
    });
  });
});

describe('what cuts a wait short', () => {
  it('an append (poke) does not cut a backoff short; now() does', async () => {
    const { server, syncer, append } = started({ minDelay: 1_000 });
    server.pushFault = () => failure(503);
    append();
    await settle();
    expect(server.pushes).toHaveLength(1);
    append();
    syncer.poke();
    await vi.advanceTimersByTimeAsync(999);
    expect(server.pushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.pushes).toHaveLength(2);
    server.pushFault = undefined;
    const now = syncer.now();
    await settle();
    expect(server.pushes).toHaveLength(3);
    await now;
  });

  it('now() starts the backoff over', async () => {
    const { server, syncer, append } = started({ minDelay: 100 });
    server.pushFault = () => failure(503);
    append();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    expect(server.pushes).toHaveLength(4);
    await rejection(syncer.now());
    const t = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(server.pushes.slice(-2)).toEqual([t, t + 100]);
  });

  it('an append during a round that fails waits out the backoff too', async () => {
    const { server, replica, append } = started({ minDelay: 1_000 });
    server.pushFault = () => {
      append(); // appended while the push is in flight
      return failure(503);
    };
    append();
    await settle();
    expect(server.pushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.pushes).toHaveLength(1);
    expect(replica.status.sync).toBe('error');
  });

  it('now() during a round that fails runs the next round at once, not after the backoff', async () => {
    const { server, syncer, append } = started({ minDelay: 10_000 });
    let waiting: Promise<unknown> | undefined;
    server.pushFault = () => {
      if (!waiting) {
        waiting = syncer.now().then(
          () => 'resolved',
          (e: unknown) => e,
        );
        return failure(503);
      }
      return undefined;
    };
    append();
    await settle();
    expect(server.pushes).toHaveLength(2);
    expect(await waiting).toBe('resolved');
  });

  it('while idle, rounds come every pollInterval; a poke runs one at once', async () => {
    const { server, syncer } = started({ pollInterval: 1_000 });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(gaps(server.pulls)).toEqual([1_000, 1_000, 1_000]);
    await vi.advanceTimersByTimeAsync(400);
    syncer.poke();
    await settle();
    expect(gaps(server.pulls).at(-1)).toBe(400);
  });

  it('a poke before the first round is served by it: the next round comes after pollInterval', async () => {
    const { server, syncer, replica } = started({ pollInterval: 1_000 });
    syncer.poke();
    await vi.advanceTimersByTimeAsync(999);
    expect(server.pulls).toHaveLength(1);
    expect(replica.statuses).toEqual(['idle', 'syncing', 'idle']);
  });

  it('shows syncing while a round runs', async () => {
    const { server, replica, append } = started();
    const seen: Patch['sync'][] = [];
    server.pushFault = () => {
      seen.push(replica.status.sync);
      return undefined;
    };
    server.pullFault = () => {
      seen.push(replica.status.sync);
      return undefined;
    };
    append();
    await settle();
    expect(seen).toEqual(['syncing', 'syncing']);
    expect(replica.status.sync).toBe('idle');
  });

  it('polls every 5 s by default', async () => {
    const { server } = started();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gaps(server.pulls)).toEqual([5_000, 5_000]);
  });

  it('resume() of a store that is not paused changes nothing: a backoff goes on', async () => {
    const { server, replica, syncer, append } = started({ minDelay: 1_000 });
    server.pushFault = () => failure(503);
    append();
    await settle();
    syncer.resume();
    expect(replica.status.sync).toBe('error');
    await vi.advanceTimersByTimeAsync(999);
    expect(server.pushes).toHaveLength(1);
  });
});

describe('now()', () => {
  it('resolves when the round it asked for succeeds, and rejects with its error', async () => {
    const { server, syncer, replica, append } = started({ pollInterval: 60_000 });
    await settle();
    append();
    await settle();
    expect(replica.pending).toEqual([]);
    server.pullFault = () => failure(500);
    const error = await rejection(syncer.now());
    expect(error.message).toBe('The sync server answered 500 (x): no');
    server.pullFault = undefined;
    await vi.advanceTimersByTimeAsync(60_000);
    await syncer.now();
    expect(replica.status.sync).toBe('idle');
  });

  it('a failure that is not an Error still rejects with a SyncError that says what it was', async () => {
    const { replica, syncer } = setup();
    for (const thrown of ['disk gone', null]) {
      replica.pushable = () => Promise.reject(thrown);
      const error = await rejection(syncer.now());
      expect([error.name, error.message]).toEqual(['SyncError', `Sync failed: ${String(thrown)}`]);
      expect(replica.status.lastError).toEqual({ name: 'SyncError', message: `Sync failed: ${String(thrown)}` });
    }
  });

  it('several callers of now() share one round', async () => {
    const { server, syncer } = started({ pollInterval: 60_000 });
    await settle();
    const before = server.pulls.length;
    await Promise.all([syncer.now(), syncer.now(), syncer.now()]);
    expect(server.pulls.length - before).toBe(1);
  });

  it('on a store that does not lead runs one round itself', async () => {
    const { server, replica, syncer, append } = setup();
    append();
    await syncer.now();
    expect(syncer.leading).toBe(false);
    expect(server.pushes).toHaveLength(1);
    expect(replica.pending).toEqual([]);
    expect(replica.status.sync).toBe('idle');
    expect(replica.status.lastSyncedAt).toBe(Date.now());
  });
});

describe('offline', () => {
  function network(onLine: boolean) {
    const events = new EventTarget();
    const listeners = new Map<string, number>();
    const navigator = { onLine };
    vi.stubGlobal('navigator', navigator);
    vi.stubGlobal('addEventListener', (type: string, fn: () => void) => {
      listeners.set(type, (listeners.get(type) ?? 0) + 1);
      events.addEventListener(type, fn);
    });
    vi.stubGlobal('removeEventListener', (type: string, fn: () => void) => {
      listeners.set(type, (listeners.get(type) ?? 0) - 1);
      events.removeEventListener(type, fn);
    });
    return {
      navigator,
      listeners,
      fire: (type: 'online' | 'offline') => {
        navigator.onLine = type === 'online';
        events.dispatchEvent(new Event(type));
      },
    };
  }

  it('starts as offline, sends nothing, and syncs on the online event', async () => {
    const net = network(false);
    const { server, replica, append } = started({ pollInterval: 60_000 });
    expect(replica.status.sync).toBe('offline');
    append();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(server.pushes).toEqual([]);
    expect(server.pulls).toEqual([]);
    expect(replica.statuses.every((s) => s === 'offline')).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    net.fire('online');
    await settle();
    expect(server.pushes).toHaveLength(1);
    expect(replica.status.sync).toBe('idle');
    expect(replica.pending).toEqual([]);
  });

  it('looks at navigator.onLine every second even without the event (workers get none)', async () => {
    const net = network(false);
    const { server } = started();
    await vi.advanceTimersByTimeAsync(2_500);
    net.navigator.onLine = true;
    await vi.advanceTimersByTimeAsync(499);
    expect(server.pulls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.pulls).toHaveLength(1);
  });

  it('the offline event wakes the loop, which shows offline at once', async () => {
    const net = network(true);
    const { replica } = started({ pollInterval: 60_000 });
    await settle();
    expect(replica.status.sync).toBe('idle');
    net.fire('offline');
    await settle();
    expect(replica.status.sync).toBe('offline');
  });

  it('a round that fails to reach the server while offline shows offline, not error', async () => {
    const net = network(true);
    const { server, replica, syncer, append } = setup();
    append();
    server.pushFault = () => failure(0);
    server.pullFault = () => failure(0);
    net.navigator.onLine = false;
    expect(isSyncError(await rejection(syncer.now()))).toBe(true);
    expect(replica.status.sync).toBe('offline');
    // Online, the same failure is an error; offline, a refusal is one too.
    net.navigator.onLine = true;
    await rejection(syncer.now());
    expect(replica.status.sync).toBe('error');
    net.navigator.onLine = false;
    server.pullFault = () => failure(503);
    server.pushFault = () => failure(503);
    await rejection(syncer.now());
    expect(replica.status.sync).toBe('error');
  });

  it('close() removes its online/offline listeners', async () => {
    const net = network(true);
    const { syncer } = setup();
    syncer.start();
    expect(Object.fromEntries(net.listeners)).toEqual({ online: 1, offline: 1 });
    await syncer.close();
    expect(Object.fromEntries(net.listeners)).toEqual({ online: 0, offline: 0 });
  });
});

describe('pause, resume, close', () => {
  it('pause() stops the loop and rejects a waiting now(); resume() syncs at once', async () => {
    const { server, replica, syncer, append } = started({ minDelay: 10_000 });
    await settle();
    server.pullFault = () => failure(503);
    await rejection(syncer.now());
    // A now() waiting for the loop (the loop is backing off after the failure, 10 s).
    vi.mocked(Math.random).mockReturnValue(1);
    server.pullFault = () => failure(503);
    const waiting = rejection(syncer.now());
    syncer.pause();
    const paused = await waiting;
    expect(paused.name).toBe('SyncError');
    expect(paused.message).toBe('Sync was paused');
    expect(syncer.paused).toBe(true);
    expect(replica.status.sync).toBe('paused');
    const now = await rejection(syncer.now());
    expect(now.message).toBe('Sync is paused: call sync.resume() first');
    server.pullFault = undefined;
    append();
    const requests = server.pulls.length + server.pushes.length;
    await vi.advanceTimersByTimeAsync(3_600_000 * 2);
    expect(server.pulls.length + server.pushes.length).toBe(requests);
    expect(replica.status.sync).toBe('paused');
    syncer.resume();
    expect(syncer.paused).toBe(false);
    expect(replica.status.sync).toBe('idle');
    await settle();
    expect(replica.pending).toEqual([]);
    expect(server.pushes.length).toBeGreaterThan(0);
  });

  it('pause() during a round stops it before its next request and shows paused', async () => {
    const { server, replica, syncer, append } = setup();
    append();
    server.pushFault = () => {
      syncer.pause();
      return undefined;
    };
    const error = await rejection(syncer.now());
    expect(error.message).toBe('Sync was paused');
    expect(server.pulls).toEqual([]);
    expect(replica.status).toMatchObject({ sync: 'paused', lastError: { name: 'SyncError', message: 'Sync was paused' } });
  });

  it('pause() after a push, during the pull: the round that succeeds still shows paused', async () => {
    const { server, replica, syncer, append } = setup();
    append();
    server.pullFault = () => {
      syncer.pause();
      return undefined;
    };
    await syncer.now();
    expect(replica.status.sync).toBe('paused');
  });

  it('resume() while offline shows offline', async () => {
    vi.stubGlobal('navigator', { onLine: false });
    const { replica, syncer } = setup();
    syncer.pause();
    syncer.resume();
    expect(replica.status.sync).toBe('offline');
  });

  it('resume() starts over the backoff', async () => {
    const { server, syncer, append } = started({ minDelay: 100 });
    server.pushFault = () => failure(503);
    append();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    syncer.pause();
    syncer.resume();
    await settle();
    const t = Date.now();
    await vi.advanceTimersByTimeAsync(100);
    expect(server.pushes.at(-1)).toBe(t + 100);
  });

  it('close() rejects a waiting now(), stops the loop, and now() after it rejects', async () => {
    const { server, syncer } = started({ minDelay: 10_000 });
    await settle();
    server.pullFault = () => failure(503);
    await rejection(syncer.now());
    const waiting = rejection(syncer.now());
    expect(syncer.leading).toBe(true);
    await syncer.close();
    const closed = await waiting;
    expect([closed.name, closed.message]).toEqual(['SyncError', 'The store was closed']);
    expect(syncer.leading).toBe(false);
    const requests = server.pulls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.pulls.length).toBe(requests);
    const after = await rejection(syncer.now());
    expect([after.name, after.message]).toEqual(['SyncError', 'The store is closed']);
    await syncer.close(); // twice is fine
  });

  it('close() during a round that fails ends the loop at once, without a backoff', async () => {
    const { server, syncer, append } = started({ minDelay: 60_000 });
    let closing: Promise<void> | undefined;
    server.pushFault = () => {
      closing = syncer.close();
      return failure(503);
    };
    append();
    await settle();
    let closed = false;
    void closing!.then(() => (closed = true));
    await settle();
    expect(closed).toBe(true);
    // A round whose push failed because the store closed does not go on to pull.
    expect(server.pulls).toEqual([]);
  });
});

describe('a 401', () => {
  it('without a token function stops the loop until setToken(); then it syncs at once', async () => {
    const { server, replica, syncer, append } = started({ minDelay: 100 });
    server.pushFault = () => (server.token === 'fresh' ? undefined : failure(401));
    append();
    await settle();
    expect(replica.status.lastError?.message).toBe(
      'The sync server answered 401 (x): no. Sync stops until the app gives a new token with store.sync.setToken()',
    );
    await vi.advanceTimersByTimeAsync(3 * 3_600_000);
    expect(server.pushes).toHaveLength(1);
    syncer.setToken('fresh');
    await settle();
    expect(server.pushes).toHaveLength(2);
    expect(replica.pending).toEqual([]);
    expect(replica.status.sync).toBe('idle');
  });

  it('now() after a 401 stop still tries once', async () => {
    const { server, syncer, append } = started();
    server.pushFault = () => failure(401);
    append();
    await settle();
    const error = await rejection(syncer.now());
    expect(error.details?.['status']).toBe(401);
    expect(server.pushes).toHaveLength(2);
  });

  it('setToken() while not stopped by a 401 only changes the token: a backoff goes on', async () => {
    const { server, syncer, append } = started({ minDelay: 1_000 });
    server.pushFault = () => failure(503);
    append();
    await settle();
    syncer.setToken('other');
    expect(server.token).toBe('other');
    await vi.advanceTimersByTimeAsync(999);
    expect(server.pushes).toHaveLength(1);
  });

  it('setToken() after a 401 starts over the backoff', async () => {
    const { server, syncer, append } = started({ minDelay: 100 });
    let refuse = true;
    server.pushFault = () => (refuse ? failure(401) : failure(503));
    append();
    await settle();
    refuse = false;
    syncer.setToken('fresh');
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    expect(gaps(server.pushes).slice(1)).toEqual([100]);
  });

  it('setToken() refuses anything but a non-empty string', () => {
    const { syncer } = setup();
    for (const bad of ['', 42, undefined]) {
      expect(() => syncer.setToken(bad as string)).toThrow(new TypeError('sync.setToken() needs a non-empty token string'));
    }
  });

  it('with a token function: asked at start, before any request, and again after each 401', async () => {
    const given = ['first', 'second'];
    let calls = 0;
    let answer!: (token: string) => void;
    const token = vi.fn(() => new Promise<string>((resolve) => (answer = resolve)));
    const { server, replica, append } = started({ minDelay: 100, token });
    server.pushFault = () => (server.token === 'second' ? undefined : failure(401));
    append();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(server.pushes).toEqual([]);
    answer(given[calls++]!);
    await settle();
    expect(server.pushes).toHaveLength(1);
    expect(token).toHaveBeenCalledTimes(2);
    expect(replica.status.lastError?.message).toBe('The sync server answered 401 (x): no');
    answer(given[calls++]!);
    await vi.advanceTimersByTimeAsync(100);
    expect(server.pushes).toHaveLength(2);
    expect(replica.pending).toEqual([]);
    expect(server.tokens).toEqual(['first', 'second']);
  });

  it('a token function that fails or gives an empty token keeps the old token', async () => {
    let call = 0;
    const token = async () => {
      call++;
      if (call === 2) throw new Error('no token service');
      // An empty token, then (from plain JavaScript) something that is not a string at all.
      return call === 1 ? 'first' : call === 3 ? '' : (['not', 'a', 'token'] as unknown as string);
    };
    const { server } = started({ minDelay: 100, token });
    server.pullFault = () => failure(401);
    await vi.advanceTimersByTimeAsync(100);
    await settle();
    expect(call).toBe(3);
    expect(server.tokens).toEqual(['first']);
    await vi.advanceTimersByTimeAsync(200);
    await settle();
    expect(call).toBe(4);
    expect(server.tokens).toEqual(['first']);
  });

  it('now() on a store that does not lead waits for the token function too', async () => {
    let answer!: (token: string) => void;
    const { server, syncer } = setup({ token: () => new Promise<string>((resolve) => (answer = resolve)) });
    // Another store holds the lock (Web Locks) for as long as this one lives.
    const request = (_name: string, options: { signal: AbortSignal }) =>
      new Promise((_, reject) => options.signal.addEventListener('abort', () => reject(options.signal.reason)));
    vi.stubGlobal('navigator', { locks: { request } });
    syncers.push(syncer);
    syncer.start();
    const now = syncer.now();
    await settle();
    expect(server.pulls).toEqual([]);
    answer('t');
    await now;
    expect(server.tokens).toEqual(['t']);
    expect(server.pulls).toHaveLength(1);
  });
});
