import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isProtocolError, isSyncError, type Store, type StoredEvent } from '../../../src/index.ts';
import { memoryStorage, startSyncServer, type RunningSyncServer } from '../../../src/server/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';

// Sync never stalls: a commit the server can never accept leaves the log for rejected(),
// a failed push never stops the pull, and one sync.now() reaches the server's head.
let server: RunningSyncServer;
const stores = storesPerTest();
beforeEach(async () => {
  server = await startSyncServer({ port: 0, storage: memoryStorage(), limits: { maxPullLimit: 3 }, warn: () => undefined });
});
afterEach(async () => {
  await stores.closeAll();
  await server.close();
});

type Fault = (request: Request, real: () => Promise<Response>) => Promise<Response>;

async function replica(logId: string, fault?: Fault): Promise<Store> {
  const fetchVia: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const real = () => fetch(request.clone());
    return fault ? fault(request, real) : real();
  };
  return stores.open({ name: dbName('stalls'), projections, sync: { url: server.url, logId, live: false, fetch: fetchVia } });
}

const ids = (list: Todo[]) => list.map((t) => t.id);
const added = (id: string) => ({ type: 'added', payload: { id } });

describe('sync never stalls', () => {
  it('a commit of more events than the server takes in one push leaves the log; the rest syncs both ways', async () => {
    const other = await replica('big');
    const a = await replica('big');
    a.sync.pause();
    await a.append(added('before'));
    const [big] = await a.append(Array.from({ length: 1001 }, (_, i) => added(`big-${i}`)));
    await a.append(added('after'));
    await other.append(added('theirs'));
    await other.sync.now();
    a.sync.resume();
    await a.sync.now();
    expect(ids(a.get<Todo[]>('todos'))).toEqual(['theirs', 'before', 'after']);
    const rejected = await a.sync.rejected();
    expect(rejected.map((r) => [r.commit, r.events.length])).toEqual([[big!.commit, 1001]]);
    expect(rejected[0]!.reason.name).toBe('InvalidEventError');
    expect(rejected[0]!.reason.message).toMatch(/too large.*413/);
    expect(a.status).toMatchObject({ pending: 0, head: 3, sync: 'idle' });
    expect(a.status.lastError?.message).toMatch(/too large/);
    await other.sync.now();
    expect(other.get('todos')).toEqual(a.get('todos'));
  });

  it('an event over the server’s body limit leaves the log alone; commits around it push', async () => {
    const a = await replica('huge');
    a.sync.pause();
    await a.append(added('small-1'));
    const [huge] = await a.append({ type: 'added', payload: { id: 'huge', title: 'x'.repeat(1_500_000) } });
    await a.append(added('small-2'));
    a.sync.resume();
    await a.sync.now();
    expect(ids(a.get<Todo[]>('todos'))).toEqual(['small-1', 'small-2']);
    expect((await a.sync.rejected()).map((r) => r.commit)).toEqual([huge!.commit]);
    const b = await replica('huge');
    await b.sync.now();
    expect(ids(b.get<Todo[]>('todos'))).toEqual(['small-1', 'small-2']);
  });

  it('a commit the server refuses as invalid (400) leaves the log with the server’s reason', async () => {
    // A server stricter than this client (a newer version, a custom rule): it refuses "poison".
    const strict: Fault = async (request, real) => {
      if (request.method === 'POST' && (await request.clone().text()).includes('"poison"')) {
        return Response.json({ error: { code: 'invalid', message: 'events[0].type: poison is not allowed here' } }, { status: 400 });
      }
      return real();
    };
    const a = await replica('strict', strict);
    a.sync.pause();
    await a.append(added('one'));
    const [poison] = await a.append({ type: 'poison', payload: { id: 'p' } });
    await a.append(added('two'));
    a.sync.resume();
    await a.sync.now();
    const rejected = await a.sync.rejected();
    expect(rejected.map((r) => r.commit)).toEqual([poison!.commit]);
    expect(rejected[0]!.reason).toMatchObject({ name: 'InvalidEventError' });
    expect(rejected[0]!.reason.message).toContain('poison is not allowed here');
    expect((await a.events()).map((e) => [e.position, e.type, e.pending])).toEqual([
      [1, 'added', false],
      [2, 'added', false],
    ]);
  });

  it('a 400 that is not the protocol’s (a proxy’s page) is retried, not taken as the commit’s fault', async () => {
    let broken = true;
    const proxy: Fault = async (request, real) =>
      broken && request.method === 'POST'
        ? new Response('<html><body>400 Bad Request</body></html>', { status: 400, headers: { 'Content-Type': 'text/html' } })
        : real();
    const a = await replica('proxy', proxy);
    await a.append(added('kept'));
    const error = await rejection(a.sync.now());
    expect(isSyncError(error)).toBe(true);
    expect(a.status.pending).toBe(1);
    expect(await a.sync.rejected()).toEqual([]);
    broken = false;
    await a.sync.now();
    expect(a.status).toMatchObject({ pending: 0, head: 1 });
  });

  it('a failed push does not stop the pull: others’ events still arrive', async () => {
    const down: Fault = async (request, real) =>
      request.method === 'POST' ? Response.json({ error: { code: 'unavailable', message: 'down' } }, { status: 503 }) : real();
    const a = await replica('halfway', down);
    const other = await replica('halfway');
    await other.append(added('theirs'));
    await other.sync.now();
    await a.append(added('mine'));
    const error = await rejection(a.sync.now());
    expect(isSyncError(error)).toBe(true);
    expect(ids(a.get<Todo[]>('todos'))).toEqual(['theirs', 'mine']);
    expect(a.status).toMatchObject({ pending: 1, sync: 'error' });
    expect((await a.events()).map((e) => [e.position, e.pending])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('one sync.now() catches up to the server’s head when its pages are smaller than the client’s', async () => {
    const writer = await replica('pages');
    for (let i = 0; i < 10; i++) await writer.append(added(`e${i}`));
    await writer.sync.now();
    const reader = await replica('pages');
    await reader.sync.now();
    expect(reader.status.head).toBe(10);
    expect(ids(reader.get<Todo[]>('todos'))).toEqual(ids(writer.get<Todo[]>('todos')));
  });
});

describe('answers that contradict themselves are ProtocolErrors', () => {
  it('a pull page that holds one id at two positions', async () => {
    const writer = await replica('dup-page');
    await writer.append([added('x'), added('y')]);
    await writer.sync.now();
    const twice: Fault = async (request, real) => {
      const response = await real();
      if (request.method !== 'GET') return response;
      const page = (await response.json()) as { events: StoredEvent[]; head: number };
      if (page.events.length === 2) page.events[1] = { ...page.events[1]!, id: page.events[0]!.id };
      return Response.json(page);
    };
    const reader = await replica('dup-page', twice);
    const error = await rejection(reader.sync.now());
    expect(isProtocolError(error)).toBe(true);
    expect((error as Error).message).toMatch(/two positions/);
    expect(reader.status).toMatchObject({ head: 0, sync: 'error' });
    expect(await reader.events()).toEqual([]);
  });

  it('a push answer that gives one position to two events', async () => {
    const same: Fault = async (request, real) => {
      const response = await real();
      if (request.method !== 'POST') return response;
      const body = (await response.json()) as { results: { id: string; position: number }[]; head: number };
      return Response.json({ ...body, results: body.results.map((r) => ({ ...r, position: body.results[0]!.position })) });
    };
    const a = await replica('dup-push', same);
    a.sync.pause();
    await a.append([added('x'), added('y')]);
    const before = await a.events();
    a.sync.resume();
    const error = await rejection(a.sync.now());
    expect(isProtocolError(error)).toBe(true);
    expect((error as Error).message).toMatch(/position 1 to two events/);
    expect(await a.events()).toEqual(before);
  });
});
