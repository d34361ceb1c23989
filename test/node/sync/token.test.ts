import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSyncError } from '../../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../../src/server/index.ts';
import { dbName, projections } from '../../support/fixtures.ts';
import { storesPerTest } from '../../support/stores.ts';
import { untilStatus } from '../../support/wait.ts';

// An expired token: a 401 stops the retries until the app gives a new token.
let server: RunningSyncServer;
const stores = storesPerTest();
beforeEach(async () => {
  server = await startSyncServer({ port: 0, storage: memoryStorage(), auth: { tokens: { fresh: { logs: '*', access: 'write' } } } });
});
afterEach(async () => {
  await stores.closeAll();
  await server.close();
});

/** A fetch that counts the requests and the bearer tokens they carried. */
function counting(): { fetch: typeof fetch; tokens: string[] } {
  const tokens: string[] = [];
  return {
    tokens,
    fetch: (input, init) => {
      tokens.push(new Headers(init?.headers).get('Authorization') ?? '');
      return fetch(input, init);
    },
  };
}

/** Resolves after `ms` (only to show that nothing happens meanwhile). */
const quiet = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an expired token', () => {
  it('stops the retries after a 401 until setToken(), then syncs at once', async () => {
    const traffic = counting();
    const store = await stores.open({
      name: dbName('token'),
      projections,
      sync: { url: server.url, logId: 'l', token: 'expired', live: false, fetch: traffic.fetch },
    });
    await store.append({ type: 'added', payload: { id: 'a' } });
    const stopped = await untilStatus(store, (s) => s.sync === 'error');
    expect(stopped.lastError?.message).toMatch(/401/);
    expect(stopped.lastError?.message).toMatch(/setToken/);
    const sent = traffic.tokens.length;
    // Backoff would have retried three times in this while (after ~0.25, 0.5 and 1 s at most).
    await quiet(2_000);
    expect(traffic.tokens.length).toBe(sent);
    expect(store.status.sync).toBe('error');

    store.sync.setToken('fresh');
    const synced = await untilStatus(store, (s) => s.sync === 'idle' && s.pending === 0);
    expect(synced.head).toBe(1);
    expect(traffic.tokens.at(-1)).toBe('Bearer fresh');
  });

  it('a live stream whose token is revoked does not reconnect with it', async () => {
    const requests: string[] = [];
    let revoked = false;
    let drop: (() => void) | undefined;
    let opened: () => void;
    const live = new Promise<void>((resolve) => (opened = resolve));
    const revocable: typeof fetch = async (input, init) => {
      const url = String(input);
      requests.push(url);
      if (revoked && new Headers(init?.headers).get('Authorization') === 'Bearer fresh') {
        return Response.json({ error: { code: 'unauthorized', message: 'token revoked' } }, { status: 401 });
      }
      const response = await fetch(input, init);
      if (!url.includes('/live') || !response.body) return response;
      // The live stream, with a way to cut its connection.
      const reader = response.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          drop = () => {
            controller.error(new TypeError('the connection dropped'));
            void reader.cancel();
          };
          void (async () => {
            for (;;) {
              const { done, value } = await reader.read().catch(() => ({ done: true as const, value: undefined }));
              if (done) return;
              try {
                controller.enqueue(value);
              } catch {
                return;
              }
            }
          })();
          opened();
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const store = await stores.open({
      name: dbName('token'),
      projections,
      sync: { url: server.url, logId: 'l', token: 'fresh', live: true, fetch: revocable },
    });
    await live;
    revoked = true;
    drop!();
    const stopped = await untilStatus(store, (s) => s.sync === 'error' && /401/.test(s.lastError?.message ?? ''));
    expect(stopped.lastError?.message).toMatch(/setToken/);
    const sent = requests.length;
    await quiet(2_000);
    expect(requests.slice(sent)).toEqual([]);
  });

  it('now() still tries after a 401 stop and rejects with the 401', async () => {
    const store = await stores.open({
      name: dbName('token'),
      projections,
      sync: { url: server.url, logId: 'l', token: 'expired', live: false },
    });
    await untilStatus(store, (s) => s.sync === 'error');
    const error = await store.sync.now().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSyncError(error)).toBe(true);
    expect((error as { details: { status: number } }).details.status).toBe(401);
    store.sync.setToken('fresh');
    await store.sync.now();
    expect(store.status.sync).toBe('idle');
  });

  it('setToken() refuses anything but a non-empty string', async () => {
    const store = await stores.open({
      name: dbName('token'),
      projections,
      sync: { url: server.url, logId: 'l', token: 'fresh', live: false },
    });
    expect(() => store.sync.setToken('')).toThrow(TypeError);
    expect(() => store.sync.setToken(42 as unknown as string)).toThrow(TypeError);
  });

  it('a token function is asked at start and again after each 401, and sync goes on by itself', async () => {
    const given = ['expired', 'fresh'];
    let calls = 0;
    const traffic = counting();
    const store = await stores.open({
      name: dbName('token'),
      projections,
      sync: {
        url: server.url,
        logId: 'l',
        live: false,
        fetch: traffic.fetch,
        token: async () => given[Math.min(calls++, given.length - 1)]!,
      },
    });
    await store.append({ type: 'added', payload: { id: 'a' } });
    await untilStatus(store, (s) => s.sync === 'idle' && s.pending === 0 && s.head === 1);
    expect(calls).toBe(2);
    expect(traffic.tokens[0]).toBe('Bearer expired');
    expect(traffic.tokens.at(-1)).toBe('Bearer fresh');
  });
});
