import 'fake-indexeddb/auto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isProtocolError, type Store } from '../../../src/index.ts';
import { memoryStorage, sqliteStorage, startSyncServer, type RunningSyncServer, type SyncStorage } from '../../../src/server/index.ts';
import { dbName, projections, type Todo } from '../../support/fixtures.ts';
import { untilStatus } from '../../support/wait.ts';
import { rejection } from '../../support/rejection.ts';
import { storesPerTest } from '../../support/stores.ts';

// A server whose log is behind what a replica already saw confirmed lost data: the replica
// says so (ProtocolError, status.sync 'error') and applies nothing from it.
const stores = storesPerTest();
const servers: RunningSyncServer[] = [];
const storages: SyncStorage[] = [];
afterEach(async () => {
  await stores.closeAll();
  for (const s of servers.splice(0)) await s.close();
  for (const s of storages.splice(0)) await s.close();
});

async function serve(storage: SyncStorage, port = 0): Promise<RunningSyncServer> {
  storages.push(storage);
  const server = await startSyncServer({ port, storage, warn: () => undefined });
  servers.push(server);
  return server;
}

async function stop(server: RunningSyncServer, storage: SyncStorage): Promise<void> {
  await server.close();
  await storage.close();
}

async function replica(url: string, logId: string, live = false): Promise<Store> {
  return stores.open({ name: dbName('loss'), projections, sync: { url, logId, live } });
}

const added = (id: string) => ({ type: 'added', payload: { id } });

describe('a server that lost data', () => {
  it('restarted on empty storage: ProtocolError, sync error, nothing applied, the new event stays pending', async () => {
    const first = memoryStorage();
    const server = await serve(first);
    const port = Number(new URL(server.url).port);
    const a = await replica(server.url, 'lost');
    await a.append([added('a1'), added('a2'), added('a3')]);
    await a.sync.now();
    await stop(server, first);

    const empty = await serve(memoryStorage(), port);
    const other = await replica(empty.url, 'lost');
    await other.append(added('after-restart'));
    await other.sync.now();
    await a.append(added('new'));
    const before = await a.events();
    const error = await rejection(a.sync.now());
    expect(isProtocolError(error)).toBe(true);
    expect((error as Error).message).toMatch(/lost data/);
    expect(a.status).toMatchObject({ sync: 'error', head: 4, pending: 1 });
    expect(a.status.lastError?.name).toBe('ProtocolError');
    expect(await a.events()).toEqual(before);
    expect(a.get<Todo[]>('todos').map((t) => t.id)).toEqual(['a1', 'a2', 'a3', 'new']);
  });

  it('restored from an older SQLite file: ProtocolError, nothing applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evl-loss-'));
    const path = join(dir, 'sync.db');
    try {
      let storage = sqliteStorage({ path });
      let server = await serve(storage);
      const port = Number(new URL(server.url).port);
      const a = await replica(server.url, 'backup');
      await a.append(added('kept'));
      await a.sync.now();
      await stop(server, storage);
      copyFileSync(path, join(dir, 'backup.db')); // closed: the WAL is checkpointed into the file

      storage = sqliteStorage({ path });
      server = await serve(storage, port);
      await a.append([added('gone-1'), added('gone-2')]);
      await a.sync.now();
      expect(a.status.head).toBe(3);
      await stop(server, storage);
      copyFileSync(join(dir, 'backup.db'), path);
      rmSync(`${path}-wal`, { force: true });
      rmSync(`${path}-shm`, { force: true });

      storage = sqliteStorage({ path });
      server = await serve(storage, port);
      await a.append(added('pending'));
      const before = await a.events();
      const error = await rejection(a.sync.now());
      expect(isProtocolError(error)).toBe(true);
      expect((error as Error).message).toMatch(/ends at position [12], but this replica already has 3/);
      expect(a.status).toMatchObject({ sync: 'error', head: 4, pending: 1 });
      expect(await a.events()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a live replica reports it too, without a sync.now()', async () => {
    const first = memoryStorage();
    const server = await serve(first);
    const port = Number(new URL(server.url).port);
    const a = await replica(server.url, 'live-loss', true);
    await a.append([added('x'), added('y')]);
    await a.sync.now();
    await stop(server, first);
    await serve(memoryStorage(), port);
    const status = await untilStatus(a, (s) => s.lastError?.name === 'ProtocolError');
    expect(status.sync).toBe('error');
    expect(status.head).toBe(2);
  });
});
