/**
 * The client's HTTP transport on its own (src/sync/http.ts): what it sends, and how it reads
 * every kind of answer, against a fetch the test answers itself. Survivors of the first
 * mutation run (docs/mutation.md) showed these paths untested.
 */
import { describe, expect, it } from 'vitest';
import { isProtocolError, isSyncError } from '../../../src/index.ts';
import { HttpTransport, parseRetryAfter } from '../../../src/sync/http.ts';
import type { WireEvent } from '../../../src/protocol/wire.ts';
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
    const { http, requests } = transport(() => Response.json({ events: [], head: 0 }), {
      url: 'http://127.0.0.1:8787/base//',
      token: 's3cret',
    });
    await http.pull(0, 10);
    expect(requests[0]!.url).toBe('http://127.0.0.1:8787/base/v1/logs/log%3A1/events?after=0&limit=10');
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer s3cret');
    http.setToken('renewed');
    await http.pull(0, 10);
    expect(requests[1]!.headers.get('Authorization')).toBe('Bearer renewed');
  });

  it('asks the browser to store nothing in its HTTP cache (Firefox makes a second request for a URL wait on a first it could store)', async () => {
    const { http, requests } = transport((request) =>
      request.method === 'POST' ? Response.json({ results: [{ id: 'a', position: 1 }], head: 1 }) : Response.json({ events: [], head: 0 }),
    );
    await http.pull(0, 10);
    await http.push([event('a')], 0);
    expect(requests.map((r) => [r.method, r.cache])).toEqual([
      ['GET', 'no-store'],
      ['GET', 'no-store'], // the read-back before a first push
      ['POST', 'no-store'],
    ]);
  });

  it('pushes JSON with its content type, and no Authorization without a token', async () => {
    const { http, requests } = transport(() => Response.json({ results: [{ id: 'a', position: 4 }], head: 4 }));
    await http.push([event('a')], 3);
    expect(requests[0]!.method).toBe('POST');
    expect(requests[0]!.headers.get('Content-Type')).toBe('application/json');
    expect(requests[0]!.headers.get('Authorization')).toBeNull();
    expect(await requests[0]!.json()).toEqual({ events: [event('a')] });
  });

  it('before its first push to a log it has confirmed nothing of, reads the first event back: an encrypted log is refused, nothing pushed', async () => {
    const sealed = { ...positioned('s', 1), payload: { $sealed: 1, key: 'default', data: 'AAAA' } };
    const encrypted = transport((r) => (r.method === 'GET' ? Response.json({ events: [sealed], head: 1 }) : Response.json({})));
    const error = await rejection(encrypted.http.push([event('a')], 0));
    expect(error.name).toBe('DecryptionError');
    expect(error.details).toMatchObject({ reason: 'no-key', eventId: 's' });
    expect(encrypted.requests.map((r) => `${r.method} ${new URL(r.url).search}`)).toEqual(['GET ?after=0&limit=1']);

    const plain = transport((r) =>
      r.method === 'GET'
        ? Response.json({ events: [positioned('p', 1)], head: 1 })
        : Response.json({
            results: [
              { id: 'a', position: 2 },
              { id: 'b', position: 3 },
            ],
            head: 3,
          }),
    );
    await plain.http.push([event('a'), event('b')], 0);
    await plain.http.push([event('a'), event('b')], 0); // once per transport
    expect(plain.requests.map((r) => r.method)).toEqual(['GET', 'POST', 'POST']);
  });
});

describe('errors', () => {
  it('turns an HTTP error into a SyncError with status, the protocol code and message, and Retry-After in ms', async () => {
    const { http } = transport(() =>
      Response.json({ error: { code: 'unavailable', message: 'storage down' } }, { status: 503, headers: { 'Retry-After': '7' } }),
    );
    const error = await rejection(http.pull(0, 10));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toBe('The sync server answered 503 (unavailable): storage down');
    expect(error.details).toEqual({ status: 503, code: 'unavailable', retryAfter: 7000 });
  });

  it('keeps the status line when the error body is not the protocol’s', async () => {
    const { http } = transport(() => new Response('<html>Bad Gateway</html>', { status: 502 }));
    const error = await rejection(http.pull(0, 10));
    expect(error.message).toBe('The sync server answered 502 (http_error): HTTP 502');
    // No retryAfter key at all without a Retry-After header.
    expect(error.details).toStrictEqual({ status: 502, code: 'http_error' });
  });

  it('keeps the status line when the error body is JSON of another shape, and ignores a Retry-After it cannot read', async () => {
    const { http } = transport(() => Response.json({ error: 'storage down' }, { status: 500, headers: { 'Retry-After': 'later' } }));
    const error = await rejection(http.push([event('a')], 0));
    expect(isSyncError(error)).toBe(true);
    expect(error.message).toBe('The sync server answered 500 (http_error): HTTP 500');
    expect(error.details).toStrictEqual({ status: 500, code: 'http_error' });
  });

  it('names the cause of an unreachable server in the message and keeps it as the cause', async () => {
    const cause = new TypeError('fetch failed');
    const down = transport(() => Promise.reject(cause));
    const error = await rejection(down.http.push([event('a')], 0));
    expect(error.message).toBe('The sync server cannot be reached: fetch failed');
    expect(error.cause).toBe(cause);
    const odd = transport(() => Promise.reject('socket hang up'));
    expect((await rejection(odd.http.pull(0, 10))).message).toBe('The sync server cannot be reached: socket hang up');
    const nothing = await rejection(transport(() => Promise.reject(null)).http.pull(0, 10));
    expect(isSyncError(nothing)).toBe(true);
    expect(nothing.details).toEqual({ status: 0 });
  });

  it('passes the caller’s signal to fetch: an aborted pull or push is an AbortError, not a SyncError', async () => {
    const fetchLike = (request: Request) =>
      request.signal.aborted ? Promise.reject(request.signal.reason) : Response.json({ events: [], head: 0 });
    const { http, requests } = transport(fetchLike);
    const abort = new AbortController();
    abort.abort();
    expect((await rejection(http.pull(0, 10, abort.signal))).name).toBe('AbortError');
    expect((await rejection(http.push([event('a')], 0, abort.signal))).name).toBe('AbortError');
    expect(requests.map((r) => r.signal.aborted)).toEqual([true, true]);
    await http.pull(0, 10);
    expect(requests[2]!.signal.aborted).toBe(false);
  });

  it('lets an abort while the answer is read through as it is', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"events": ['));
        controller.error(new DOMException('The operation was aborted', 'AbortError'));
      },
    });
    const { http } = transport(() => new Response(body));
    expect((await rejection(http.pull(0, 10))).name).toBe('AbortError');
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
    const error = await rejection(http.pull(0, 10));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/^The sync server's answer is not JSON: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('makes an answer whose body fails without a reason a ProtocolError too', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(null);
      },
    });
    const { http } = transport(() => new Response(body));
    expect(isProtocolError(await rejection(http.pull(0, 10)))).toBe(true);
  });

  it('names where a malformed answer breaks the schema, and which request it answered', async () => {
    const pull = transport(() => Response.json({ events: [{ ...positioned('a', 1), position: 0 }], head: 1 }));
    expect((await rejection(pull.http.pull(0, 10))).message).toMatch(
      /^The sync server's pull answer is malformed at events\.0\.position: /,
    );
    const push = transport(() => Response.json({ results: [{ id: 'a' }], head: 1 }));
    expect((await rejection(push.http.push([event('a')], 1))).message).toMatch(
      /^The sync server's push answer is malformed at results\.0: /,
    );
    const top = transport(() => Response.json('ok'));
    const error = await rejection(top.http.pull(0, 10));
    expect(isProtocolError(error)).toBe(true);
    expect(error.message).toMatch(/^The sync server's pull answer is malformed at the top: /);
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
    [
      'results for other ids',
      {
        results: [
          { id: 'a', position: 1 },
          { id: 'x', position: 2 },
        ],
        head: 2,
      },
    ],
    [
      'a position past the head',
      {
        results: [
          { id: 'a', position: 1 },
          { id: 'b', position: 3 },
        ],
        head: 2,
      },
    ],
    [
      'a head below the confirmed one',
      {
        results: [
          { id: 'a', position: 4 },
          { id: 'b', position: 5 },
        ],
        head: 2,
      },
    ],
  ])('a push answer with %s', async (_, answer) => {
    const { http } = transport(() => Response.json(answer));
    expect(isProtocolError(await rejection(http.push([event('a'), event('b')], 3)))).toBe(true);
  });

  it('a pull page that holds one event id at two positions, naming the id', async () => {
    const { http } = transport(() => Response.json({ events: [positioned('a', 1), positioned('a', 2)], head: 2 }));
    const error = await rejection(http.pull(0, 10));
    expect(isProtocolError(error)).toBe(true);
    expect(error.details).toEqual({ eventId: 'a' });
  });

  it('names the position that was due, the limit, and the head in the message', async () => {
    const gap = transport(() => Response.json({ events: [positioned('a', 4), positioned('b', 6)], head: 6 }));
    expect((await rejection(gap.http.pull(3, 10))).message).toMatch(/position 6 where 5 was due/);
    const many = transport(() => Response.json({ events: [positioned('a', 1), positioned('b', 2), positioned('c', 3)], head: 3 }));
    expect((await rejection(many.http.pull(0, 2))).message).toMatch(/3 events for a limit of 2/);
    const past = transport(() => Response.json({ events: [positioned('a', 1), positioned('b', 2)], head: 1 }));
    expect((await rejection(past.http.pull(0, 10))).message).toMatch(/position 2 past its head 1/);
  });

  it('a push answer whose results name the pushed events in another order', async () => {
    const { http } = transport(() =>
      Response.json({
        results: [
          { id: 'b', position: 4 },
          { id: 'a', position: 5 },
        ],
        head: 5,
      }),
    );
    const error = await rejection(http.push([event('a'), event('b')], 3));
    expect(isProtocolError(error)).toBe(true);
    expect(error.details).toEqual({ pushed: 2, results: 2 });
    const oneOther = transport(() =>
      Response.json({
        results: [
          { id: 'a', position: 4 },
          { id: 'x', position: 5 },
        ],
        head: 5,
      }),
    );
    expect(isProtocolError(await rejection(oneOther.http.push([event('a'), event('b')], 3)))).toBe(true);
  });

  it('a push answer that names how many results came for how many events', async () => {
    const { http } = transport(() => Response.json({ results: [{ id: 'a', position: 4 }], head: 4 }));
    const error = await rejection(http.push([event('a'), event('b')], 3));
    expect(error.details).toEqual({ pushed: 2, results: 1 });
    expect(error.message).toBe('The server answered a push with results that do not match the pushed events');
  });

  it('a push answer with a position this replica already has confirmed: the server lost data', async () => {
    const { http } = transport(() => Response.json({ results: [{ id: 'a', position: 3 }], head: 4 }));
    const error = await rejection(http.push([event('a')], 3));
    expect(isProtocolError(error)).toBe(true);
    expect(error.details).toEqual({ serverHead: 2, confirmed: 3 });
    // What an operator reads: the server lost data, and what to do about it.
    expect(error.message).toMatch(
      /^The sync server's log ends at position 2, but this replica already has 3 events confirmed by it: the server lost data/,
    );
    expect(error.message).toMatch(/restore the server's storage, or start this replica on a new database$/);
  });

  it('a push answer that gives one position to two events', async () => {
    const { http } = transport(() =>
      Response.json({
        results: [
          { id: 'a', position: 4 },
          { id: 'b', position: 4 },
        ],
        head: 4,
      }),
    );
    const error = await rejection(http.push([event('a'), event('b')], 3));
    expect(isProtocolError(error)).toBe(true);
    expect(error.details).toEqual({ position: 4 });
    expect(error.message).toBe('The server gave position 4 to two events of one push');
  });

  it('a push answer with a position past the head, naming both', async () => {
    const { http } = transport(() => Response.json({ results: [{ id: 'a', position: 5 }], head: 4 }));
    expect((await rejection(http.push([event('a')], 3))).message).toBe('The server confirmed position 5 past its head 4');
  });

  it('takes a pull page of exactly the limit, ending at the head', async () => {
    const page = { events: [positioned('a', 3), positioned('b', 4)], head: 4 };
    const { http } = transport(() => Response.json(page));
    expect(await http.pull(2, 2)).toEqual(page);
  });

  it('takes a push answer whose events all conflicted, and one that only confirms known positions', async () => {
    const conflicts = {
      results: [
        { id: 'a', error: 'conflict', streamVersion: 2 },
        { id: 'b', error: 'conflict', streamVersion: 2 },
      ],
      head: 3,
    };
    expect(await transport(() => Response.json(conflicts)).http.push([event('a'), event('b')], 3)).toEqual(conflicts);
    const confirmedBefore = { results: [{ id: 'a', position: 4 }], head: 4 };
    expect(await transport(() => Response.json(confirmedBefore)).http.push([event('a')], 3)).toEqual(confirmedBefore);
  });

  it('takes a push answer with conflicts for some events and positions for others', async () => {
    const answer = {
      results: [
        { id: 'a', position: 4 },
        { id: 'b', error: 'conflict', streamVersion: 2 },
      ],
      head: 4,
    };
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
    expect(parseRetryAfter('5s')).toBeUndefined();
    expect(parseRetryAfter('s5')).toBeUndefined();
  });
});
