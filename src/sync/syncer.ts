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
 *    answers with the original positions (idempotency), and its answer or the pull confirms
 *    them once (host.integrate() ignores what the log has confirmed already).
 * 3. Nothing stops the pull: a commit the server can never accept (400, 409, or 413 for the
 *    commit alone) leaves the log for `rejected()` with the server's reason, and a round
 *    whose push fails for any other reason still pulls before it reports the failure.
 * 4. A round's pull reaches the server's head (as the last page said), however small the
 *    server's pages are.
 * 5. A 401 stops the retries until the app gives a token (setToken(), or the token function
 *    called after each 401): retrying a refused token would only be refused again.
 */
import { SyncError, isDecryptionError, isProtocolError, isSyncError } from '../core/errors/index.ts';
import type { HttpTransport } from './http.ts';
import type { IntegrateInput, SyncHost, TokenSource } from './host.ts';
import { pullToHead } from './pull.ts';
import { lead } from './lock.ts';
import { NetworkState } from './network.ts';
import { pushPending } from './push.ts';

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
  /** Called for a token at start and after each 401 (else a 401 waits for setToken()). */
  token?: TokenSource | undefined;
}

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

export class Syncer {
  readonly #host: SyncHost;
  readonly #transport: HttpTransport;
  readonly #options: Required<Omit<SyncerOptions, 'token'>>;
  readonly #token: TokenSource | undefined;
  /** The token function's first answer, awaited before any round. */
  #tokenReady: Promise<void> = Promise.resolve();
  /** A 401 with no token function: no round until setToken() (or now()). */
  #unauthorized = false;
  #closed = false;
  #paused = false;
  #leader = false;
  #attempt = 0;
  #wake: (() => void) | undefined;
  #woken = false;
  /** Waiting out a failure: new appends do not cut the wait short (now() does). */
  #backingOff = false;
  #waiters: Waiter[] = [];
  #live: { abort: AbortController; done: Promise<void> } | undefined;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #network = new NetworkState(); // online/offline events and navigator.onLine (./network.ts)
  readonly #onOnline = () => this.network(true);
  readonly #onOffline = () => this.network(false);

  constructor(host: SyncHost, transport: HttpTransport, options: SyncerOptions) {
    this.#host = host;
    this.#transport = transport;
    const { token, ...rest } = options;
    this.#token = token;
    this.#options = {
      maxEventsPerPush: 1000,
      pullLimit: 1000,
      minDelay: 250,
      maxDelay: 30_000,
      pollInterval: 5_000,
      ...rest,
    };
  }

  start(): void {
    const target = globalThis as { addEventListener?: (type: string, fn: () => void) => void };
    target.addEventListener?.('online', this.#onOnline);
    target.addEventListener?.('offline', this.#onOffline);
    this.#host.setSync({ sync: this.#online() ? 'idle' : 'offline' });
    if (this.#token) this.#tokenReady = this.#renewToken();
    this.#loop = lead(this.#options.lockName, this.#stop.signal, async () => {
      this.#leader = true;
      await this.#run();
    }).catch(() => undefined);
  }

  /** A new bearer token (after a 401, or before the old one expires): a stopped loop goes on at once. */
  setToken(token: string): void {
    if (typeof token !== 'string' || token.length === 0) throw new TypeError('sync.setToken() needs a non-empty token string');
    this.#transport.setToken(token);
    if (!this.#unauthorized) return;
    this.#unauthorized = false;
    this.#attempt = 0;
    this.#poke();
  }

  /**
   * An online (true) or offline (false) event, this realm's own or the page's forwarded to a worker (Chromium
   * fires none in workers): offline ends the live stream and shows at once, online runs a round at once. The
   * same state said again (by the page and the worker's own event, or by several tabs) changes nothing.
   */
  network(online: boolean): void {
    if (!this.#network.event(online)) return;
    if (!online) this.#stopLive();
    this.#poke();
  }

  /** Whether this store runs the sync loop for its database (holds the leader lock). */
  get leading(): boolean {
    return this.#leader && !this.#closed;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Something to push (a local append) or to pull (a hint): run a round soon, or after the backoff. */
  poke(): void {
    if (!this.#backingOff) this.#poke();
  }

  async now(): Promise<void> {
    if (this.#closed) throw new SyncError('The store is closed');
    if (this.#paused) throw new SyncError('Sync is paused: call sync.resume() first');
    if (!this.#leader) {
      // Another store on this database leads; a one-off round here is safe (invariant 1).
      await this.#tokenReady;
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
    return this.#network.online;
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
    await this.#tokenReady;
    while (!this.#closed) {
      // Paused, or refused by the server until a new token: only now() runs a round.
      if (this.#paused || (this.#unauthorized && this.#waiters.length === 0)) {
        await this.#sleep(3_600_000);
        continue;
      }
      if (!this.#online()) {
        this.#host.setSync({ sync: 'offline' });
        // Chromium fires no online/offline in workers (the page forwards its own: network()),
        // so before any event look again every second as well as on the event.
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
        if (unauthorized(error)) {
          // A token function gives a new token before the retry; without one, the app must.
          if (this.#token) await this.#renewToken();
          else {
            this.#unauthorized = true;
            this.#stopLive();
          }
        }
        this.#attempt++;
        const retryAfter = (error as { details?: { retryAfter?: number } }).details?.retryAfter;
        const cap = Math.min(this.#options.maxDelay, this.#options.minDelay * 2 ** (this.#attempt - 1));
        // Full jitter, never shorter than the server asked for; appends made during the
        // failed round wait too (a now() does not).
        if (this.#waiters.length === 0) this.#woken = false;
        this.#backingOff = true;
        try {
          await this.#sleep(Math.max(retryAfter ?? 0, Math.random() * cap));
        } finally {
          this.#backingOff = false;
        }
        continue;
      }
      if (this.#options.live) this.#startLive();
      await this.#sleep(this.#options.live ? 60_000 : this.#options.pollInterval);
    }
  }

  /** pause() stops all traffic, a round in flight included: it sends no further request. */
  #assertRunning(): void {
    if (this.#paused) throw new SyncError('Sync was paused');
  }

  /** Asks the token function for a token; its failure is the next round's 401 again. */
  async #renewToken(): Promise<void> {
    try {
      const token = await this.#token!();
      if (typeof token === 'string' && token.length > 0) this.#transport.setToken(token);
    } catch {
      // keep the old token: the next 401 asks again
    }
  }

  /** One push + pull round; keeps status current; throws SyncError/ProtocolError/DecryptionError. */
  async #round(): Promise<void> {
    this.#host.setSync({ sync: 'syncing' });
    try {
      let failed: unknown;
      // Commits pending (or not known not to be): the pull's pages are integrated together.
      let pending = true;
      try {
        pending = await pushPending({
          host: this.#host,
          transport: this.#transport,
          maxEventsPerPush: this.#options.maxEventsPerPush,
          signal: this.#stop.signal,
          assertRunning: () => this.#assertRunning(),
          rejected: (rejected) => this.#rejected(rejected),
        });
      } catch (error) {
        // Invariant 3: the pull goes on, unless the push showed it would fail as well.
        if (unauthorized(error) || isProtocolError(error) || this.#stop.signal.aborted) throw error;
        failed = error;
      }
      await this.#pull(pending);
      if (failed !== undefined) throw failed;
      this.#host.setSync({ sync: this.#paused ? 'paused' : 'idle', lastSyncedAt: Date.now() });
    } catch (error) {
      const typed =
        isSyncError(error) || isProtocolError(error) || isDecryptionError(error)
          ? error
          : new SyncError(`Sync failed: ${(error as Error)?.message ?? error}`, { cause: error });
      const offline = !this.#online() && (typed as SyncError).details?.['status'] === 0;
      const message =
        unauthorized(typed) && !this.#token
          ? `${typed.message}. Sync stops until the app gives a new token with store.sync.setToken()`
          : typed.message;
      this.#host.setSync({
        sync: this.#paused ? 'paused' : offline ? 'offline' : 'error',
        lastError: { name: (typed as Error).name, message },
      });
      throw typed;
    }
  }

  async #rejected(rejected: IntegrateInput['rejected']): Promise<void> {
    const result = await this.#host.integrate({ remote: [], rejected });
    const last = result.rejected[result.rejected.length - 1];
    // The round goes on; a pause() meanwhile stays shown (the app may have paused).
    if (last) this.#host.setSync({ sync: this.#paused ? 'paused' : 'syncing', lastError: last.reason });
  }

  /** Pulls until the log holds everything up to the server's head (invariant 4; ./pull.ts). */
  #pull(pending = false): Promise<void> {
    return pullToHead({
      host: this.#host,
      transport: this.#transport,
      limit: this.#options.pullLimit,
      signal: this.#stop.signal,
      assertRunning: () => this.#assertRunning(),
      pending,
      serverHead: (serverHead) => this.#host.setSync({ serverHead }),
    });
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
              this.#host.setSync({ serverHead: page.head });
              if (result.gap) this.#poke(); // the stream got ahead of us: a round pulls the gap
            },
            abort.signal,
          );
        } catch (error) {
          if (abort.signal.aborted) break;
          failures++;
          if (isProtocolError(error) || isDecryptionError(error))
            this.#host.setSync({ sync: 'error', lastError: { name: error.name, message: error.message } });
          if (unauthorized(error)) {
            // Invariant 5: no reconnecting with a refused token; the loop's round reports it,
            // and the stream opens again after a round that succeeds.
            this.#poke();
            break;
          }
        }
        if (abort.signal.aborted) break;
        // Reconnect with backoff (cut short by close() or pause()); a round in the loop covers
        // anything missed meanwhile.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.random() * Math.min(this.#options.maxDelay, this.#options.minDelay * 2 ** failures));
          const stop = () => {
            clearTimeout(timer);
            resolve();
          };
          abort.signal.addEventListener('abort', stop, { once: true });
        });
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

/** The server refused the token (invariant 5). */
function unauthorized(error: unknown): boolean {
  return isSyncError(error) && error.details['status'] === 401;
}
