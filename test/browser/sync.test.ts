import { describe, expect, inject, it } from 'vitest';
import { dbName, type Todo } from '../support/fixtures.ts';
import { nextLiveStream, syncWorkerStores } from '../support/syncWorkers.ts';
import { until, untilStatus } from '../support/wait.ts';

const { stores, newWorker, open } = syncWorkerStores();

describe('sync in real Chromium', () => {
  it('a worker store whose token expired stops at the 401 and goes on after sync.setToken()', async () => {
    const store = await stores.open({
      name: dbName('token'),
      worker: newWorker('token'),
      sync: { url: inject('syncAuthUrl'), logId: `token-${Date.now()}`, token: 'expired' },
    });
    await store.append({ type: 'added', payload: { id: 'x', title: 'made while the token was expired' } });
    const stopped = await untilStatus(store, (s) => s.sync === 'error');
    expect(stopped.lastError?.message).toMatch(/401.*setToken/);
    expect(stopped.pending).toBe(1);
    store.sync.setToken('fresh');
    const synced = await untilStatus(store, (s) => s.sync === 'idle' && s.pending === 0);
    expect(synced.head).toBe(1);
  });

  it('a worker store syncs with the server, and another device receives it live', async () => {
    const logId = `browser-${Date.now()}`;
    const a = await open(dbName('dev-a'), logId);
    const b = await open(dbName('dev-b'), logId);
    const seen = until<Todo[]>(b, 'todos', (list) => list.length === 1);
    await a.append({ type: 'added', payload: { id: 'x', title: 'from device a' } });
    await a.sync.now();
    expect((await seen)[0]?.title).toBe('from device a');
    expect(a.status).toMatchObject({ pending: 0, head: 1 });
    const [ea] = await a.events();
    const [eb] = await b.events();
    expect(eb).toEqual(ea);
  });

  it('a worker store keeps the commit the server rejected in rejected() until clearRejected() removes it', async () => {
    const logId = `rejected-${Date.now()}`;
    const a = await open(dbName('rej-a'), logId);
    const b = await open(dbName('rej-b'), logId);
    b.sync.pause();
    await a.append({ type: 'added', payload: { id: 'a', title: 'first' }, stream: 'seat' }, { expectedVersion: 'none' });
    await a.sync.now();
    const [mine] = await b.append({ type: 'added', payload: { id: 'b', title: 'second' }, stream: 'seat' }, { expectedVersion: 'none' });
    b.sync.resume();
    await b.sync.now();
    const rejected = await b.sync.rejected();
    expect(rejected.map((r) => [r.commit, r.reason.name])).toEqual([[mine!.commit, 'ConcurrencyError']]);
    expect(await b.sync.clearRejected([mine!.commit])).toBe(1);
    expect(await b.sync.rejected()).toEqual([]);
  });

  it('two tabs on one database: only one syncs, and the other takes over when it closes', async () => {
    const logId = `leader-${Date.now()}`;
    const name = dbName('tabs');
    const firstLive = nextLiveStream(logId, ['tab1', 'tab2']);
    const tab1 = await open(name, logId, 'tab1');
    expect(await firstLive).toBe('tab1');
    const traffic: string[] = [];
    const listener = new BroadcastChannel('test-sync-traffic');
    listener.onmessage = (m: MessageEvent<{ worker: string }>) => void traffic.push(m.data.worker);
    const tab2 = await open(name, logId, 'tab2');
    const remote = await open(dbName('other-device'), logId, 'remote');
    const arrived = until<Todo[]>(remote, 'todos', (list) => list.length === 1);
    // tab2's append reaches the server through the leader, tab1, via the shared database
    await tab2.append({ type: 'added', payload: { id: 't2', title: 'from tab 2' } });
    expect((await arrived)[0]?.id).toBe('t2');
    // the confirmation changes no state, only the status: wait on the status, not on 'todos'
    await untilStatus(tab2, (s) => s.pending === 0);
    // the leader's sync status shows in the other tab too
    expect((await untilStatus(tab2, (s) => s.lastSyncedAt !== undefined)).sync).toMatch(/idle|syncing/);
    listener.close();
    expect(traffic).toContain('tab1');
    expect(traffic).not.toContain('tab2');

    const takeover = nextLiveStream(logId, ['tab1', 'tab2']);
    await tab1.close();
    expect(await takeover).toBe('tab2');
    const back = until<Todo[]>(tab2, 'todos', (list) => list.length === 2);
    await remote.append({ type: 'added', payload: { id: 'r', title: 'from the other device' } });
    await remote.sync.now();
    expect((await back).map((t) => t.id)).toEqual(['t2', 'r']);
  });
});
