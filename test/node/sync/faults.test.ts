import 'fake-indexeddb/auto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProtocolError, isSyncError, type Store, type StoredEvent } from '../../../src/index.ts';
import { sqliteStorage, startSyncServer } from '../../../src/server/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';
import { syncServerPerTest } from '../../support/syncServer.ts';

// Faults are injected through the store's `sync.fetch`: the real server sees what the
// wrapper lets through.
const stores = storesPerTest();
const server = syncServerPerTest(stores);

type Fault = (request: Request, real: () => Promise<Response>) => Promise<Response>;

/** A fetch that routes each request through the current `fault` (none = pass through). */
function faulty(): { fetch: typeof fetch; set(fault: Fault | undefined): void; pushes: number } {
  let fault: Fault | undefined;
  const state = {
    pushes: 0,
    set: (f: Fault | undefined) => {
      fault = f;
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.method === 'POST') state.pushes++;
      const real = () => fetch(request.clone());
      return fault ? fault(request, real) : real();
    }) as typeof fetch,
  };
  return state;
}

async function replica(logId: string, f?: ReturnType<typeof faulty>, url = server.url): Promise<Store> {
  return stores.open({ name: dbName('faults'), projections, sync: { url, logId, live: false, ...(f ? { fetch: f.fetch } : {}) } });
}

const ids = (events: StoredEvent[]) => events.map((e) => `${e.position}:${e.id}`);

describe('sync under faults', () => {
  it('a request dropped before the server: SyncError, then a retry delivers once', async () => {
    const f = faulty();
    const a = await replica('drop', f);
    await a.append({ type: 'added', payload: { id: 'a' } });
    f.set(async () => {
      throw new TypeError('network down');
    });
    const error = await rejection(a.sync.now());
    expect(isSyncError(error)).toBe(true);
    expect(a.status.sync).toBe('error');
    expect(a.status.lastError?.name).toBe('SyncError');
    expect(a.status.pending).toBe(1);
    f.set(undefined);
    await a.sync.now();
    expect(a.status).toMatchObject({ pending: 0, sync: 'idle' });
    const other = await replica('drop');
    await other.sync.now();
    expect(ids(await other.events())).toEqual(ids(await a.events()));
    expect((await other.events()).length).toBe(1);
  });

  it('a response lost after the server stored the push: the retry duplicates nothing', async () => {
    const f = faulty();
    const a = await replica('lost', f);
    // The push's answer is lost after the server stored it, and the network stays down for
    // the pull that follows it: the events stay pending and are pushed again, same ids.
    f.set(async (request, real) => {
      if (request.method !== 'POST') throw new TypeError('network down');
      await real();
      throw new TypeError('connection reset after the server answered');
    });
    await a.append([
      { type: 'added', payload: { id: 'a' } },
      { type: 'added', payload: { id: 'b' } },
    ]);
    expect(isSyncError(await rejection(a.sync.now()))).toBe(true);
    expect(a.status.pending).toBe(2);
    const pushed = f.pushes;
    f.set(undefined);
    await a.sync.now();
    expect(f.pushes).toBeGreaterThan(pushed);
    const b = await replica('lost');
    await b.sync.now();
    expect((await b.events()).map((e) => e.position)).toEqual([1, 2]);
    expect(ids(await b.events())).toEqual(ids(await a.events()));
    expect(b.get('todos')).toEqual(a.get('todos'));
  });

  it('duplicated requests: every push sent twice still stores each event once', async () => {
    const f = faulty();
    f.set(async (request, real) => {
      if (request.method === 'POST') await fetch(request.clone());
      return real();
    });
    const a = await replica('dup', f);
    for (let i = 0; i < 3; i++) {
      await a.append({ type: 'added', payload: { id: `t${i}` } });
      await a.sync.now();
    }
    const b = await replica('dup');
    await b.sync.now();
    expect((await b.events()).map((e) => e.position)).toEqual([1, 2, 3]);
    expect(ids(await b.events())).toEqual(ids(await a.events()));
  });

  it('a slow response while another replica pushes: both converge', async () => {
    const f = faulty();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    f.set(async (request, real) => {
      if (request.method !== 'POST') return real();
      const response = await real();
      held();
      await gate; // the answer is slow to come back
      return response;
    });
    const a = await replica('slow', f);
    const b = await replica('slow');
    await a.append({ type: 'added', payload: { id: 'a' } });
    const round = a.sync.now();
    await holding;
    await b.append({ type: 'added', payload: { id: 'b' } });
    await b.sync.now();
    release();
    await round;
    f.set(undefined);
    await a.sync.now();
    await b.sync.now();
    expect(ids(await a.events())).toEqual(ids(await b.events()));
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a', 'b']);
    expect(b.get('todos')).toEqual(a.get('todos'));
  });

  it('malformed answers are ProtocolErrors and change nothing locally', async () => {
    const f = faulty();
    const a = await replica('bad', f);
    const b = await replica('bad');
    await b.append({ type: 'added', payload: { id: 'remote' } });
    await b.sync.now();
    // The server is down while `a` appends: the round its append starts changes nothing.
    f.set(async () => Response.json({ error: { code: 'unavailable', message: 'down' } }, { status: 503 }));
    await a.append({ type: 'added', payload: { id: 'local' } });
    const before = await a.events();
    const answers: (() => Response)[] = [
      () => new Response('{"results": [', { status: 200 }),
      () => Response.json({ results: 'nope', head: 1 }),
      () => Response.json({ events: [{ id: 'x' }], head: 1 }),
      () => Response.json({ events: [], head: -1 }),
    ];
    for (const answer of answers) {
      f.set(async () => answer());
      expect(isProtocolError(await rejection(a.sync.now()))).toBe(true);
      expect(await a.events()).toEqual(before);
      expect(a.status.pending).toBe(1);
    }
    // a pull page with a hole in its positions
    f.set(async (request, real) => {
      if (request.method === 'POST') return real();
      const page = (await (await real()).json()) as { events: { position: number }[]; head: number };
      for (const e of page.events) e.position += 1;
      return Response.json({ ...page, head: page.head + 1 });
    });
    expect(isProtocolError(await rejection(a.sync.now()))).toBe(true);
    expect((await a.events()).filter((e) => !e.pending)).toEqual([]);
    f.set(undefined);
    await a.sync.now();
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['remote', 'local']);
  });

  it('survives the server restarting mid-sync on its SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evl-restart-'));
    const path = join(dir, 'sync.db');
    let storage = sqliteStorage({ path });
    let sqlite = await startSyncServer({ port: 0, storage, warn: () => undefined });
    const port = new URL(sqlite.url).port;
    try {
      const a = await replica('restart', undefined, sqlite.url);
      const b = await replica('restart', undefined, sqlite.url);
      await a.append({ type: 'added', payload: { id: 'before' } });
      await a.sync.now();
      await sqlite.close();
      await storage.close();
      await a.append({ type: 'added', payload: { id: 'while-down' } });
      expect(isSyncError(await rejection(a.sync.now()))).toBe(true);
      expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['before', 'while-down']);
      storage = sqliteStorage({ path });
      sqlite = await startSyncServer({ port: Number(port), storage, warn: () => undefined });
      await a.sync.now();
      await b.sync.now();
      expect(ids(await b.events())).toEqual(ids(await a.events()));
      expect(b.get<Todo[]>('todos').map((t) => t.id)).toEqual(['before', 'while-down']);
    } finally {
      await stores.closeAll();
      await sqlite.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
