/** Every SyncStorage passes the conformance suite; plus what is particular to each. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../../src/server/memoryStorage.ts';
import { postgresStorage } from '../../../src/server/postgresStorage.ts';
import { sqliteStorage } from '../../../src/server/sqliteStorage.ts';
import { dropDatabase, freshDatabase, untilListening } from '../../support/postgres.ts';
import { positioned, storageConformance, wireCommit, wireEvent } from './conformance.ts';

storageConformance('memoryStorage', async () => ({ storage: memoryStorage() }));

storageConformance('sqliteStorage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eventloom-sqlite-'));
  return { storage: sqliteStorage({ path: join(dir, 'sync.db') }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

storageConformance('postgresStorage', async () => {
  const connectionString = await freshDatabase();
  const storage = postgresStorage({ connectionString });
  // A subscriber hears only NOTIFYs sent after the storage's LISTEN session is up, which
  // postgresStorage() opens in the background (see the report: the first pushes after start
  // can go unannounced). Start each case from a listening storage.
  await untilListening(connectionString);
  return { storage, cleanup: () => dropDatabase(connectionString) };
});

describe('sqliteStorage on disk', () => {
  it('adds the schema_version column to a file made before events carried a schema version, keeping its events', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventloom-sqlite-'));
    const path = join(dir, 'old.db');
    try {
      // The layout of the first release, with one event in it.
      const old = new Database(path);
      old.exec(`
        CREATE TABLE logs (log_id TEXT PRIMARY KEY, head INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE events (
          log_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
          payload TEXT, stream TEXT NOT NULL, client_id TEXT NOT NULL, commit_id TEXT NOT NULL,
          time REAL NOT NULL, meta TEXT,
          PRIMARY KEY (log_id, position)) WITHOUT ROWID;
        CREATE UNIQUE INDEX events_by_id ON events (log_id, id);
        CREATE TABLE streams (log_id TEXT NOT NULL, stream TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (log_id, stream)) WITHOUT ROWID;
        INSERT INTO logs VALUES ('log', 1);
        INSERT INTO events VALUES ('log', 1, 'e1', 'added', '{"name":"old"}', 's', 'c', 'k1', 5, NULL);
        INSERT INTO streams VALUES ('log', 's', 1);
      `);
      old.close();
      const storage = sqliteStorage({ path });
      try {
        const next = wireEvent({ stream: 's', schemaVersion: 2 });
        expect(await storage.push('log', [next])).toStrictEqual({ results: [{ id: next.id, position: 2 }], head: 2 });
        expect((await storage.read('log', 0, 10)).events).toStrictEqual([
          { id: 'e1', type: 'added', payload: { name: 'old' }, stream: 's', clientId: 'c', commit: 'k1', time: 5, position: 1 },
          positioned(next, 2),
        ]);
      } finally {
        await storage.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps events, positions, idempotency and stream versions across closing and reopening the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eventloom-sqlite-'));
    const path = join(dir, 'nested', 'deeper', 'sync.db'); // missing directories are made
    try {
      const first = sqliteStorage({ path });
      const a = wireCommit(2, { stream: 's', payload: { kept: ['yes', 1, null] }, meta: { m: 1 } });
      const b = wireEvent({ stream: 's', payload: null });
      delete (b as { payload?: unknown }).payload;
      await first.push('log', [...a, b]);
      await first.push('other', wireCommit(1));
      await first.close();

      const reopened = sqliteStorage({ path });
      try {
        expect(await reopened.read('log', 0, 100)).toStrictEqual({ events: [...a, b].map((e, i) => positioned(e, i + 1)), head: 3 });
        expect(await reopened.head('other')).toBe(1);
        // idempotency survives: a retry gets the original positions
        expect(await reopened.push('log', a)).toStrictEqual({
          results: [
            { id: a[0]!.id, position: 1 },
            { id: a[1]!.id, position: 2 },
          ],
          head: 3,
        });
        // the stream version survives: 3 events in 's'
        const stale = wireCommit(1, { stream: 's', expectedVersion: 2 });
        expect(await reopened.push('log', stale)).toStrictEqual({
          results: [{ id: stale[0]!.id, error: 'conflict', streamVersion: 3 }],
          head: 3,
        });
        const next = wireCommit(1, { stream: 's', expectedVersion: 3 });
        expect(await reopened.push('log', next)).toStrictEqual({ results: [{ id: next[0]!.id, position: 4 }], head: 4 });
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('postgresStorage on a database made before schema versions', () => {
  it('adds the schema_version column, keeping the events there', async () => {
    const connectionString = await freshDatabase();
    const old = new pg.Client({ connectionString });
    await old.connect();
    try {
      // The layout of the first release, with one event in it.
      await old.query(`
        CREATE TABLE eventloom_logs (log_id text PRIMARY KEY, head bigint NOT NULL);
        CREATE TABLE eventloom_events (
          log_id text NOT NULL, position bigint NOT NULL, id text NOT NULL, type text NOT NULL,
          payload text, stream text NOT NULL, client_id text NOT NULL, commit_id text NOT NULL,
          time double precision NOT NULL, meta text,
          PRIMARY KEY (log_id, position));
        CREATE UNIQUE INDEX eventloom_events_by_id ON eventloom_events (log_id, id);
        CREATE TABLE eventloom_streams (log_id text NOT NULL, stream text NOT NULL, version bigint NOT NULL, PRIMARY KEY (log_id, stream));
        INSERT INTO eventloom_logs VALUES ('log', 1);
        INSERT INTO eventloom_events VALUES ('log', 1, 'e1', 'added', '{"name":"old"}', 's', 'c', 'k1', 5, NULL);
        INSERT INTO eventloom_streams VALUES ('log', 's', 1);
      `);
    } finally {
      await old.end();
    }
    const storage = postgresStorage({ connectionString });
    try {
      const next = wireEvent({ stream: 's', schemaVersion: 2 });
      expect(await storage.push('log', [next])).toStrictEqual({ results: [{ id: next.id, position: 2 }], head: 2 });
      expect((await storage.read('log', 0, 10)).events).toStrictEqual([
        { id: 'e1', type: 'added', payload: { name: 'old' }, stream: 's', clientId: 'c', commit: 'k1', time: 5, position: 1 },
        positioned(next, 2),
      ]);
    } finally {
      await storage.close();
      await dropDatabase(connectionString);
    }
  });
});

describe('postgresStorage on one database', () => {
  it('lets a second storage on the same database see the log and continue its positions and versions', async () => {
    const connectionString = await freshDatabase();
    const one = postgresStorage({ connectionString });
    const two = postgresStorage({ connectionString });
    try {
      const a = wireCommit(2, { stream: 's', meta: { from: 'one' } });
      await one.push('log', a);
      expect(await two.read('log', 0, 10)).toStrictEqual({ events: a.map((e, i) => positioned(e, i + 1)), head: 2 });
      expect(await two.push('log', a)).toStrictEqual({
        results: [
          { id: a[0]!.id, position: 1 },
          { id: a[1]!.id, position: 2 },
        ],
        head: 2,
      });
      const next = wireCommit(1, { stream: 's', expectedVersion: 2 });
      expect(await two.push('log', next)).toStrictEqual({ results: [{ id: next[0]!.id, position: 3 }], head: 3 });
      expect(await one.head('log')).toBe(3);
    } finally {
      await one.close();
      await two.close();
      await dropDatabase(connectionString);
    }
  });
});
