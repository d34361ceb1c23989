import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Syncer, type HttpTransport } from '../../../src/sync/index.ts';
import type { IntegrateResult, SyncHost } from '../../../src/sync/host.ts';
import type { PushResponse, PositionedEvent } from '../../../src/protocol/wire.ts';

// One syncing store per database: the leader lock (Web Locks where the platform has them,
// across tabs; else a lock within this JS realm). Node 20 has no navigator, so the in-realm
// lock runs unless a test stubs navigator.locks.

type Patch = Parameters<SyncHost['setSync']>[0];

/** A replica with nothing pending; it counts the rounds its syncer ran (one pull each). */
function node(lockName: string) {
  let rounds = 0;
  const host: SyncHost = {
    pushable: async () => ({ confirmed: 0, commits: [] }),
    confirmedHead: async () => 0,
    integrate: async (): Promise<IntegrateResult> => ({ gap: false, confirmed: 0, rejected: [], changed: false }),
    setSync: (_patch: Patch) => undefined,
  };
  const transport = {
    setToken: () => undefined,
    push: async (): Promise<PushResponse> => ({ results: [], head: 0 }),
    pull: async (): Promise<{ events: PositionedEvent[]; head: number }> => {
      rounds++;
      return { events: [], head: 0 };
    },
  };
  const syncer = new Syncer(host, transport as unknown as HttpTransport, { live: false, lockName, pollInterval: 1_000 });
  open.push(syncer);
  return {
    syncer,
    get rounds() {
      return rounds;
    },
  };
}

/** A node whose syncer has started (its loop waits for the lock). */
function started(lockName: string): ReturnType<typeof node> {
  const n = node(lockName);
  n.syncer.start();
  return n;
}

/** A LockManager stand-in: exclusive locks by name, granted in request order, honouring `signal`. */
function lockManager() {
  const queues = new Map<string, Promise<void>>();
  const requests: { name: string; signal: AbortSignal | undefined }[] = [];
  const request = (name: string, options: { signal?: AbortSignal }, task: () => Promise<void>): Promise<void> => {
    requests.push({ name, signal: options.signal });
    const previous = queues.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    queues.set(
      name,
      previous.then(() => mine),
    );
    return new Promise<void>((resolve, reject) => {
      let granted = false;
      options.signal?.addEventListener('abort', () => {
        if (granted) return;
        release();
        reject(options.signal!.reason);
      });
      void previous.then(async () => {
        if (options.signal?.aborted) return;
        granted = true;
        try {
          await task();
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          release();
        }
      });
    });
  };
  /** Another tab takes the lock and holds it until the returned function is called. */
  const hold = (name: string): (() => void) => {
    let done!: () => void;
    void request(name, {}, () => new Promise<void>((resolve) => (done = resolve)));
    return () => done();
  };
  return { request, hold, requests };
}

const open: Syncer[] = [];
const settle = () => vi.advanceTimersByTimeAsync(0);
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  const closing = Promise.all(open.splice(0).map((s) => s.close()));
  await vi.runAllTimersAsync();
  await closing;
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('the leader lock within one realm', () => {
  it('lets one syncer per lock name run the loop; the next leads once the first closes', async () => {
    const a = node('db-1');
    const b = node('db-1');
    const other = node('db-2');
    for (const n of [a, b, other]) n.syncer.start();
    await settle();
    expect([a.syncer.leading, b.syncer.leading, other.syncer.leading]).toEqual([true, false, true]);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(b.rounds).toBe(0);
    expect(a.rounds).toBe(4);
    expect(other.rounds).toBe(4);
    // The one that does not lead still syncs on demand.
    await b.syncer.now();
    expect(b.rounds).toBe(1);
    await a.syncer.close();
    expect(a.syncer.leading).toBe(false);
    await settle();
    expect(b.syncer.leading).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(b.rounds).toBe(3);
  });

  it('passes the lock down a queue: the third waits while the second holds it', async () => {
    const a = started('db');
    const b = started('db');
    await settle();
    await a.syncer.close();
    await settle();
    expect(b.syncer.leading).toBe(true);
    const c = started('db');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(c.syncer.leading).toBe(false);
    expect(c.rounds).toBe(0);
    await b.syncer.close();
    await settle();
    expect(c.syncer.leading).toBe(true);
  });

  it('a syncer closed while it waits for the lock never leads', async () => {
    const a = started('db');
    const b = started('db');
    await settle();
    await b.syncer.close();
    expect(b.syncer.leading).toBe(false);
    await a.syncer.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(b.syncer.leading).toBe(false);
    expect(b.rounds).toBe(0);
  });

  // lead() used to forget the name's queue when a waiter gave up, although an earlier
  // holder still held the lock: the next syncer on that name led at once, beside the holder.
  it('a syncer closed while it waits does not let a later one lead beside the holder', async () => {
    const a = started('db');
    const b = started('db');
    await settle();
    await b.syncer.close();
    const c = started('db');
    await settle();
    expect([a.syncer.leading, c.syncer.leading]).toEqual([true, false]);
    await a.syncer.close();
    await settle();
    expect(c.syncer.leading).toBe(true);
  });

  it('a lock freed by its last holder is free for the next syncer at once', async () => {
    const a = started('db');
    await settle();
    await a.syncer.close();
    const b = started('db');
    await settle();
    expect(b.syncer.leading).toBe(true);
    expect(b.rounds).toBe(1);
  });

  it('a syncer closed right after start() never runs a round', async () => {
    const a = started('db');
    await a.syncer.close();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(a.rounds).toBe(0);
    expect(a.syncer.leading).toBe(false);
  });
});

describe('the leader lock with Web Locks', () => {
  it('takes the named lock through navigator.locks: a store in another tab holding it keeps this one from leading', async () => {
    const locks = lockManager();
    vi.stubGlobal('navigator', { locks });
    const release = locks.hold('eventloom:sync:todos');
    const a = started('eventloom:sync:todos');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(a.syncer.leading).toBe(false);
    expect(a.rounds).toBe(0);
    expect(locks.requests.map((r) => r.name)).toEqual(['eventloom:sync:todos', 'eventloom:sync:todos']);
    release();
    await settle();
    expect(a.syncer.leading).toBe(true);
    expect(a.rounds).toBe(1);
  });

  it('close() while waiting for the lock gives up the request', async () => {
    const locks = lockManager();
    vi.stubGlobal('navigator', { locks });
    locks.hold('db');
    const a = started('db');
    await settle();
    await a.syncer.close();
    expect(locks.requests[1]!.signal?.aborted).toBe(true);
    expect(a.syncer.leading).toBe(false);
  });
});
