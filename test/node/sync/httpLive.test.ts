/**
 * The client's live stream on its own (HttpTransport.live in src/sync/http.ts): what it asks
 * for, how it reads server-sent events, and how it ends, against a fetch whose answer the test
 * scripts chunk by chunk. The syncer's own tests reach live() only through a real server,
 * which never sends the broken streams this file sends.
 */
import { describe, expect, it, vi } from 'vitest';
import { isProtocolError, isSyncError, SyncError } from '../../../src/index.ts';
import { HttpTransport } from '../../../src/sync/http.ts';
import type { EventsResponse, WireEvent } from '../../../src/protocol/wire.ts';
import { rejection } from '../../support/rejection.ts';
import { within } from '../../support/within.ts';

const event = (id: string): WireEvent => ({ id, type: 't', stream: 's', clientId: 'c', commit: `k-${id}`, time: 1 });
const positioned = (id: string, position: number) => ({ ...event(id), position });

/** One server-sent event as the server writes it. */
const sse = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

interface Script {
  /** The chunks of the body, pulled one at a time; then the stream closes (or, with `hang`, waits). */
  chunks: string[];
  hang?: boolean;
  /** Instead of closing after the chunks, the stream fails with this reason. */
  fail?: { reason: unknown };
}

/**
 * A transport whose fetch answers every request with a text/event-stream body played from
 * `script`. Like a real fetch, the body fails with the abort reason when the request's signal
 * aborts. `body.pulled` counts chunks read, `body.cancelled` tells whether the reader let go.
 */
function liveTransport(script: Script | (() => Response), token?: string) {
  const requests: Request[] = [];
  const body = { pulled: 0, cancelled: false };
  const encoder = new TextEncoder();
  const http = new HttpTransport({
    url: 'http://127.0.0.1:8787/',
    logId: 'log:1',
    ...(token ? { token } : {}),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request);
      if (typeof script === 'function') return script();
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          request.signal.addEventListener('abort', () => controller.error(request.signal.reason));
        },
        pull(controller) {
          const chunk = script.chunks[body.pulled];
          if (chunk !== undefined) {
            body.pulled++;
            controller.enqueue(encoder.encode(chunk));
          } else if (script.fail) controller.error(script.fail.reason);
          else if (script.hang) return new Promise<void>(() => undefined);
          else controller.close();
          return undefined;
        },
        cancel() {
          body.cancelled = true;
        },
      });
      return new Response(stream, { headers: { 'Content-Type': 'text/event-stream' } });
    },
  });
  return { http, requests, body };
}

/** onPage that records each page. */
function recorder() {
  const pages: EventsResponse[] = [];
  return { pages, onPage: async (page: EventsResponse) => void pages.push(page) };
}

/** The transport let go of the body: the source was cancelled (this travels through the decoder's pipe). */
async function stopsReading(body: { cancelled: boolean }): Promise<void> {
  await vi.waitFor(() => expect(body.cancelled).toBe(true), { timeout: 2_000 });
}

/** Enough harmless chunks after a failure that a transport still reading them all would show. */
const pings = Array.from({ length: 20 }, () => ': ping\n\n');

describe('reading the live stream', () => {
  it('opens /live?after= with the token and Accept: text/event-stream, reports the head, and hands each page to onPage in order', async () => {
    const { http, requests } = liveTransport(
      {
        chunks: [
          sse('head', { head: 3 }),
          sse('events', { events: [positioned('b', 2), positioned('c', 3)], head: 3 }),
          ': ping\n\n',
          sse('events', { events: [], head: 3 }),
          // Split mid-message and mid-line: the parser joins the chunks.
          `event: events\ndata: ${JSON.stringify({ events: [positioned('d', 4)], head: 4 }).slice(0, 20)}`,
          `${JSON.stringify({ events: [positioned('d', 4)], head: 4 }).slice(20)}\n\n`,
          // Event types the client does not know, and a message without a type, are ignored.
          sse('other', { events: [positioned('x', 99)], head: 0 }),
          `data: ${JSON.stringify({ head: 0 })}\n\n`,
          sse('events', { events: [positioned('e', 5), positioned('f', 6)], head: 6 }),
        ],
      },
      's3cret',
    );
    const heads: number[] = [];
    const log: string[] = [];
    const pages: EventsResponse[] = [];
    await http.live(
      1,
      async (page) => {
        log.push(`start ${pages.length}`);
        pages.push(page);
        await Promise.resolve();
        await Promise.resolve();
        log.push(`end ${pages.length - 1}`);
      },
      new AbortController().signal,
      (head) => heads.push(head),
    );
    expect(requests[0]!.url).toBe('http://127.0.0.1:8787/v1/logs/log%3A1/live?after=1');
    expect(requests[0]!.headers.get('Accept')).toBe('text/event-stream');
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer s3cret');
    expect(heads).toEqual([3]);
    expect(pages.map((p) => [p.events.map((e) => e.position), p.head])).toEqual([
      [[2, 3], 3],
      [[], 3],
      [[4], 4],
      [[5, 6], 6],
    ]);
    expect(pages[0]!.events[0]).toEqual(positioned('b', 2));
    // Each page's onPage finished before the next started, and all before live() resolved.
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('rejects with DecryptionError as soon as a page does not open, on a stream that then says nothing more', async () => {
    const sealed = { ...positioned('a', 1), payload: { $sealed: 1, key: 'default', data: 'AAAA' } };
    const { http, body } = liveTransport({ chunks: [sse('events', { events: [sealed], head: 1 })], hang: true });
    const { pages, onPage } = recorder();
    const error = await within(rejection(http.live(0, onPage, new AbortController().signal)), 2_000);
    expect(error).not.toBe('timed out');
    expect((error as Error).name).toBe('DecryptionError');
    expect(pages).toEqual([]);
    await stopsReading(body);
  });

  it('reads a head event without an onOpen callback', async () => {
    const { http } = liveTransport({ chunks: [sse('head', { head: 0 }), sse('events', { events: [positioned('a', 1)], head: 1 })] });
    const { pages, onPage } = recorder();
    await http.live(0, onPage, new AbortController().signal);
    expect(pages).toEqual([{ events: [positioned('a', 1)], head: 1 }]);
  });

  it('resolves without an error when the signal aborts mid-stream', async () => {
    const { http, requests } = liveTransport({
      chunks: [sse('head', { head: 1 }), sse('events', { events: [positioned('a', 1)], head: 1 })],
      hang: true,
    });
    const abort = new AbortController();
    const pages: EventsResponse[] = [];
    await http.live(
      0,
      async (page) => {
        pages.push(page);
        abort.abort();
      },
      abort.signal,
    );
    expect(pages).toHaveLength(1);
    expect(requests[0]!.signal.aborted).toBe(true);
  });
});

describe('a live stream that breaks the protocol ends in a ProtocolError, and the client stops reading', () => {
  it('a head below the cursor: the server lost data', async () => {
    const { http, body } = liveTransport({ chunks: [sse('head', { head: 2 }), sse('events', { events: [], head: 2 }), ...pings] });
    const { pages, onPage } = recorder();
    const heads: number[] = [];
    const error = await rejection(http.live(5, onPage, new AbortController().signal, (head) => heads.push(head)));
    expect(isProtocolError(error)).toBe(true);
    expect(error.details).toEqual({ serverHead: 2, confirmed: 5 });
    expect(heads).toEqual([]);
    expect(pages).toEqual([]);
    await stopsReading(body);
  });

  it('a head that is not a count', async () => {
    const { http } = liveTransport({ chunks: [sse('head', { head: -1 })] });
    const error = await rejection(http.live(0, recorder().onPage, new AbortController().signal));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/live answer is malformed at head/);
  });

  it('data that is not JSON; what follows it in the same chunk is not read', async () => {
    const { http, body } = liveTransport({
      chunks: [
        `event: events\ndata: {"events": [\n\n${sse('head', { head: 0 })}${sse('events', { events: [positioned('a', 1)], head: 1 })}`,
        ...pings,
      ],
    });
    const { pages, onPage } = recorder();
    const heads: number[] = [];
    const error = await rejection(http.live(3, onPage, new AbortController().signal, (head) => heads.push(head)));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/^The live stream sent data that is not JSON: /);
    expect(heads).toEqual([]);
    expect(pages).toEqual([]);
    await stopsReading(body);
    expect(body.pulled).toBeLessThan(1 + pings.length);
  });

  it('a page that does not continue the previous one', async () => {
    const { http, body } = liveTransport({
      chunks: [
        sse('events', { events: [positioned('c', 3)], head: 3 }),
        sse('events', { events: [positioned('e', 5)], head: 5 }),
        ...pings,
      ],
    });
    const { pages, onPage } = recorder();
    const error = await rejection(http.live(2, onPage, new AbortController().signal));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/position 5 where 4 was due/);
    expect(pages.map((p) => p.head)).toEqual([3]);
    await stopsReading(body);
    expect(body.pulled).toBeLessThan(2 + pings.length);
  });

  it('a page with malformed events, naming where', async () => {
    const { http } = liveTransport({ chunks: [sse('events', { events: [{ ...positioned('a', 1), time: 'now' }], head: 1 })] });
    const error = await rejection(http.live(0, recorder().onPage, new AbortController().signal));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/^The sync server's live answer is malformed at events\.0\.time: /);
  });

  it('an answer without a body', async () => {
    const { http } = liveTransport(() => new Response(null, { status: 200 }));
    const error = await rejection(http.live(0, recorder().onPage, new AbortController().signal));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toBe('The live answer has no body');
  });
});

describe('a live stream that fails', () => {
  it('rejects with the error onPage threw, and stops reading', async () => {
    const { http, body } = liveTransport({
      chunks: [
        sse('events', { events: [positioned('a', 1)], head: 1 }),
        ...pings,
        sse('events', { events: [positioned('b', 2)], head: 2 }),
      ],
    });
    const thrown = new Error('the replica is closed');
    const pages: EventsResponse[] = [];
    const error = await rejection(
      http.live(
        0,
        async (page) => {
          pages.push(page);
          throw thrown;
        },
        new AbortController().signal,
      ),
    );
    expect(error).toBe(thrown);
    expect(pages).toHaveLength(1);
    await stopsReading(body);
  });

  it('rejects with the error onOpen threw', async () => {
    const { http } = liveTransport({ chunks: [sse('head', { head: 0 })] });
    const thrown = new Error('not now');
    const error = await rejection(
      http.live(0, recorder().onPage, new AbortController().signal, () => {
        throw thrown;
      }),
    );
    expect(error).toBe(thrown);
  });

  it('makes a broken connection a SyncError with the cause', async () => {
    const cause = new TypeError('terminated');
    const { http } = liveTransport({ chunks: [sse('events', { events: [positioned('a', 1)], head: 1 })], fail: { reason: cause } });
    const { pages, onPage } = recorder();
    const error = await rejection(http.live(0, onPage, new AbortController().signal));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toBe('The live stream broke: terminated');
    expect(error.cause).toBe(cause);
    expect(pages).toHaveLength(1);
  });

  it('makes a stream that fails without a reason a SyncError too', async () => {
    const { http } = liveTransport({ chunks: [], fail: { reason: undefined } });
    const error = await rejection(http.live(0, recorder().onPage, new AbortController().signal));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toMatch(/^The live stream broke/);
  });

  it('passes on a SyncError the stream fails with (from a fetch wrapper) as it is', async () => {
    const own = new SyncError('offline', { details: { status: 0 } });
    const { http } = liveTransport({ chunks: [], fail: { reason: own } });
    expect(await rejection(http.live(0, recorder().onPage, new AbortController().signal))).toBe(own);
  });

  it('makes an HTTP error on opening the stream a SyncError with the status', async () => {
    const { http } = liveTransport(() => Response.json({ error: { code: 'unauthorized', message: 'token expired' } }, { status: 401 }));
    const error = await rejection(http.live(0, recorder().onPage, new AbortController().signal));
    expect(isSyncError(error)).toBe(true);
    expect(error.details).toEqual({ status: 401, code: 'unauthorized' });
  });
});
