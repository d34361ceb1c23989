/**
 * The embedded default: one SQLite file through better-sqlite3 (WAL). One server process
 * per file: live subscribers hear of pushes made through this process only.
 *
 * Invariants:
 * 1. A push answered is on disk: `synchronous = FULL` syncs the WAL at every commit, so it
 *    survives an OS crash or a power cut, not just a crash of the process.
 * 2. Group commit: the pushes that arrive while the event loop is busy (say, syncing the
 *    previous commit) are written in one transaction, each in its own savepoint, so one
 *    push's failure takes nothing from the others and one sync serves them all.
 * 3. A push costs by its own size, not the log's: the lookups of its ids and marker targets
 *    start from the pushed values and use the (log, id) / (log, commit) indexes. Left to
 *    itself, SQLite's planner answers `id IN (json_each(?))` with a scan of the log's
 *    events (a bloom filter over the primary key), which made each push slower as the log grew.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { WireEvent } from '../protocol/wire.ts';
import { loadDriver } from './driver.ts';
import { fromRow, type Row } from './rows.ts';
import { markerTargets, planPush } from './plan.ts';
import { Listeners, type SyncStorage } from './storage.ts';

/**
 * A push's lookups (invariant 3): one index search per pushed id or named commit, whatever the
 * log's size. Parameters: the JSON array of ids (or commits), then the log. Exported for the
 * test that checks their query plans.
 */
export const LOOKUPS = {
  byIds: `SELECT e.position, e.id, e.type, e.payload, e.stream, e.client_id, e.commit_id, e.time, e.meta, e.schema_version
    FROM json_each(?) AS j CROSS JOIN events AS e INDEXED BY events_by_id WHERE e.id = j.value AND e.log_id = ?`,
  targets: `SELECT e.commit_id AS "commit", MIN(substr(e.type, 1, 1) = '$') AS marker
    FROM json_each(?) AS j CROSS JOIN events AS e INDEXED BY events_by_commit
    WHERE e.commit_id = j.value AND e.log_id = ? GROUP BY e.commit_id`,
} as const;

export function sqliteStorage(options: { path: string }): SyncStorage {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const Database = loadDriver<typeof BetterSqlite3>('better-sqlite3', 'sqliteStorage()');
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS logs (log_id TEXT PRIMARY KEY, head INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS events (
      log_id TEXT NOT NULL, position INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
      payload TEXT, stream TEXT NOT NULL, client_id TEXT NOT NULL, commit_id TEXT NOT NULL,
      time REAL NOT NULL, meta TEXT, schema_version INTEGER,
      PRIMARY KEY (log_id, position)) WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (log_id, id);
    CREATE INDEX IF NOT EXISTS events_by_commit ON events (log_id, commit_id);
    CREATE TABLE IF NOT EXISTS streams (
      log_id TEXT NOT NULL, stream TEXT NOT NULL, version INTEGER NOT NULL,
      PRIMARY KEY (log_id, stream)) WITHOUT ROWID;
  `);
  // Files made before events carried a schema version get the column (NULL = version 1).
  if (!(db.pragma('table_info(events)') as { name: string }[]).some((c) => c.name === 'schema_version')) {
    try {
      db.exec('ALTER TABLE events ADD COLUMN schema_version INTEGER');
    } catch (error) {
      // Another process opening the same file added it first.
      if (!/duplicate column/i.test(String((error as Error)?.message))) throw error;
    }
  }
  const q = {
    head: db.prepare<[string], { head: number }>('SELECT head FROM logs WHERE log_id = ?'),
    setHead: db.prepare('INSERT INTO logs (log_id, head) VALUES (?, ?) ON CONFLICT (log_id) DO UPDATE SET head = excluded.head'),
    byIds: db.prepare<[string, string], Row>(LOOKUPS.byIds),
    targets: db.prepare<[string, string], { commit: string; marker: number }>(LOOKUPS.targets),
    version: db.prepare<[string, string], { version: number }>('SELECT version FROM streams WHERE log_id = ? AND stream = ?'),
    setVersion: db.prepare(
      'INSERT INTO streams (log_id, stream, version) VALUES (?, ?, ?) ON CONFLICT (log_id, stream) DO UPDATE SET version = excluded.version',
    ),
    insert: db.prepare(
      'INSERT INTO events (log_id, position, id, type, payload, stream, client_id, commit_id, time, meta, schema_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    read: db.prepare<[string, number, number], Row>(
      'SELECT position, id, type, payload, stream, client_id, commit_id, time, meta, schema_version FROM events WHERE log_id = ? AND position > ? ORDER BY position LIMIT ?',
    ),
  };
  const listeners = new Listeners();

  const push = db.transaction((logId: string, events: readonly WireEvent[]) => {
    const head = q.head.get(logId)?.head ?? 0;
    // One lookup for the whole push (idempotency), not one per event.
    const existing = new Map(q.byIds.all(JSON.stringify(events.map((e) => e.id)), logId).map((r) => [r.id, fromRow(r)]));
    const versions = new Map<string, number>();
    for (const stream of new Set(events.map((e) => e.stream))) versions.set(stream, q.version.get(logId, stream)?.version ?? 0);
    const named = markerTargets(events);
    const targets = new Map(named.length === 0 ? [] : q.targets.all(JSON.stringify(named), logId).map((r) => [r.commit, r.marker === 1]));
    const plan = planPush(events, { head, existing, versions, targets });
    for (const r of plan.rows) {
      q.insert.run(
        logId,
        r.position,
        r.id,
        r.type,
        json(r.payload),
        r.stream,
        r.clientId,
        r.commit,
        r.time,
        json(r.meta),
        r.schemaVersion ?? null,
      );
    }
    for (const [stream, version] of plan.versions) q.setVersion.run(logId, stream, version);
    if (plan.head !== head) q.setHead.run(logId, plan.head);
    return plan;
  });

  // Invariant 2: a push inside the batch's transaction runs as a savepoint (better-sqlite3
  // nests transaction functions so); its failure rolls back only itself.
  type Queued = {
    logId: string;
    events: readonly WireEvent[];
    resolve: (plan: ReturnType<typeof push>) => void;
    reject: (error: unknown) => void;
  };
  let queue: Queued[] = [];
  const commitAll = db.transaction((batch: Queued[]) =>
    batch.map((p) => {
      try {
        return { plan: push(p.logId, p.events) };
      } catch (error) {
        return { error };
      }
    }),
  );
  const flush = () => {
    const batch = queue;
    queue = [];
    let outcomes: ReturnType<typeof commitAll>;
    try {
      outcomes = commitAll.immediate(batch);
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    outcomes.forEach((outcome, i) => {
      if ('plan' in outcome) batch[i]!.resolve(outcome.plan!);
      else batch[i]!.reject(outcome.error);
    });
  };

  let closed = false;
  return {
    async push(logId, events) {
      const plan = await new Promise<ReturnType<typeof push>>((resolve, reject) => {
        queue.push({ logId, events, resolve, reject });
        if (queue.length === 1) setImmediate(flush);
      });
      if (plan.rows.length > 0) queueMicrotask(() => listeners.emit(logId, plan.head));
      return { results: plan.results, head: plan.head };
    },
    async read(logId, after, limit) {
      // One read transaction, so `head` and the page agree.
      return db.transaction(() => ({
        events: q.read.all(logId, after, limit).map(fromRow),
        head: q.head.get(logId)?.head ?? 0,
      }))();
    },
    async head(logId) {
      return q.head.get(logId)?.head ?? 0;
    },
    subscribe: (logId, listener) => listeners.add(logId, listener),
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      db.close();
    },
  };
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
