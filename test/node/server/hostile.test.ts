/**
 * The server under hostile and careless input (issue 12): no request poisons a log, errors
 * that will not go away on retry are 4xx (never 503), a token is checked before the body is
 * read, and 5xx answers are logged with their cause.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSyncApp, type ServerLogEntry, type SyncApp, type SyncAppOptions } from '../../../src/server/app.ts';
import { memoryStorage } from '../../../src/server/memoryStorage.ts';
import type { SyncStorage } from '../../../src/server/storage.ts';
import { positioned, wireCommit, wireEvent } from './conformance.ts';

const ORIGIN = 'http://127.0.0.1:8787';
const LOG = 'hostile';
const EVENTS = `${ORIGIN}/v1/logs/${LOG}/events`;

let storage: SyncStorage;
let app: SyncApp;
beforeEach(() => {
  storage = memoryStorage();
  app = createSyncApp({ storage });
});
afterEach(async () => {
  app.close();
  await storage.close();
});

const push = (target: SyncApp, body: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  target.fetch(new Request(EVENTS, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }));

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const { error } = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...error };
}

/** `[[[…]]]` nested `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** Rejects if `p` has not settled within `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

describe('pushes', () => {
  it.each([
    ['text/plain (what a page sends without a preflight)', { 'Content-Type': 'text/plain' }],
    ['no content type', {} as Record<string, string>],
    ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }],
  ])('answers 415 for %s and stores nothing', async (_, headers) => {
    const response = await push(app, { events: [wireEvent()] }, headers);
    expect(await errorOf(response)).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(await storage.head(LOG)).toBe(0);
  });

  it('takes application/json with a charset', async () => {
    const response = await push(app, { events: [wireEvent()] }, { 'Content-Type': 'application/json; charset=utf-8' });
    expect(response.status).toBe(200);
  });

  it('answers 409 for an id pushed again with other content; the stored event is unchanged', async () => {
    const [original] = wireCommit(1, { payload: { title: 'original' } });
    expect((await push(app, { events: [original] })).status).toBe(200);
    const response = await push(app, { events: [{ ...original!, payload: { title: 'forged' } }] });
    expect(await errorOf(response)).toMatchObject({ status: 409, code: 'conflict' });
    expect(await storage.read(LOG, 0, 10)).toStrictEqual({ events: [positioned(original!, 1)], head: 1 });
  });

  it('answers 400 for a marker whose target the log does not hold', async () => {
    const response = await push(app, { events: [wireEvent({ type: '$undo', payload: { commit: 'never-pushed' } })] });
    expect(await errorOf(response)).toMatchObject({ status: 400, code: 'invalid' });
    expect(await storage.head(LOG)).toBe(0);
  });
});

describe('depth', () => {
  it('refuses payload and meta deeper than limits.maxDepth with 400, and keeps what is at the limit', async () => {
    const strict = createSyncApp({ storage, limits: { maxDepth: 3 } });
    expect((await push(strict, { events: [wireEvent({ payload: nested(3), meta: { a: nested(2) } })] })).status).toBe(200);
    expect(await errorOf(await push(strict, { events: [wireEvent({ payload: nested(4) })] }))).toMatchObject({
      status: 400,
      code: 'invalid',
    });
    expect(await errorOf(await push(strict, { events: [wireEvent({ meta: { a: nested(3) } })] }))).toMatchObject({ status: 400 });
    strict.close();
  });

  it.each([65, 5_000, 200_000])('refuses a payload %i levels deep with 400 (never 503), and the log stays readable', async (depth) => {
    const [kept] = wireCommit(1);
    await push(app, { events: [kept] });
    const response = await push(
      app,
      `{"events":[${JSON.stringify({ ...wireEvent(), payload: null }).replace('"payload":null', `"payload":${'['.repeat(depth)}${']'.repeat(depth)}`)}]}`,
    );
    expect(await errorOf(response)).toMatchObject({ status: 400, code: 'invalid' });
    const read = await app.fetch(new Request(`${EVENTS}?after=0`));
    expect(read.status).toBe(200);
    expect(await read.json()).toStrictEqual({ events: [positioned(kept!, 1)], head: 1 });
  });
});

describe('the token is checked before the body is read', () => {
  it('answers 401 to a push whose body never ends', async () => {
    const guarded = createSyncApp({ storage, auth: { tokens: { right: { logs: '*', access: 'write' } } } });
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new TextEncoder().encode('{"events":['));
        return new Promise(() => undefined); // the sender stalls
      },
    });
    const request = new Request(EVENTS, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer wrong' },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    const response = await within(guarded.fetch(request), 2_000);
    expect(await errorOf(response)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(pulled).toBeLessThanOrEqual(1); // at most what the stream offered up front
    guarded.close();
  });
});

describe('5xx answers are logged with their cause', () => {
  const failing = (): SyncStorage => ({
    ...memoryStorage(),
    push: () => Promise.reject(new Error('disk on fire')),
    read: () => Promise.reject(new TypeError('connection refused by the database')),
  });

  it('logs a failed push and a failed read, one entry each, and answers 503 with Retry-After', async () => {
    const entries: ServerLogEntry[] = [];
    const options: SyncAppOptions = { storage: failing(), log: (entry) => void entries.push(entry) };
    const broken = createSyncApp(options);
    const pushed = await push(broken, { events: [wireEvent()] });
    expect(pushed.status).toBe(503);
    expect(pushed.headers.get('Retry-After')).toBe('1');
    const read = await broken.fetch(new Request(`${EVENTS}?after=0`));
    expect(read.status).toBe(503);
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'error',
        status: 503,
        code: 'unavailable',
        method: 'POST',
        path: `/v1/logs/${LOG}/events`,
        cause: 'Error: disk on fire',
      }),
      expect.objectContaining({ status: 503, method: 'GET', cause: 'TypeError: connection refused by the database' }),
    ]);
    broken.close();
  });

  it('logs to console.error as one JSON line by default', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const broken = createSyncApp({ storage: failing() });
      await push(broken, { events: [wireEvent()] });
      expect(spy).toHaveBeenCalledTimes(1);
      const line = spy.mock.calls[0]![0] as string;
      expect(JSON.parse(line)).toMatchObject({ status: 503, cause: 'Error: disk on fire' });
      broken.close();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('the open server on a laptop (no auth)', () => {
  const evil = 'https://evil.example';

  it('refuses a request from a foreign origin with 403 and stores nothing; a loopback origin is served', async () => {
    const refused = await push(app, { events: [wireEvent()] }, { 'Content-Type': 'application/json', Origin: evil });
    expect(await errorOf(refused)).toMatchObject({ status: 403, code: 'forbidden' });
    expect(refused.headers.get('Access-Control-Allow-Origin')).toBeNull();
    const read = await app.fetch(new Request(`${EVENTS}?after=0`, { headers: { Origin: evil } }));
    expect(read.status).toBe(403);
    const preflight = await app.fetch(
      new Request(EVENTS, {
        method: 'OPTIONS',
        headers: { Origin: evil, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
      }),
    );
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(await storage.head(LOG)).toBe(0);
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:4173', 'http://[::1]:3000', 'http://app.localhost']) {
      const ok = await push(app, { events: [wireEvent()] }, { 'Content-Type': 'application/json', Origin: origin });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('Access-Control-Allow-Origin')).toBe(origin);
    }
  });

  it('serves the origins it is configured with, besides loopback ones', async () => {
    const configured = createSyncApp({ storage, cors: { origins: ['https://app.example'] } });
    expect(
      (await push(configured, { events: [wireEvent()] }, { 'Content-Type': 'application/json', Origin: 'https://app.example' })).status,
    ).toBe(200);
    expect((await push(configured, { events: [wireEvent()] }, { 'Content-Type': 'application/json', Origin: evil })).status).toBe(403);
    configured.close();
  });

  it('with auth, takes any origin (tokens travel in a header) and any host', async () => {
    const secured = createSyncApp({ storage, auth: { tokens: { t: { logs: '*', access: 'write' } } } });
    const response = await secured.fetch(
      new Request(`http://sync.example.com/v1/logs/${LOG}/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: evil, Authorization: 'Bearer t' },
        body: JSON.stringify({ events: [wireEvent()] }),
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    secured.close();
  });

  it('answers, over real HTTP, only requests whose Host is a loopback name or its configured host (no DNS rebinding)', async () => {
    const { startSyncServer } = await import('../../../src/server/startSyncServer.ts');
    const { request: httpRequest } = await import('node:http');
    const server = await startSyncServer({ port: 0, storage, warn: () => undefined, hosts: ['devbox.lan'] });
    const { port } = new URL(server.url);
    const get = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: `/v1/logs/${LOG}/events`, headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get('evil.example')).toBe(403);
      expect(await get(`evil.example:${port}`)).toBe(403);
      expect(await get(`127.0.0.1:${port}`)).toBe(200);
      expect(await get(`localhost:${port}`)).toBe(200);
      expect(await get(`[::1]:${port}`)).toBe(200);
      expect(await get(`devbox.lan:${port}`)).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('a body that trickles in', () => {
  it('gets a 408 after limits.bodyTimeoutMs, and its push is not stored even if the body arrives later', async () => {
    const slow = createSyncApp({ storage, limits: { bodyTimeoutMs: 100 } });
    const body = JSON.stringify({ events: [wireEvent()] });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const trickle = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 10)));
        await held;
        controller.enqueue(new TextEncoder().encode(body.slice(10)));
        controller.close();
      },
    });
    const response = await within(
      slow.fetch(
        new Request(EVENTS, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: trickle,
          duplex: 'half',
        } as RequestInit),
      ),
      2_000,
    );
    expect(await errorOf(response)).toMatchObject({ status: 408, code: 'timeout' });
    release();
    // Whatever the handler does with the late body, nothing lands.
    const after = await push(slow, { events: [wireEvent()] });
    expect(after.status).toBe(200);
    expect(await storage.head(LOG)).toBe(1);
    slow.close();
  });
});
