/**
 * createSyncApp() as a web-standard fetch handler (DESIGN "Sync" wire protocol, "Server"):
 * every invalid request gets its 4xx `{ error: { code, message } }` and changes no log;
 * auth scopes tokens to logs and access; CORS; and, through a real startSyncServer, the 413
 * for an oversized body and the live Server-Sent Events route.
 */
import { connect } from 'node:net';
import type { EventSourceMessage } from 'eventsource-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSyncApp, type SyncApp, type SyncAppOptions } from '../../../src/server/app.ts';
import { memoryStorage } from '../../../src/server/memoryStorage.ts';
import { startSyncServer, type RunningSyncServer } from '../../../src/server/startSyncServer.ts';
import type { SyncStorage } from '../../../src/server/storage.ts';
import type { EventsResponse, WireEvent } from '../../../src/protocol/wire.ts';
import { readSse, subscribe } from '../../support/sse.ts';
import { positioned, wireCommit, wireEvent } from './conformance.ts';

const ORIGIN = 'http://127.0.0.1:8787';
const LOG = 'todo-list';

function request(
  app: SyncApp,
  method: string,
  path: string,
  init: { body?: unknown; raw?: BodyInit; headers?: Record<string, string> } = {},
) {
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers };
  return app.fetch(new Request(`${ORIGIN}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
}

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const json = (await response.json()) as { error: { code: string; message: string } };
  expect(json).toStrictEqual({ error: { code, message: expect.any(String) } });
  expect(json.error.message.length).toBeGreaterThan(0);
  return json.error.message;
}

/** A valid wire event as plain JSON, to be broken by the cases below. */
const valid = (over: Record<string, unknown> = {}) => ({ ...wireEvent(), ...over });
const without = (key: string) => {
  const e: Record<string, unknown> = valid();
  delete e[key];
  return e;
};

describe('createSyncApp', () => {
  let storage: SyncStorage;
  let app: SyncApp;
  let seeded: WireEvent[];

  const make = (options: Partial<SyncAppOptions> = {}) => createSyncApp({ storage, ...options });

  beforeEach(async () => {
    storage = memoryStorage();
    app = make();
    seeded = wireCommit(2, { stream: 's' });
    await storage.push(LOG, seeded);
  });

  afterEach(async () => {
    app.close();
    await storage.close();
  });

  /** The seeded log, read through the app, is exactly as it was. */
  const expectLogUnchanged = async (logId = LOG, target = app) => {
    const res = await request(target, 'GET', `/v1/logs/${logId}/events`);
    expect(res.status).toBe(200);
    expect(await res.json()).toStrictEqual({ events: seeded.map((e, i) => positioned(e, i + 1)), head: 2 });
  };

  describe('the happy path', () => {
    it('pushes and reads through the wire protocol', async () => {
      const events = wireCommit(2, { payload: { title: 'Milk' }, meta: { m: 1 } });
      const pushed = await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events } });
      expect(pushed.status).toBe(200);
      expect(pushed.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await pushed.json()).toStrictEqual({ results: events.map((e, i) => ({ id: e.id, position: 3 + i })), head: 4 });

      const read = await request(app, 'GET', `/v1/logs/${LOG}/events?after=2&limit=10`);
      expect(read.status).toBe(200);
      expect(await read.json()).toStrictEqual({ events: events.map((e, i) => positioned(e, 3 + i)), head: 4 });
    });

    it('answers a conflict as a 200 result, not an error', async () => {
      const events = wireCommit(1, { stream: 's', expectedVersion: 'none' });
      const res = await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events } });
      expect(res.status).toBe(200);
      expect(await res.json()).toStrictEqual({ results: [{ id: events[0]!.id, error: 'conflict', streamVersion: 2 }], head: 2 });
      await expectLogUnchanged();
    });

    it('reads a never-written log as 200 { events: [], head: 0 }', async () => {
      const res = await request(app, 'GET', '/v1/logs/never-written/events');
      expect(res.status).toBe(200);
      expect(await res.json()).toStrictEqual({ events: [], head: 0 });
      const paged = await request(app, 'GET', '/v1/logs/never-written/events?after=10&limit=5');
      expect(await paged.json()).toStrictEqual({ events: [], head: 0 });
    });

    it('accepts every logId character and the 128-character maximum', async () => {
      for (const logId of ['A-z_0.9:x', 'a'.repeat(128), 'x.', 'tenant:42:list-7']) {
        const res = await request(app, 'POST', `/v1/logs/${logId}/events`, { body: { events: [wireEvent()] } });
        expect(res.status, logId).toBe(200);
        expect(((await res.json()) as { head: number }).head).toBe(1);
      }
    });

    it('caps a pull at maxPullLimit events', async () => {
      app = make({ limits: { maxPullLimit: 3 } });
      await storage.push(LOG, wireCommit(5));
      const res = await request(app, 'GET', `/v1/logs/${LOG}/events?limit=100`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as EventsResponse;
      expect(page.events.map((e) => e.position)).toStrictEqual([1, 2, 3]);
      expect(page.head).toBe(7);
    });
  });

  describe('invalid pushes get 400 invalid and store nothing', () => {
    const push = (body: unknown) =>
      request(app, 'POST', `/v1/logs/${LOG}/events`, { raw: typeof body === 'string' ? body : JSON.stringify(body) });

    it.each([
      ['truncated JSON', '{"events": ['],
      ['not JSON at all', 'events=1'],
      ['an empty body', ''],
    ])('rejects a body that is not JSON: %s', async (_, raw) => {
      const message = await expectError(await push(raw), 400, 'invalid');
      expect(message).toMatch(/JSON/);
      await expectLogUnchanged();
    });

    it.each<[string, unknown]>([
      ['null', null],
      ['an array', [valid()]],
      ['an object without events', {}],
      ['events not an array', { events: valid() }],
      ['an empty events array', { events: [] }],
      ['an event that is null', { events: [null] }],
      ['an event that is a string', { events: ['added'] }],
      ['a missing id', { events: [without('id')] }],
      ['a missing type', { events: [without('type')] }],
      ['a missing stream', { events: [without('stream')] }],
      ['a missing clientId', { events: [without('clientId')] }],
      ['a missing commit', { events: [without('commit')] }],
      ['a missing time', { events: [without('time')] }],
      ['a numeric id', { events: [valid({ id: 42 })] }],
      ['a numeric type', { events: [valid({ type: 7 })] }],
      ['a null stream', { events: [valid({ stream: null })] }],
      ['an object clientId', { events: [valid({ clientId: { id: 'c' } })] }],
      ['a string time', { events: [valid({ time: '2024-01-01' })] }],
      ['a null time', { events: [valid({ time: null })] }],
      ['a string meta', { events: [valid({ meta: 'note' })] }],
      ['a null meta', { events: [valid({ meta: null })] }],
      ['a negative expectedVersion', { events: [valid({ expectedVersion: -1 })] }],
      ['a fractional expectedVersion', { events: [valid({ expectedVersion: 1.5 })] }],
      ['a word expectedVersion other than none', { events: [valid({ expectedVersion: 'any' })] }],
      ['an empty type', { events: [valid({ type: '' })] }],
      ['an empty stream', { events: [valid({ stream: '' })] }],
      ['an empty id', { events: [valid({ id: '' })] }],
      ['a 257-character type', { events: [valid({ type: 't'.repeat(257) })] }],
      ['a 257-character stream', { events: [valid({ stream: 's'.repeat(257) })] }],
      ['a 129-character id', { events: [valid({ id: 'i'.repeat(129) })] }],
      ['a 129-character commit', { events: [valid({ commit: 'c'.repeat(129) })] }],
      ['a 129-character clientId', { events: [valid({ clientId: 'c'.repeat(129) })] }],
      ['a reserved $ type', { events: [valid({ type: '$snapshot', payload: { commit: 'x' } })] }],
      ['a $ type that only looks like a marker', { events: [valid({ type: '$undone', payload: { commit: 'x' } })] }],
      ['$undo without payload', { events: [without('payload')].map((e) => ({ ...e, type: '$undo' })) }],
      ['$undo with a null payload', { events: [valid({ type: '$undo', payload: null })] }],
      ['$undo with a numeric commit', { events: [valid({ type: '$undo', payload: { commit: 5 } })] }],
      ['$redo with a string payload', { events: [valid({ type: '$redo', payload: 'c1' })] }],
      ['$redo without commit', { events: [valid({ type: '$redo', payload: { target: 'c1' } })] }],
      ['a valid event followed by a broken one', { events: [valid(), valid({ time: 'later' })] }],
      ['schemaVersion 0', { events: [valid({ schemaVersion: 0 })] }],
      ['a fractional schemaVersion', { events: [valid({ schemaVersion: 1.5 })] }],
      ['a string schemaVersion', { events: [valid({ schemaVersion: '2' })] }],
    ])('rejects %s', async (_, body) => {
      await expectError(await push(body), 400, 'invalid');
      await expectLogUnchanged();
    });

    it('names the offending field in the message', async () => {
      const message = await expectError(await push({ events: [valid(), valid({ type: 't'.repeat(257) })] }), 400, 'invalid');
      expect(message).toMatch(/type/);
      expect(message).toMatch(/256/);
    });

    // valibot's v.record() alone accepts an array and turns it into an object
    // ({"0":1,"1":2}): a meta that is not a record must be refused, not stored changed.
    it('rejects an array meta', async () => {
      await expectError(await push({ events: [valid({ meta: [1, 2] })] }), 400, 'invalid');
      await expectLogUnchanged();
    });

    it('rejects an id twice in one push, and a commit partly in the log already', async () => {
      const twice = valid();
      await expectError(await push({ events: [twice, { ...twice, commit: 'other' }] }), 400, 'invalid');
      await expectLogUnchanged();
      const partly = [seeded[0], valid({ commit: seeded[0]!.commit })];
      await expectError(await push({ events: [valid(), ...partly] }), 400, 'invalid');
      await expectLogUnchanged();
    });

    it('accepts $undo and $redo with { commit }', async () => {
      const events = [
        valid({ type: '$undo', payload: { commit: seeded[0]!.commit } }),
        valid({ type: '$redo', payload: { commit: seeded[0]!.commit } }),
      ];
      const res = await push({ events });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { head: number }).head).toBe(4);
    });
  });

  describe('limits', () => {
    it('answers 413 too_large for a body over maxBodyBytes, and stores nothing', async () => {
      app = make({ limits: { maxBodyBytes: 2048 } });
      const body = JSON.stringify({ events: [valid({ payload: 'x'.repeat(3000) })] });
      await expectError(await request(app, 'POST', `/v1/logs/${LOG}/events`, { raw: body }), 413, 'too_large');
      await expectLogUnchanged();
      // a body under the limit is fine
      const small = await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events: [valid({ payload: 'x'.repeat(100) })] } });
      expect(small.status).toBe(200);
    });

    it('answers 413 for a streamed body (no Content-Length) over maxBodyBytes', async () => {
      app = make({ limits: { maxBodyBytes: 2048 } });
      const chunk = new TextEncoder().encode('x'.repeat(1024));
      let sent = 0;
      const raw = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 4) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const res = await app.fetch(
        new Request(`${ORIGIN}/v1/logs/${LOG}/events`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: raw,
          duplex: 'half',
        } as RequestInit),
      );
      await expectError(res, 413, 'too_large');
      await expectLogUnchanged();
    });

    it('answers 413 too_large for more than maxEventsPerPush events, and stores nothing', async () => {
      app = make({ limits: { maxEventsPerPush: 5 } });
      const message = await expectError(
        await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events: Array.from({ length: 6 }, () => valid()) } }),
        413,
        'too_large',
      );
      expect(message).toMatch(/5/);
      await expectLogUnchanged();
      const five = await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events: Array.from({ length: 5 }, () => valid()) } });
      expect(five.status).toBe(200);
    });

    it('defaults to 1000 events and 1 MiB per push', async () => {
      const events = (n: number) =>
        Array.from({ length: n }, (_, i) => wireEvent({ id: `ev-${n}-${i}`, commit: `c-${n}-${i}`, payload: null }));
      await expectError(await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events: events(1001) } }), 413, 'too_large');
      await expectLogUnchanged();
      const overMiB = JSON.stringify({ events: [valid({ payload: 'x'.repeat(1024 * 1024) })] });
      await expectError(await request(app, 'POST', `/v1/logs/${LOG}/events`, { raw: overMiB }), 413, 'too_large');
      await expectLogUnchanged();

      const thousand = await request(app, 'POST', `/v1/logs/${LOG}/events`, { body: { events: events(1000) } });
      expect(thousand.status).toBe(200);
      expect(((await thousand.json()) as { head: number }).head).toBe(1002);
      const underMiB = JSON.stringify({ events: [valid({ payload: 'x'.repeat(1024 * 1024 - 1024) })] });
      expect((await request(app, 'POST', `/v1/logs/new-log/events`, { raw: underMiB })).status).toBe(200);
    });
  });

  describe('logIds', () => {
    const bad: [string, string][] = [
      ['a single space', '%20'],
      ['blank spaces', '%20%20%20'],
      ['129 characters', 'a'.repeat(129)],
      ['a leading dot', '.hidden'],
      ['an encoded slash', 'a%2Fb'],
      ['a space inside', 'my%20log'],
      ['a percent sign', '100%25'],
      ['a broken percent escape', 'a%zz'],
      ['a question mark', 'a%3Fb'],
      ['a non-ASCII letter', 'caf%C3%A9'],
      ['a tab', 'a%09b'],
    ];

    it.each(bad)('answers 400 invalid for a logId with %s, on every route', async (_, logId) => {
      const message = await expectError(await request(app, 'GET', `/v1/logs/${logId}/events`), 400, 'invalid');
      expect(message).toMatch(/logId/);
      await expectError(await request(app, 'POST', `/v1/logs/${logId}/events`, { body: { events: [valid()] } }), 400, 'invalid');
      await expectError(await request(app, 'GET', `/v1/logs/${logId}/live`), 400, 'invalid');
      await expectLogUnchanged();
    });

    // An empty logId ("/v1/logs//events") matches no route; DESIGN says a logId is 1..128
    // characters and any other gets 400, not 404.
    it('answers 400 invalid for an empty logId', async () => {
      await expectError(await request(app, 'POST', '/v1/logs//events', { body: { events: [valid()] } }), 400, 'invalid');
    });

    it('never lets a raw slash address another log', async () => {
      // "a/b" unencoded is another path, not log "a": no route
      await expectError(await request(app, 'POST', `/v1/logs/${LOG}/x/events`, { body: { events: [valid()] } }), 404, 'not_found');
      await expectLogUnchanged();
    });
  });

  describe('routes and query parameters', () => {
    it.each([
      ['GET', '/'],
      ['GET', '/v1'],
      ['GET', '/v1/logs'],
      ['GET', `/v1/logs/${LOG}`],
      ['GET', `/v1/logs/${LOG}/unknown`],
      ['POST', `/v1/logs/${LOG}/push`],
      ['GET', `/v2/logs/${LOG}/events`],
      ['POST', '/v1/events'],
    ])('answers 404 not_found for %s %s', async (method, path) => {
      await expectError(await request(app, method, path, method === 'POST' ? { body: { events: [valid()] } } : {}), 404, 'not_found');
      await expectLogUnchanged();
    });

    it.each([
      ['PUT', `/v1/logs/${LOG}/events`],
      ['DELETE', `/v1/logs/${LOG}/events`],
      ['PATCH', `/v1/logs/${LOG}/events`],
      ['DELETE', `/v1/logs/${LOG}/live`],
    ])('answers 405 method_not_allowed for %s %s, and changes nothing', async (method, path) => {
      await expectError(await request(app, method, path, { body: { events: [valid()] } }), 405, 'method_not_allowed');
      await expectLogUnchanged();
    });

    // POST on the live route is a wrong method on a known route.
    it('answers 405 for POST on the live route', async () => {
      await expectError(await request(app, 'POST', `/v1/logs/${LOG}/live`, { body: { events: [valid()] } }), 405, 'method_not_allowed');
    });

    it.each([
      ['after=-1'],
      ['after=abc'],
      ['after=1.5'],
      ['after=1e3'],
      ['after='],
      ['after=%2B1'],
      ['limit=0'],
      ['limit=-5'],
      ['limit=ten'],
      ['limit=2.5'],
      ['limit='],
      ['after=0&limit=0'],
    ])('answers 400 invalid for a read with %s', async (query) => {
      await expectError(await request(app, 'GET', `/v1/logs/${LOG}/events?${query}`), 400, 'invalid');
    });

    it.each([['after=-1'], ['after=x'], ['after=0.5']])('answers 400 invalid for a live subscription with %s', async (query) => {
      await expectError(await request(app, 'GET', `/v1/logs/${LOG}/live?${query}`), 400, 'invalid');
    });
  });

  describe('auth', () => {
    const tokens = {
      'write-a': { logs: ['log-a'], access: 'write' as const },
      'read-a': { logs: ['log-a'], access: 'read' as const },
      'write-any': { logs: '*' as const, access: 'write' as const },
      'read-any': { logs: '*' as const, access: 'read' as const },
    };
    const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
    let secured: SyncApp;
    let before: WireEvent[];

    beforeEach(async () => {
      secured = make({ auth: { tokens } });
      before = wireCommit(1);
      await storage.push('log-a', before);
    });
    afterEach(() => secured.close());

    const pushTo = (logId: string, headers: Record<string, string> = {}) =>
      request(secured, 'POST', `/v1/logs/${logId}/events`, { body: { events: [valid()] }, headers });
    const readFrom = (logId: string, headers: Record<string, string> = {}) =>
      request(secured, 'GET', `/v1/logs/${logId}/events`, { headers });
    const head = (logId: string) => storage.head(logId);

    it('answers 401 with WWW-Authenticate without a token, on every route', async () => {
      for (const res of [await pushTo('log-a'), await readFrom('log-a'), await request(secured, 'GET', '/v1/logs/log-a/live')]) {
        expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
        await expectError(res, 401, 'unauthorized');
      }
      expect(await head('log-a')).toBe(1);
    });

    it.each([
      ['an unknown token', 'Bearer nope'],
      ['another scheme', 'Basic d3JpdGUtYTo='],
      ['an empty bearer', 'Bearer '],
      ['a token with a suffix', 'Bearer write-a2'],
      ['a token prefix', 'Bearer write-'],
    ])('answers 401 with WWW-Authenticate for %s', async (_, header) => {
      const res = await pushTo('log-a', { Authorization: header });
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/);
      await expectError(res, 401, 'unauthorized');
      await expectError(await readFrom('log-a', { Authorization: header }), 401, 'unauthorized');
      expect(await head('log-a')).toBe(1);
    });

    it('answers 403 forbidden for a token used on a log it does not name', async () => {
      await expectError(await pushTo('log-b', bearer('write-a')), 403, 'forbidden');
      await expectError(await readFrom('log-b', bearer('write-a')), 403, 'forbidden');
      await expectError(await readFrom('log-b', bearer('read-a')), 403, 'forbidden');
      await expectError(await request(secured, 'GET', '/v1/logs/log-b/live', { headers: bearer('read-a') }), 403, 'forbidden');
      expect(await head('log-b')).toBe(0);
    });

    it('lets a read token read but answers 403 when it pushes', async () => {
      await expectError(await pushTo('log-a', bearer('read-a')), 403, 'forbidden');
      expect(await head('log-a')).toBe(1);
      const read = await readFrom('log-a', bearer('read-a'));
      expect(read.status).toBe(200);
      expect(await read.json()).toStrictEqual({ events: [positioned(before[0]!, 1)], head: 1 });
    });

    it('lets a write token push and read its log', async () => {
      const pushed = await pushTo('log-a', bearer('write-a'));
      expect(pushed.status).toBe(200);
      expect(((await pushed.json()) as { head: number }).head).toBe(2);
      const read = await readFrom('log-a', bearer('write-a'));
      expect(read.status).toBe(200);
      expect(((await read.json()) as EventsResponse).head).toBe(2);
    });

    it("lets a '*' token reach every log, with its access", async () => {
      for (const logId of ['log-a', 'log-b', 'anything:else']) {
        expect((await pushTo(logId, bearer('write-any'))).status).toBe(200);
        expect((await readFrom(logId, bearer('write-any'))).status).toBe(200);
        expect((await readFrom(logId, bearer('read-any'))).status).toBe(200);
        await expectError(await pushTo(logId, bearer('read-any')), 403, 'forbidden');
      }
      expect(await head('log-b')).toBe(1);
    });
  });

  describe('CORS', () => {
    it('answers a preflight with Access-Control-Allow-Origin and allows Authorization: open from a loopback origin, with auth from any', async () => {
      const cases: [SyncApp, string][] = [
        [app, 'http://localhost:5173'],
        [make({ auth: { tokens: { t: { logs: '*', access: 'write' } } } }), 'https://app.example'],
      ];
      for (const [target, origin] of cases) {
        const res = await request(target, 'OPTIONS', `/v1/logs/${LOG}/events`, {
          headers: {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type',
          },
        });
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(300);
        expect(['*', origin]).toContain(res.headers.get('Access-Control-Allow-Origin'));
        expect(res.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toMatch(/(^|[ ,])authorization([ ,]|$)/);
        expect(res.headers.get('Access-Control-Allow-Methods')).toMatch(/POST/);
      }
      await expectLogUnchanged();
    });

    it('puts Access-Control-Allow-Origin on answers and on errors, so a browser can read them', async () => {
      const ok = await request(app, 'GET', `/v1/logs/${LOG}/events`, { headers: { Origin: 'http://127.0.0.1:5173' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('Access-Control-Allow-Origin')).toBeTruthy();
      const secured = make({ auth: { tokens: { t: { logs: '*', access: 'write' } } } });
      const denied = await request(secured, 'GET', `/v1/logs/${LOG}/events`, { headers: { Origin: 'https://app.example' } });
      expect(denied.headers.get('Access-Control-Allow-Origin')).toBeTruthy();
      await expectError(denied, 401, 'unauthorized');
    });
  });
});

describe('the live route', () => {
  // A push announced while the live loop is reading (its poke finds no `wake` to call) must
  // still be sent at once, not at the next heartbeat (up to 15 s later by default).
  it('delivers a push announced while the stream was reading without waiting for a heartbeat', async () => {
    const inner = memoryStorage();
    let reads = 0;
    let readStarted!: () => void;
    const firstRead = new Promise<void>((resolve) => (readStarted = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let poked!: () => void;
    const announced = new Promise<void>((resolve) => (poked = resolve));
    const storage: SyncStorage = {
      ...inner,
      async read(logId, after, limit) {
        const page = await inner.read(logId, after, limit);
        if (++reads === 1) {
          readStarted();
          await gate; // the first read saw an empty log and is still "running"
        }
        return page;
      },
      subscribe: (logId, listener) =>
        inner.subscribe(logId, (head) => {
          listener(head);
          poked();
        }),
    };
    const app = createSyncApp({ storage, heartbeatMs: 1000 });
    const res = await app.fetch(new Request(`${ORIGIN}/v1/logs/${LOG}/live?after=0`));
    const order: string[] = [];
    const delivered = new Promise<void>((resolve) => {
      void readSse(res.body!, {
        onEvent: (message) => {
          if (message.event !== 'events') return;
          order.push('events');
          resolve();
        },
        onComment: () => void order.push('heartbeat'),
      }).catch(() => undefined);
    });
    try {
      await firstRead;
      await inner.push(LOG, [wireEvent()]);
      await announced; // the stream was told while its read was under way
      release();
      await delivered;
      expect(order[0]).toBe('events');
    } finally {
      app.close();
      await inner.close();
    }
  });
});

describe('startSyncServer over HTTP', () => {
  let storage: SyncStorage;
  let server: RunningSyncServer;

  beforeEach(async () => {
    storage = memoryStorage();
    server = await startSyncServer({ port: 0, storage, warn: () => {} });
  });
  afterEach(async () => {
    await server.close();
    await storage.close();
  });

  it('says loudly that it is open without auth, and not with it', async () => {
    const warnings: string[] = [];
    const open = await startSyncServer({ port: 0, storage, warn: (m) => warnings.push(m) });
    const closed = await startSyncServer({
      port: 0,
      storage,
      warn: (m) => warnings.push(`auth: ${m}`),
      auth: { tokens: { t: { logs: '*', access: 'read' } } },
    });
    await open.close();
    await closed.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/open/i);
    expect(warnings[0]).toContain(open.url);
  });

  /** Each oversized push on a server of its own, so on a fresh connection (see the keep-alive bug below). */
  const onFreshServer = async (send: (url: string) => Promise<Response>) => {
    const own = memoryStorage();
    const fresh = await startSyncServer({ port: 0, storage: own, warn: () => {} });
    try {
      const res = await send(`${fresh.url}/v1/logs/${LOG}/events`);
      await expectError(res, 413, 'too_large');
      expect(await own.head(LOG)).toBe(0);
    } finally {
      await fresh.close();
    }
  };
  const oversized = (bytes: number) => JSON.stringify({ events: [wireEvent({ payload: 'x'.repeat(bytes) })] });
  const streamedBody = (chunks: number) => {
    const chunk = new TextEncoder().encode('x'.repeat(256 * 1024));
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < chunks) controller.enqueue(chunk);
        else controller.close();
      },
    });
  };

  it('delivers the 413 for an oversized body to an ordinary fetch client, not a connection reset', async () => {
    for (const bytes of [1024 * 1024 + 1, 8 * 1024 * 1024]) {
      await onFreshServer((url) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: oversized(bytes) }));
    }
    // streamed, without Content-Length
    await onFreshServer((url) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: streamedBody(12),
        duplex: 'half',
      } as RequestInit),
    );
  });

  // After answering a push early (413 before reading its body), the server must not leave
  // the connection open with the unread body on it: a client reusing that socket would
  // fail its next request. It says `Connection: close` and closes; the next push, on a new
  // connection, lands. Driven over a raw socket, so which connection carries what is certain.
  it('closes the connection after an early 413, and the next push on a new connection lands', async () => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    let received = '';
    let changed: () => void = () => {};
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      changed();
    });
    let closed = false;
    socket.on('close', () => {
      closed = true;
      changed();
    });
    const until = (ready: () => boolean) =>
      new Promise<void>((resolve) => {
        changed = () => ready() && resolve();
        changed();
      });
    try {
      const big = oversized(2 * 1024 * 1024);
      socket.write(
        `POST /v1/logs/${LOG}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(big)}\r\n\r\n`,
      );
      socket.write(big);
      await until(() => received.includes('too_large') || closed);
      expect(received).toMatch(/^HTTP\/1\.1 413/);
      expect(received.slice(0, received.indexOf('\r\n\r\n'))).toMatch(/\r\nconnection: *close/i);
      await until(() => closed);
      expect(closed).toBe(true);
    } finally {
      socket.destroy();
    }
    const next = await fetch(`${server.url}/v1/logs/${LOG}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [wireEvent()] }),
    });
    expect(next.status).toBe(200);
  });

  it('streams the backlog after `after`, then new events as they land, as `event: events` with { events, head }', async () => {
    const backlog = [...wireCommit(2), ...wireCommit(1)];
    await storage.push(LOG, backlog);
    const live = await subscribe(`${server.url}/v1/logs/${LOG}/live?after=1`);
    try {
      expect(live.res.status).toBe(200);
      expect(live.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await live.until(() => live.events.length >= 2);
      const first = live.messages.find((m) => m.event === 'events')!;
      expect(JSON.parse(first.data)).toStrictEqual({ events: backlog.slice(1).map((e, i) => positioned(e, 2 + i)), head: 3 });
      expect(first.id).toBe('3');

      const later = wireCommit(2, { payload: { late: true } });
      const pushed = await fetch(`${server.url}/v1/logs/${LOG}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: later }),
      });
      expect(pushed.status).toBe(200);
      await live.until(() => live.events.length >= 4);
      expect(live.events).toStrictEqual([...backlog.slice(1), ...later].map((e, i) => positioned(e, 2 + i)));
      const last = live.messages.filter((m) => m.event === 'events').at(-1)!;
      expect((JSON.parse(last.data) as EventsResponse).head).toBe(5);
      expect(last.id).toBe('5');
      for (const m of live.messages.filter((m) => m.event === 'events')) {
        const data = JSON.parse(m.data) as EventsResponse;
        expect(Object.keys(data).sort()).toStrictEqual(['events', 'head']);
      }
    } finally {
      await live.close();
    }
  });

  it('streams from position 1 with after=0 and from the head when after is past it', async () => {
    const events = wireCommit(3);
    await storage.push(LOG, events);
    const all = await subscribe(`${server.url}/v1/logs/${LOG}/live?after=0`);
    const caughtUp = await subscribe(`${server.url}/v1/logs/${LOG}/live?after=3`);
    try {
      await all.until(() => all.events.length >= 3);
      expect(all.events).toStrictEqual(events.map((e, i) => positioned(e, i + 1)));
      await caughtUp.until(() => caughtUp.messages.length > 0); // open, nothing to send yet
      const next = wireCommit(1);
      await storage.push(LOG, next);
      await caughtUp.until(() => caughtUp.events.length >= 1);
      await all.until(() => all.events.length >= 4);
      expect(caughtUp.events).toStrictEqual([positioned(next[0]!, 4)]);
    } finally {
      await all.close();
      await caughtUp.close();
    }
  });

  it('resumes a live stream from Last-Event-ID', async () => {
    const events = wireCommit(4);
    await storage.push(LOG, events);
    const live = await subscribe(`${server.url}/v1/logs/${LOG}/live`, { headers: { 'Last-Event-ID': '2' } });
    try {
      await live.until(() => live.events.length >= 2);
      expect(live.events).toStrictEqual(events.slice(2).map((e, i) => positioned(e, 3 + i)));
    } finally {
      await live.close();
    }
  });

  it('ends open live streams when the server closes', async () => {
    const backlog = wireCommit(2);
    await storage.push(LOG, backlog);
    const res = await fetch(`${server.url}/v1/logs/${LOG}/live?after=0`);
    expect(res.status).toBe(200);
    const messages: EventSourceMessage[] = [];
    let caughtUp!: () => void;
    const backlogSent = new Promise<void>((resolve) => (caughtUp = resolve));
    const stopReading = new AbortController();
    // Settles once the stream is over, whether it ended cleanly or its connection was closed.
    const ended = readSse(
      res.body!,
      {
        onEvent: (message) => {
          messages.push(message);
          if (message.event === 'events') caughtUp();
        },
      },
      stopReading.signal,
    ).then(
      () => 'ended',
      () => 'ended',
    );
    // A bounded wait: a stream or a close that never ends fails here rather than at the test timeout.
    const within = async <T>(promise: Promise<T>, ms: number): Promise<T | 'still open'> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), ms)));
      try {
        return await Promise.race([promise, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    try {
      await backlogSent;
      expect(messages.map((m) => [m.event, JSON.parse(m.data)])).toStrictEqual([
        ['head', { head: 2 }],
        ['events', { events: backlog.map((e, i) => positioned(e, i + 1)), head: 2 }],
      ]);
      const closing = server.close().then(() => 'closed');
      expect(await within(ended, 2_000)).toBe('ended');
      expect(await within(closing, 2_000)).toBe('closed'); // not held up by the open stream
      expect(messages).toHaveLength(2); // nothing more came before the end
    } finally {
      stopReading.abort();
      await ended;
    }
  });
});
