/**
 * The live route's streams (docs/protocol.md "Live": live streams are bounded). Each subscriber is a
 * ReadableStream of SSE bytes that the hub writes into; the runtime (on Node,
 * @hono/node-server) copies it to the connection and pulls again only once the socket drains.
 *
 * Invariants:
 * 1. A page of a log is read from storage, serialised and encoded once for all the subscribers
 *    that ask for it while it is current (until the log's next push): a push costs one read,
 *    and per subscriber only the hand-over of bytes already made (no timers, no per-write
 *    promise chains; heartbeats come from one timer for the whole hub).
 * 2. A page holds at most `pageBytes` of events (and at least one event), and a subscriber is
 *    handed a page only while its stream wants one (desiredSize > 0): what one subscriber may
 *    have in flight is bounded whatever the events' sizes.
 * 3. A subscriber that has a page or a heartbeat waiting and has not taken anything for
 *    `stallMs` is dropped (its connection destroyed); it reconnects with its cursor.
 * 4. Live connections are capped per server instance (503) and per token (429), both with
 *    Retry-After; a slot is released exactly once, however the stream ends.
 * 5. Every event reaches a subscriber once and in order: one catch-up loop per subscriber at a
 *    time, each page handed over only if the cursor it was read for is still the subscriber's.
 */
import type { SyncStorage } from './storage.ts';
import { getOrSet } from '../core/maps.ts';

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
const PING = encoder.encode(': ping\n\n');

/** The live stream's limits, part of the server's `limits` option. */
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

interface Room {
  pages: Map<number, Promise<LivePage>>;
  subscribers: Set<Subscriber>;
  unsubscribe: () => void;
}

interface Subscriber {
  logId: string;
  room: Room;
  token: string;
  cursor: number;
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Set once the `head` message is out; nothing is written before it. */
  started: boolean;
  open: boolean;
  /** Its catch-up loop is running (invariant 5); `again` asks it for one more turn. */
  running: boolean;
  again: boolean;
  stall: ReturnType<typeof setTimeout> | undefined;
  onStall: () => void;
}

export class LiveHub {
  readonly #storage: SyncStorage;
  readonly #maxPull: number;
  readonly #pageBytes: number;
  readonly #maxStreams: number;
  readonly #maxPerToken: number;
  readonly #stallMs: number;
  readonly #heartbeatMs: number;
  /** Per log with subscribers: its current pages by cursor, and its subscribers. */
  readonly #rooms = new Map<string, Room>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #perToken = new Map<string, number>();
  #streams = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(storage: SyncStorage, options: { maxPull: number; heartbeatMs: number; limits: LiveLimits }) {
    this.#storage = storage;
    this.#maxPull = options.maxPull;
    this.#heartbeatMs = options.heartbeatMs;
    this.#pageBytes = options.limits.livePageBytes ?? 256 * 1024;
    this.#maxStreams = options.limits.maxLiveStreams ?? 10_000;
    this.#maxPerToken = options.limits.maxLiveStreamsPerToken ?? 100;
    this.#stallMs = options.limits.liveStallMs ?? 30_000;
  }

  /** Takes a live slot for `token`, or says which cap refuses it (invariant 4). */
  admit(token: string): 'ok' | 'instance' | 'token' {
    if (this.#streams >= this.#maxStreams) return 'instance';
    const mine = this.#perToken.get(token) ?? 0;
    if (mine >= this.#maxPerToken) return 'token';
    this.#streams++;
    this.#perToken.set(token, mine + 1);
    return 'ok';
  }

  #release(token: string): void {
    this.#streams--;
    const mine = (this.#perToken.get(token) ?? 1) - 1;
    if (mine <= 0) this.#perToken.delete(token);
    else this.#perToken.set(token, mine);
  }

  /**
   * The SSE stream of `logId` from `after`, for a slot `admit(token)` gave: a `head` message,
   * then every event after `after` in pages, as they come. `signal`: the request's, which ends
   * the stream when the client goes; `onStall` cuts the connection of a subscriber dropped for
   * not reading (invariant 3).
   */
  stream(
    logId: string,
    after: number,
    token: string,
    options: { signal?: AbortSignal; onStall?: () => void } = {},
  ): ReadableStream<Uint8Array> {
    const onStall = options.onStall ?? (() => undefined);
    let subscriber: Subscriber | undefined;
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const room = this.#room(logId);
          const s: Subscriber = {
            logId,
            room,
            token,
            cursor: after,
            controller,
            started: false,
            open: true,
            running: false,
            again: false,
            stall: undefined,
            onStall,
          };
          subscriber = s;
          room.subscribers.add(s);
          this.#subscribers.add(s);
          this.#heartbeat ??= this.#startHeartbeat();
          if (options.signal?.aborted) return this.#end(s);
          options.signal?.addEventListener('abort', () => this.#end(s), { once: true });
          this.#storage.head(logId).then(
            (head) => {
              if (!s.open) return;
              controller.enqueue(encoder.encode(`event: head\ndata: ${JSON.stringify({ head })}\n\n`));
              s.started = true;
              this.#catchUp(s);
            },
            () => this.#end(s),
          );
        },
        // The consumer took what it had (on Node: the socket drained): carry on.
        pull: () => {
          const s = subscriber;
          if (!s?.started) return;
          clearTimeout(s.stall);
          s.stall = undefined;
          this.#catchUp(s);
        },
        cancel: () => {
          if (subscriber) this.#end(subscriber, 'cancelled');
        },
      },
      { highWaterMark: 1 },
    );
  }

  /** Ends every open stream (the server is closing). */
  closeAll(): void {
    for (const s of [...this.#subscribers]) this.#end(s);
  }

  /** The page after `after`, shared while current (invariant 1). */
  page(logId: string, after: number): Promise<LivePage> {
    const pages = this.#rooms.get(logId)?.pages;
    const cached = pages?.get(after);
    if (cached) return cached;
    const read = this.#read(logId, after);
    if (pages) {
      if (pages.size >= CACHED_PAGES_PER_LOG) pages.delete(pages.keys().next().value!);
      pages.set(after, read);
      read.catch(() => {
        if (pages.get(after) === read) pages.delete(after);
      });
    }
    return read;
  }

  #room(logId: string): Room {
    return getOrSet(this.#rooms, logId, () => {
      const made: Room = { pages: new Map(), subscribers: new Set(), unsubscribe: () => undefined };
      made.unsubscribe = this.#storage.subscribe(logId, () => {
        made.pages.clear();
        for (const s of made.subscribers) this.#catchUp(s);
      });
      return made;
    });
  }

  /** Hands `s` the pages after its cursor while it wants them (invariants 2 and 5). */
  #catchUp(s: Subscriber): void {
    if (!s.open || !s.started) return;
    if (s.running) {
      s.again = true;
      return;
    }
    s.running = true;
    void this.#run(s).finally(() => (s.running = false));
  }

  async #run(s: Subscriber): Promise<void> {
    do {
      s.again = false;
      while (s.open) {
        const from = s.cursor;
        let page: LivePage;
        try {
          page = await this.page(s.logId, from);
        } catch {
          // A storage failure: end the stream; the client reconnects with its cursor.
          this.#end(s);
          return;
        }
        if (!s.open || page.count === 0) break;
        if (!this.#offer(s, page.frame)) return; // resumes from pull()
        s.cursor = page.last;
        if (s.cursor >= page.head) break;
      }
    } while (s.again && s.open);
  }

  /** Writes `bytes` if `s` wants them now; else starts its stall clock (invariant 3). */
  #offer(s: Subscriber, bytes: Uint8Array): boolean {
    if ((s.controller.desiredSize ?? 0) > 0) {
      s.controller.enqueue(bytes);
      return true;
    }
    s.stall ??= setTimeout(() => this.#end(s, 'stalled'), this.#stallMs);
    return false;
  }

  /**
   * One timer for every subscriber: a comment so proxies keep the stream open, and a fresh
   * look at each log in case a notification was lost.
   */
  #startHeartbeat(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => {
      for (const room of this.#rooms.values()) room.pages.clear();
      for (const s of this.#subscribers) {
        if (!s.started) continue;
        if (this.#offer(s, PING)) this.#catchUp(s);
      }
    }, this.#heartbeatMs);
    (timer as { unref?: () => void }).unref?.();
    return timer;
  }

  #end(s: Subscriber, why: 'closed' | 'cancelled' | 'stalled' = 'closed'): void {
    if (!s.open) return;
    s.open = false;
    clearTimeout(s.stall);
    this.#subscribers.delete(s);
    s.room.subscribers.delete(s);
    if (s.room.subscribers.size === 0) {
      s.room.unsubscribe();
      this.#rooms.delete(s.logId);
    }
    if (this.#subscribers.size === 0 && this.#heartbeat !== undefined) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = undefined;
    }
    this.#release(s.token);
    if (why === 'cancelled') return;
    // A stalled subscriber's connection is cut (on Node, with what it had not taken); the
    // stream ends either way, and an SSE client reconnects with its cursor.
    if (why === 'stalled') s.onStall();
    try {
      s.controller.close();
    } catch {
      // already closed or errored by the runtime
    }
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
