/**
 * The sync loop of one store: push pending commits, pull confirmed events, keep a live
 * stream open, retry with exponential backoff and jitter (honouring Retry-After), stay
 * quiet while offline. Only the leader among the stores on one database runs the loop
 * (Web Locks where available, else a lock within this JS realm); now() works in any.
 *
 * Invariants:
 * 1. Nothing here writes the log: every change goes through host.integrate(), one
 *    transaction that re-reads the confirmed head, so rounds that overlap (a leader's and
 *    another tab's now()) cannot duplicate or lose an event.
 * 2. A push that fails after the server stored it is retried with the same ids: the server
 *    answers with the original positions (idempotency), and the pull brings them back once.
 */
import { SyncError, isProtocolError, isSyncError } from '../core/errors/index.ts';
import type { StoreStatus } from '../worker/contract.ts';
import type { IntegrateInput, IntegrateResult } from '../worker/integrate.ts';
import type { HttpTransport } from './http.ts';
import type { WireEvent } from './protocol.ts';

export interface SyncHost {
  pendingWire(): Promise<WireEvent[][]>;
  confirmedHead(): Promise<number>;
  integrate(input: IntegrateInput): Promise<IntegrateResult>;
  setSync(patch: Pick<StoreStatus, 'sync'> & Partial<Pick<StoreStatus, 'lastSyncedAt' | 'lastError'>>): void;
}

export interface SyncerOptions {
  live: boolean;
  /** Names the leader lock: one syncing store per database. */
  lockName: string;
  maxEventsPerPush?: number;
  pullLimit?: number;
  /** Backoff: first delay and cap, ms. */
  minDelay?: number;
  maxDelay?: number;
  /** Without a live stream, pull this often while idle, ms. */
  pollInterval?: number;
}

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

export class Syncer {
  readonly #host: SyncHost;
  readonly #transport: HttpTransport;
  readonly #options: Required<SyncerOptions>;
  #closed = false;
  #paused = false;
  #leader = false;
  #attempt = 0;
  #wake: (() => void) | undefined;
  #woken = false;
  #waiters: Waiter[] = [];
  #live: { abort: AbortController; done: Promise<void> } | undefined;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #onOnline = () => this.#poke();
  readonly #onOffline = () => {
    this.#stopLive();
    this.#poke();
  };

  constructor(host: SyncHost, transport: HttpTransport, options: SyncerOptions) {
    this.#host = host;
    this.#transport = transport;
    this.#options = {
      maxEventsPerPush: 1000,
      pullLimit: 1000,
      minDelay: 250,
      maxDelay: 30_000,
      pollInterval: 5_000,
      ...options,
    };
  }

  start(): void {
    const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
    target.addEventListener?.('online', this.#onOnline);
    target.addEventListener?.('offline', this.#onOffline);
    this.#host.setSync({ sync: this.#online() ? 'idle' : 'offline' });
    this.#loop = lead(this.#options.lockName, this.#stop.signal, async () => {
      this.#leader = true;
      await this.#run();
    }).catch(() => undefined);
  }

  /** Whether this store runs the sync loop for its database (holds the leader lock). */
  get leading(): boolean {
    return this.#leader && !this.#closed;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Something to push (a local append) or to pull (a hint): run a round soon. */
  poke(): void {
    this.#poke();
  }

  async now(): Promise<void> {
    if (this.#closed) throw new SyncError('The store is closed');
    if (this.#paused) throw new SyncError('Sync is paused: call sync.resume() first');
    if (!this.#leader) {
      // Another store on this database leads; a one-off round here is safe (invariant 1).
      await this.#round();
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#attempt = 0; // now() skips any backoff wait
      this.#poke();
    });
  }

  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#stopLive();
    for (const w of this.#waiters.splice(0)) w.reject(new SyncError('Sync was paused'));
    this.#host.setSync({ sync: 'paused' });
    this.#poke();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#attempt = 0;
    this.#host.setSync({ sync: this.#online() ? 'idle' : 'offline' });
    this.#poke();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const target = globalThis as { removeEventListener?: (type: string, fn: () => void) => void };
    target.removeEventListener?.('online', this.#onOnline);
    target.removeEventListener?.('offline', this.#onOffline);
    this.#stop.abort();
    this.#stopLive();
    for (const w of this.#waiters.splice(0)) w.reject(new SyncError('The store was closed'));
    this.#poke();
    await this.#loop;
    await this.#live?.done;
  }

  #online(): boolean {
    return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine !== false;
  }

  #poke(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Waits for a poke, or `ms`. */
  async #sleep(ms: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
    this.#woken = false;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      if (this.#paused) {
        await this.#sleep(3_600_000);
        continue;
      }
      if (!this.#online()) {
        this.#host.setSync({ sync: 'offline' });
        // Chromium does not fire online/offline in workers (only navigator.onLine changes
        // there), so look again every second as well as on the event.
        await this.#sleep(1_000);
        continue;
      }
      const waiters = this.#waiters.splice(0);
      this.#woken = false;
      try {
        await this.#round();
        this.#attempt = 0;
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
        if (this.#closed) return;
        this.#attempt++;
        const retryAfter = (error as { details?: { retryAfter?: number } }).details?.retryAfter;
        const cap = Math.min(this.#options.maxDelay, this.#options.minDelay * 2 ** (this.#attempt - 1));
        // Full jitter, never shorter than the server asked for.
        await this.#sleep(Math.max(retryAfter ?? 0, Math.random() * cap));
        continue;
      }
      if (this.#options.live) this.#startLive();
      await this.#sleep(this.#options.live ? 60_000 : this.#options.pollInterval);
    }
  }

  /** One push + pull round; keeps status current; throws SyncError/ProtocolError. */
  async #round(): Promise<void> {
    this.#host.setSync({ sync: 'syncing' });
    try {
      await this.#push();
      await this.#pull();
      this.#host.setSync({ sync: this.#paused ? 'paused' : 'idle', lastSyncedAt: Date.now() });
    } catch (error) {
      const typed = isSyncError(error) || isProtocolError(error) ? error : new SyncError(`Sync failed: ${(error as Error)?.message ?? error}`, { cause: error });
      const offline = !this.#online() && (typed as SyncError).details?.['status'] === 0;
      this.#host.setSync({
        sync: this.#paused ? 'paused' : offline ? 'offline' : 'error',
        lastError: { name: (typed as Error).name, message: (typed as Error).message },
      });
      throw typed;
    }
  }

  async #push(): Promise<void> {
    const commits = await this.#host.pendingWire();
    let limit = this.#options.maxEventsPerPush;
    let i = 0;
    while (i < commits.length) {
      const chunk: WireEvent[][] = [];
      let n = 0;
      while (i + chunk.length < commits.length && (chunk.length === 0 || n + commits[i + chunk.length]!.length <= limit)) {
        n += commits[i + chunk.length]!.length;
        chunk.push(commits[i + chunk.length]!);
      }
      let response;
      try {
        response = await this.#transport.push(chunk.flat(), this.#stop.signal);
      } catch (error) {
        const status = (error as SyncError).details?.['status'];
        if (status === 413 && chunk.length > 1) {
          limit = Math.max(1, Math.floor(n / 2)); // the server takes less: push smaller chunks
          continue;
        }
        throw error;
      }
      const rejected = new Map<string, number>();
      for (const [j, r] of response.results.entries()) {
        if ('error' in r) rejected.set(chunk.flat()[j]!.commit, r.streamVersion);
      }
      if (rejected.size > 0) {
        const result = await this.#host.integrate({ remote: [], rejected: [...rejected].map(([commit, streamVersion]) => ({ commit, streamVersion })) });
        const last = result.rejected[result.rejected.length - 1];
        // The round goes on; a pause() meanwhile stays shown (the app may have paused).
        if (last) this.#host.setSync({ sync: this.#paused ? 'paused' : 'syncing', lastError: last.reason });
      }
      i += chunk.length;
    }
  }

  async #pull(): Promise<void> {
    let cursor = await this.#host.confirmedHead();
    for (;;) {
      const page = await this.#transport.pull(cursor, this.#options.pullLimit, this.#stop.signal);
      if (page.events.length > 0) {
        const result = await this.#host.integrate({ remote: page.events, rejected: [] });
        cursor = result.confirmed;
      }
      if (page.events.length < this.#options.pullLimit || cursor >= page.head) return;
    }
  }

  #startLive(): void {
    if (this.#live || this.#closed || this.#paused || !this.#online()) return;
    const abort = new AbortController();
    const done = (async () => {
      let failures = 0;
      while (!abort.signal.aborted && !this.#closed) {
        try {
          const after = await this.#host.confirmedHead();
          await this.#transport.live(
            after,
            async (page) => {
              failures = 0;
              if (page.events.length === 0) return;
              const result = await this.#host.integrate({ remote: page.events, rejected: [] });
              if (result.gap) this.#poke(); // the stream got ahead of us: a round pulls the gap
            },
            abort.signal,
          );
        } catch (error) {
          if (abort.signal.aborted) break;
          failures++;
          if (isProtocolError(error)) this.#host.setSync({ sync: 'error', lastError: { name: error.name, message: error.message } });
        }
        if (abort.signal.aborted) break;
        // Reconnect with backoff; a round in the loop covers anything missed meanwhile.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(this.#options.maxDelay, this.#options.minDelay * 2 ** failures)));
        this.#poke();
      }
    })();
    this.#live = { abort, done };
    void done.finally(() => {
      if (this.#live?.abort === abort) this.#live = undefined;
    });
  }

  #stopLive(): void {
    this.#live?.abort.abort();
  }
}

/** Runs `task` while holding the named lock (Web Locks, else within this realm). */
const localLocks = new Map<string, Promise<void>>();
async function lead(name: string, signal: AbortSignal, task: () => Promise<void>): Promise<void> {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (locks) {
    await locks.request(name, { signal }, task);
    return;
  }
  const previous = localLocks.get(name) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const chain = previous.then(() => mine);
  localLocks.set(name, chain);
  try {
    await Promise.race([previous, new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))]);
    if (signal.aborted) return;
    await task();
  } finally {
    release();
    if (localLocks.get(name) === chain) localLocks.delete(name);
  }
}

