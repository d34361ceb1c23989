/**
 * The client's HTTP transport on its own (src/sync/http.ts): what it sends, and how it reads
 * every kind of answer, against a fetch the test answers itself. Survivors of the first
 * mutation run (docs/mutation.md) showed these paths untested.
 */
import { describe, expect, it } from 'vitest';
import { isProtocolError, isSyncError } from '../../../src/index.ts';
import { HttpTransport, parseRetryAfter } from '../../../src/sync/http.ts';
import type { WireEvent } from '../../../src/sync/protocol.ts';
import { rejection } from '../../support/rejection.ts';

const event = (id: string): WireEvent => ({ id, type: 't', stream: 's', clientId: 'c', commit: `k-${id}`, time: 1 });
const positioned = (id: string, position: number) => ({ ...event(id), position });

/** A transport whose fetch records each request and answers with `answer(request)`. */
function transport(answer: (request: Request) => Response | Promise<Response>, options: { url?: string; token?: string } = {}) {
  const requests: Request[] = [];
  const http = new HttpTransport({
    url: options.url ?? 'http://127.0.0.1:8787',
    logId: 'log:1',
    ...(options.token ? { token: options.token } : {}),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(request);
      return answer(request);
    },
  });
  return { http, requests };
}

describe('requests', () => {
  it('addresses the log under /v1/logs, trims trailing slashes, and sends the token as a bearer', async () => {
    const { http, requests } = transport(() => Response.json({ events: [], head: 0 }), { url: 'http://127.0.0.1:8787/base//', token: 's3cret' });
    await http.pull(0, 10);
    expect(requests[0]!.url).toBe('http://127.0.0.1:8787/base/v1/logs/log%3A1/events?after=0&limit=10');
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer s3cret');
    http.setToken('renewed');
    await http.pull(0, 10);
    expect(requests[1]!.headers.get('Authorization')).toBe('Bearer renewed');
  });

  it('pushes JSON with its content type, and no Authorization without a token', async () => {
    const { http, requests } = transport(() => Response.json({ results: [{ id: 'a', position: 1 }], head: 1 }));
    await http.push([event('a')], 0);
    expect(requests[0]!.method).toBe('POST');
    expect(requests[0]!.headers.get('Content-Type')).toBe('application/json');
    expect(requests[0]!.headers.get('Authorization')).toBeNull();
    expect(await requests[0]!.json()).toEqual({ events: [event('a')] });
  });
});

describe('errors', () => {
  it('turns an HTTP error into a SyncError with status, the protocol code and message, and Retry-After in ms', async () => {
    const { http } = transport(() => Response.json({ error: { code: 'unavailable', message: 'storage down' } }, { status: 503, headers: { 'Retry-After': '7' } }));
    const error = await rejection(http.pull(0, 10));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toBe('The sync server answered 503 (unavailable): storage down');
    expect(error.details).toEqual({ status: 503, code: 'unavailable', retryAfter: 7000 });
  });

  it('keeps the status line when the error body is not the protocol’s', async () => {
    const { http } = transport(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    const error = await rejection(http.pull(0, 10));
    expect(error.message).toBe('The sync server answered 502 (http_error): HTTP 502');
    expect(error.details).toEqual({ status: 502, code: 'http_error' });
  });

  it('makes an unreachable server a SyncError with status 0, and lets an abort through as it is', async () => {
    const down = transport(() => Promise.reject(new TypeError('fetch failed')));
    const error = await rejection(down.http.pull(0, 10));
    expect(isSyncError(error)).toBe(true);
    expect(error.details).toEqual({ status: 0 });
    const aborted = transport(() => Promise.reject(new DOMException('The operation was aborted', 'AbortError')));
    expect((await rejection(aborted.http.pull(0, 10))).name).toBe('AbortError');
  });

  it('makes an answer that is not JSON a ProtocolError', async () => {
    const { http } = transport(() => new Response('{"events": [', { status: 200 }));
    expect(isProtocolError(await rejection(http.pull(0, 10)))).toBe(true);
  });
});

describe('answers that break the protocol are ProtocolErrors', () => {
  it.each([
    ['more events than the limit', { events: [positioned('a', 1), positioned('b', 2)], head: 2 }, 1],
    ['a gap after the cursor', { events: [positioned('a', 2)], head: 2 }, 10],
    ['a position past the head', { events: [positioned('a', 1)], head: 0 }, 10],
    ['a head below the cursor', { events: [], head: 0 }, 10],
  ])('a pull page with %s', async (_, page, limit) => {
    const { http } = transport(() => Response.json(page));
    const after = page.head === 0 && page.events.length === 0 ? 5 : 0;
    expect(isProtocolError(await rejection(http.pull(after, limit)))).toBe(true);
  });

  it.each([
    ['fewer results than events', { results: [{ id: 'a', position: 1 }], head: 2 }],
    ['results for other ids', { results: [{ id: 'a', position: 1 }, { id: 'x', position: 2 }], head: 2 }],
    ['a position past the head', { results: [{ id: 'a', position: 1 }, { id: 'b', position: 3 }], head: 2 }],
    ['a head below the confirmed one', { results: [{ id: 'a', position: 4 }, { id: 'b', position: 5 }], head: 2 }],
  ])('a push answer with %s', async (_, answer) => {
    const { http } = transport(() => Response.json(answer));
    expect(isProtocolError(await rejection(http.push([event('a'), event('b')], 3)))).toBe(true);
  });

  it('takes a push answer with conflicts for some events and positions for others', async () => {
    const answer = { results: [{ id: 'a', position: 4 }, { id: 'b', error: 'conflict', streamVersion: 2 }], head: 4 };
    const { http } = transport(() => Response.json(answer));
    expect(await http.push([event('a'), event('b')], 3)).toEqual(answer);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates as milliseconds, a past date as 0, and nothing else', () => {
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter(' 3 ')).toBe(3_000);
    const inTen = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTen)).toBeGreaterThan(8_000);
    expect(parseRetryAfter(inTen)).toBeLessThanOrEqual(10_000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:00 GMT')).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});
