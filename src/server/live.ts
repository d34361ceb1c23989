/**
 * The live route's shared parts (DESIGN "Server": live streams are bounded).
 *
 * Invariants:
 * 1. A page of a log is read from storage, serialised and encoded once for all the subscribers that
 *    ask for it while it is current (until the log's next push): a push costs one read, not
 *    one per subscriber.
 * 2. A page holds at most `pageBytes` of events (and at least one event), so what one
 *    subscriber may have in flight is bounded whatever the events' sizes.
 * 3. Live connections are capped per server instance (503) and per token (429), both with
 *    Retry-After.
 */
import type { SyncStorage } from './storage.ts';

/** A page as sent on the live stream: serialised once (invariant 1). */
export interface LivePage {
  /** Position of its last event (the SSE id, and the subscriber's next cursor). */
  last: number;
  count: number;
  head: number;
  /** The SSE message `events` with `{ events, head }`, encoded once for every subscriber. */
  frame: Uint8Array;
}

const encoder = new TextEncoder();

export interface LiveLimits {
  /** Live connections per server instance; default 10,000. */
  maxLiveStreams?: number;
  /** Live connections per token (with auth; without, per server); default 100. */
  maxLiveStreamsPerToken?: number;
  /** Bytes of events in one live page; default 256 KiB. */
  livePageBytes?: number;
  /** A subscriber that has not taken a page within this is dropped; default 30 s. */
  liveStallMs?: number;
}

const CACHED_PAGES_PER_LOG = 64;

export class LiveHub {
  readonly #storage: SyncStorage;
  readonly #maxPull: number;
  readonly #pageBytes: number;
  readonly #maxStreams: number;
  readonly #maxPerToken: number;
  /** Per log with subscribers: its current pages by cursor, and how many subscribe. */
  readonly #logs = new Map<string, { pages: Map<number, Promise<LivePage>>; subscribers: number; unsubscribe: () => void }>();
  readonly #perToken = new Map<string, number>();
  #streams = 0;

  constructor(storage: SyncStorage, options: { maxPull: number; limits: LiveLimits }) {
    this.#storage = storage;
    this.#maxPull = options.maxPull;
    this.#pageBytes = options.limits.livePageBytes ?? 256 * 1024;
    this.#maxStreams = options.limits.maxLiveStreams ?? 10_000;
    this.#maxPerToken = options.limits.maxLiveStreamsPerToken ?? 100;
  }

  /** Takes a live slot for `token`, or says which cap refuses it (invariant 3). */
  admit(token: string): 'ok' | 'instance' | 'token' {
    if (this.#streams >= this.#maxStreams) return 'instance';
    const mine = this.#perToken.get(token) ?? 0;
    if (mine >= this.#maxPerToken) return 'token';
    this.#streams++;
    this.#perToken.set(token, mine + 1);
    return 'ok';
  }

  release(token: string): void {
    this.#streams--;
    const mine = (this.#perToken.get(token) ?? 1) - 1;
    if (mine <= 0) this.#perToken.delete(token);
    else this.#perToken.set(token, mine);
  }

  /** Subscribes to `logId`'s pushes; the hub forgets its pages at each one. */
  subscribe(logId: string, listener: () => void): () => void {
    let log = this.#logs.get(logId);
    if (!log) {
      const pages = new Map<number, Promise<LivePage>>();
      const unsubscribe = this.#storage.subscribe(logId, () => pages.clear());
      this.#logs.set(logId, (log = { pages, subscribers: 0, unsubscribe }));
    }
    log.subscribers++;
    const off = this.#storage.subscribe(logId, listener);
    return () => {
      off();
      if (--log.subscribers === 0) {
        log.unsubscribe();
        this.#logs.delete(logId);
      }
    };
  }

  /** The page after `after`, shared while current (invariant 1). */
  page(logId: string, after: number): Promise<LivePage> {
    const pages = this.#logs.get(logId)?.pages;
    const cached = pages?.get(after);
    if (cached) return cached;
    const read = this.#read(logId, after);
    if (pages) {
      if (pages.size >= CACHED_PAGES_PER_LOG) pages.delete(pages.keys().next().value!);
      pages.set(after, read);
      read.catch(() => pages.delete(after));
    }
    return read;
  }

  async #read(logId: string, after: number): Promise<LivePage> {
    const { events, head } = await this.#storage.read(logId, after, this.#maxPull);
    const parts: string[] = [];
    let bytes = 0;
    for (const event of events) {
      const json = JSON.stringify(event);
      if (parts.length > 0 && bytes + json.length > this.#pageBytes) break;
      parts.push(json);
      bytes += json.length;
    }
    const last = after + parts.length;
    const data = `{"events":[${parts.join(',')}],"head":${head}}`; // JSON holds no raw newline
    return { last, count: parts.length, head, frame: encoder.encode(`event: events\nid: ${last}\ndata: ${data}\n\n`) };
  }
}
