/**
 * Live streams are bounded (issue 12, item 4): a push is read once for all its subscribers,
 * connections are capped per instance and per token, pages are bounded in bytes, and a
 * subscriber that stops reading is dropped.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSyncApp, type SyncApp, type SyncAppOptions } from '../../../src/server/app.ts';
import { memoryStorage } from '../../../src/server/memoryStorage.ts';
import { startSyncServer } from '../../../src/server/startSyncServer.ts';
import type { SyncStorage } from '../../../src/server/storage.ts';
import type { EventsResponse } from '../../../src/protocol/wire.ts';
import { readSse } from '../../support/sse.ts';
import { wireCommit, wireEvent } from './conformance.ts';

const ORIGIN = 'http://127.0.0.1:8787';
const LOG = 'live';

/** A storage that counts its reads and its live subscriptions. */
function counted(inner: SyncStorage = memoryStorage()) {
  const counts = { reads: 0, subscribed: 0 };
  let onZero: (() => void) | undefined;
  const storage: SyncStorage = {
    ...inner,
    push: (logId, events) => inner.push(logId, events),
    head: (logId) => inner.head(logId),
    close: () => inner.close(),
    read: (logId, after, limit) => {
      counts.reads++;
      return inner.read(logId, after, limit);
    },
    subscribe: (logId, listener) => {
      counts.subscribed++;
      const off = inner.subscribe(logId, listener);
      return () => {
        off();
        if (--counts.subscribed === 0) onZero?.();
      };
    },
  };
  const unsubscribedAll = () => (counts.subscribed === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onZero = resolve)));
  return { storage, counts, unsubscribedAll };
}

/** Opens a live stream through `app.fetch` and collects its pages. */
async function listen(app: SyncApp, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await app.fetch(new Request(`${ORIGIN}/v1/logs/${LOG}/live?after=0`, { headers, signal: controller.signal }));
  const pages: EventsResponse[] = [];
  const sizes: number[] = [];
  let changed = () => {};
  let headed = () => {};
  let comments = 0;
  if (response.ok && response.body) {
    void readSse(response.body, {
      onComment: () => void comments++,
      onEvent: (m) => {
        if (m.event === 'head') headed();
        if (m.event !== 'events') return;
        sizes.push(m.data.length);
        pages.push(JSON.parse(m.data) as EventsResponse);
        changed();
      },
    }).catch(() => undefined);
  }
  const received = () => pages.reduce((n, p) => n + p.events.length, 0);
  return {
    response,
    headed: new Promise<void>((resolve) => (headed = resolve)),
    get comments() {
      return comments;
    },
    pages,
    sizes,
    received,
    until: (count: number) =>
      new Promise<void>((resolve) => {
        changed = () => received() >= count && resolve();
        changed();
      }),
    close: () => controller.abort(),
  };
}

let app: SyncApp | undefined;
let inner: SyncStorage;
beforeEach(() => {
  inner = memoryStorage();
});
afterEach(async () => {
  app?.close();
  app = undefined;
  await inner.close();
});

const make = (storage: SyncStorage, options: Partial<SyncAppOptions> = {}) => (app = createSyncApp({ storage, ...options }));

describe('live fan-out', () => {
  it('tells proxies not to buffer or transform the stream', async () => {
    make(inner);
    const s = await listen(app!);
    await s.headed;
    expect(s.response.headers.get('Content-Type')).toBe('text/event-stream');
    expect(s.response.headers.get('Cache-Control')).toBe('no-store, no-transform');
    expect(s.response.headers.get('X-Accel-Buffering')).toBe('no');
    s.close();
  });

  it('reads a new page once for all its subscribers, not once per subscriber', async () => {
    const { storage, counts } = counted(inner);
    make(storage);
    const subscribers = await Promise.all(Array.from({ length: 50 }, () => listen(app!)));
    // Every subscriber has its `head` message and has read the (empty) log.
    await Promise.all(subscribers.map((s) => s.headed));
    const before = counts.reads;
    await storage.push(LOG, wireCommit(3));
    await Promise.all(subscribers.map((s) => s.until(3)));
    expect(counts.reads - before).toBeLessThanOrEqual(2);
    for (const s of subscribers) {
      expect(s.received()).toBe(3);
      s.close();
    }
  });

  it('sends pages of at most livePageBytes of events (one event at least), every event once', async () => {
    const { storage } = counted(inner);
    make(storage, { limits: { livePageBytes: 3_000 } });
    const events = Array.from({ length: 12 }, (_, i) => wireEvent({ payload: { i, text: 'x'.repeat(1_000) } }));
    const huge = wireEvent({ payload: { text: 'y'.repeat(10_000) } });
    await storage.push(LOG, [...events, huge]);
    const s = await listen(app!);
    await s.until(13);
    expect(s.pages.flatMap((p) => p.events.map((e) => e.id))).toEqual([...events, huge].map((e) => e.id));
    expect(s.pages.length).toBeGreaterThanOrEqual(5);
    for (const page of s.pages) expect(page.events.length === 1 || JSON.stringify(page.events).length <= 3_000 + 2).toBe(true);
    s.close();
  });
});

describe('live heartbeats', () => {
  it('send a comment to each subscriber and deliver a push whose notification was lost', async () => {
    // A storage that never tells of pushes: only the heartbeat's fresh look can find them.
    const deaf: SyncStorage = { ...inner, subscribe: () => () => undefined };
    make(deaf, { heartbeatMs: 50 });
    const a = await listen(app!);
    const b = await listen(app!);
    await Promise.all([a.headed, b.headed]);
    await inner.push(LOG, wireCommit(2));
    await Promise.all([a.until(2), b.until(2)]);
    expect(a.received()).toBe(2);
    expect(b.received()).toBe(2);
    expect(a.comments).toBeGreaterThan(0);
    a.close();
    b.close();
  });
});

describe('live connection caps', () => {
  it('answers 503 with Retry-After over maxLiveStreams, and takes a new stream once one closes', async () => {
    const { storage, unsubscribedAll } = counted(inner);
    const server = await startSyncServer({ port: 0, storage, warn: () => undefined, limits: { maxLiveStreams: 2 } });
    const open = (signal: AbortSignal) => fetch(`${server.url}/v1/logs/${LOG}/live?after=0`, { signal });
    const streams = [new AbortController(), new AbortController()];
    try {
      for (const s of streams) expect((await open(s.signal)).status).toBe(200);
      const third = await open(new AbortController().signal);
      expect(third.status).toBe(503);
      expect(third.headers.get('Retry-After')).toBeTruthy();
      await third.body?.cancel();
      for (const s of streams) s.abort();
      await unsubscribedAll();
      const again = new AbortController();
      expect((await open(again.signal)).status).toBe(200);
      again.abort();
    } finally {
      await server.close();
    }
  });

  it('answers 429 with Retry-After over maxLiveStreamsPerToken; another token still gets in', async () => {
    const { storage } = counted(inner);
    make(storage, {
      auth: { tokens: { a: { logs: '*', access: 'read' }, b: { logs: '*', access: 'read' } } },
      limits: { maxLiveStreamsPerToken: 1 },
    });
    const one = await listen(app!, { Authorization: 'Bearer a' });
    expect(one.response.status).toBe(200);
    const two = await listen(app!, { Authorization: 'Bearer a' });
    expect(two.response.status).toBe(429);
    expect(two.response.headers.get('Retry-After')).toBeTruthy();
    const other = await listen(app!, { Authorization: 'Bearer b' });
    expect(other.response.status).toBe(200);
    one.close();
    other.close();
  });
});

describe('a subscriber that stops reading', () => {
  it('is dropped once what it was sent stays unread for liveStallMs', async () => {
    const { storage, counts, unsubscribedAll } = counted(inner);
    const server = await startSyncServer({ port: 0, storage, warn: () => undefined, limits: { liveStallMs: 300 } });
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`GET /v1/logs/${LOG}/live?after=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
      socket.pause(); // and never read
      await new Promise<void>((resolve) => {
        const check = () => (counts.subscribed > 0 ? resolve() : setTimeout(check, 10));
        check();
      });
      // Far more than the socket buffers hold: the server's writes stall.
      for (let i = 0; i < 20; i++) await storage.push(LOG, wireCommit(500, { payload: { text: 'z'.repeat(2_000) } }));
      await unsubscribedAll();
      expect(counts.subscribed).toBe(0);
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
